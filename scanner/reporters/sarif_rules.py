"""SARIF rule descriptors: what GitHub shows beside an alert (help, severity, tags, precision).

GitHub reads ``security-severity`` only from the rule, never from a result, so a rule whose test
keys are reported at a lower severity gets a second descriptor, ``<rule-id>.test``: test-key
alerts then show as *medium* and live keys as *critical*.  Which descriptor a result uses follows
the key's environment only (``Finding.test``), so an alert keeps its rule id from one run to the
next, with or without ``--verify``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.finding import Finding
from scanner.rules import Rule

# security-severity (GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low).
_SECRET_SEVERITY = {"error": "9.1", "warning": "5.5", "note": "3.0"}
_LINT_SEVERITY = {"error": "6.5", "warning": "4.0", "note": "2.0"}
LIVE_SEVERITY = "9.8"
"""A credential that verification proved live (``extra["verification"]["status"] == "live"``)."""
PRECISION = {"high": "high", "medium": "medium", "low": "low"}


@dataclass(frozen=True)
class Variant:
    """One SARIF rule: a lekk rule, or its test-key variant."""

    rule: Rule
    test: bool

    @property
    def id(self) -> str:
        return (self.rule.test_id if self.test else None) or self.rule.id

    @property
    def level(self) -> str:
        if self.test and self.rule.test_severity:
            return self.rule.test_severity
        return self.rule.severity

    @property
    def security_severity(self) -> str:
        table = _SECRET_SEVERITY if self.rule.is_secret else _LINT_SEVERITY
        return table[self.level]


def is_live(f: Finding) -> bool:
    v = f.extra.get("verification")
    return isinstance(v, dict) and v.get("status") == "live"


def variant_of(f: Finding) -> Variant:
    """The key's environment picks the SARIF rule: a test key is ``<rule-id>.test`` wherever it
    was found (client-side code included) and whatever verification said; only the result's
    level follows those."""
    return Variant(f.rule, f.test and f.rule.test_id is not None)


def _first_sentence(text: str, limit: int = 1024) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _example_note(rule: Rule) -> str:
    return f"`lekk explain {rule.id}` shows an example." if rule.example else ""


def help_text(rule: Rule) -> str:
    """Plain-text help: ``lekk explain``'s text (what, why, fix, steps and link).  Never the
    example: a report is a file like any other, and the next scan must not find its example's
    credential (a SARIF left in the checkout)."""
    from scanner.docs import render_text

    note = _example_note(rule).replace("`", "")
    return render_text(rule, example=False) + (f"\n{note}\n" if note else "")


def help_markdown(rule: Rule) -> str:
    """Markdown help, as in docs/rules.md but without the example (see ``help_text``); GitHub
    ignores helpUri, so the link is written out."""
    from scanner.docs import render_markdown

    silence = f"Silence a reviewed false positive with `lekk:ignore {rule.id}` on the line."
    note = _example_note(rule)
    return (
        render_markdown(rule, example=False) + "\n" + silence + (f" {note}" if note else "") + "\n"
    )


def descriptor(v: Variant) -> dict[str, Any]:
    """The reportingDescriptor as plain SARIF JSON (built with sarif-om by the caller)."""
    rule = v.rule
    tags = ["security", "secret"] if rule.is_secret else ["security", "secret", "lint"]
    if rule.provider:
        tags.append(rule.provider.lower().replace(" ", "-"))
    if rule.is_secret:
        tags.append("external/cwe/cwe-798")  # use of hard-coded credentials
    if v.test:
        tags.append("test-key")
    name = rule.name + (" (test key)" if v.test else "")
    short = name + (f" ({rule.provider})" if rule.provider and rule.provider not in name else "")
    return {
        "id": v.id,
        "name": _camel(name),
        "short": _first_sentence(short),
        "full": _first_sentence(rule.what),
        "help_text": help_text(rule),
        "help_markdown": help_markdown(rule),
        "help_uri": rule.remediation.url,
        "level": v.level,
        "properties": {
            "tags": tags,
            "precision": PRECISION[rule.confidence],
            "security-severity": v.security_severity,
        },
    }


def _camel(name: str) -> str:
    """GitHub filters by ``name``; SARIF suggests an identifier-like one (``SagaPayApiKey``)."""
    words = "".join(c if c.isalnum() else " " for c in name).split()
    words = [w.capitalize() if w.isupper() else w[:1].upper() + w[1:] for w in words]
    return "".join(words)[:255]
