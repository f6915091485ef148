"""An HTML report section from a JSON report, for reports kept on disk (``lekk audit`` keeps one
per repository) and rendered later without scanning again.

The JSON report's values are redacted (``spk_live_********``), so the page can only show
those.  Two credentials with the same redacted form are told apart by the finding's fingerprint,
appended to the value the section holds (``redact`` shows the same mask for it).  A report
written with ``--show-secrets`` holds raw values: the section names every one of them as a form
to mask (``Section.hidden``), so the page masks them wherever they are, as it does for a scan.
A finding of a rule the given packs do not have is left out, and the section says how many were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.finding import Finding, redact
from scanner.reporters.html import Section
from scanner.rules import Rule

_FIELDS = frozenset(
    {
        "rule",
        "name",
        "provider",
        "kind",
        "severity",
        "confidence",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "secret",
        "fingerprint",
        "remediation",
        "context",
        "encoding",
        "origin",
        "client_side",
    }
)


def section_from_report(title: str, doc: Mapping[str, Any], rules: Sequence[Rule]) -> Section:
    """A ``Section`` from a report as ``lekk --format json`` writes it."""
    by_id = {r.id: r for r in rules}
    findings: list[Finding] = []
    unknown = 0
    hidden: set[str] = set()  # raw values, when the report was written with --show-secrets
    for d in doc.get("findings", []):
        if d.get("kind", "secret") == "secret":
            hidden.add(str(d.get("secret", "")))
            hidden.update(str(v) for v in (d.get("context") or {}).values())
        rule = by_id.get(d.get("rule"))
        if rule is None:
            unknown += 1
            continue
        findings.append(_finding(rule, d))
    warnings = list(doc.get("warnings", []))
    if unknown:
        warnings.append(f"{unknown} finding(s) of rules not loaded here are not shown")
    summary = doc.get("summary", {})
    git = doc.get("git")
    properties = {k: v for k, v in doc.items() if k in ("git", "partial_history", "verification")}
    return Section(
        title=title,
        findings=findings,
        command=str(doc.get("command", "scan")),
        targets=[str(git["repository"])] if isinstance(git, Mapping) else [],
        files=int(summary.get("files", 0)),
        bytes=int(summary.get("bytes", 0)),
        warnings=warnings,
        properties=properties,
        hidden={v: redact(v) for v in hidden if v and "*" * 8 not in v},
    )


def _finding(rule: Rule, d: Mapping[str, Any]) -> Finding:
    secret = str(d.get("secret", ""))
    if rule.is_secret:  # already redacted: kept apart from others redacted alike
        secret = f"{secret}#{d.get('fingerprint', '')}"
    return Finding(
        rule=rule,
        path=str(d.get("path", "")),
        line=int(d.get("line", 0)),
        column=int(d.get("column", 0)),
        end_line=int(d.get("end_line", 0)),
        end_column=int(d.get("end_column", 0)),
        secret=secret,
        severity=str(d.get("severity", rule.severity)),
        encoding=d.get("encoding"),
        context=dict(d.get("context") or {}),
        origin=d.get("origin"),
        client_side=bool(d.get("client_side")),
        extra={k: v for k, v in d.items() if k not in _FIELDS},
    )
