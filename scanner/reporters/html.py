"""HTML report: one self-contained page for the people who must act on a scan.

The page has no script and makes no request when opened: the CSS is inline (allowed by its hash
in a Content-Security-Policy that forbids everything else), the exposure timeline is inline SVG
drawn from ``timeline``.  It reads on a phone and prints.

API (``lekk audit`` renders many repositories into one page with it)::

    Section(title, findings, command="git", targets=(...), files=0, bytes=0,
            warnings=(), properties={})        # one scan; properties as in the JSON report
                                               # (or {"not_scanned": reason}: it failed)
    render(sections, title="...", overview=[("repositories", "20 (1 failed)")]) -> str
    write(findings, out, ctx)                  # the REPORTERS entry: one Section from ctx
    html_json.section_from_report(title, json_report, rules) -> Section   # a report kept on disk

``render`` draws the overall summary (credentials by provider and severity, live and revoked
counts, what was covered, plus the ``overview`` rows), the remediation checklist (one entry per
credential, however many sections carry it, grouped by provider and by the rule's own
``remediation``), then each section: what it covered, its warnings, its exposure timeline
(history scans), and every finding.

Only masked values reach the page, even with ``--show-secrets``: values, context and code lines
are masked as in the text report, and every string written into the page goes through
``_finalize``, which masks any raw value of the report it still finds (a commit subject or a
file name that holds one) and makes control and bidirectional-override characters visible.
Jinja2 escapes everything else (autoescape); the templates quote every attribute, build links
only from ``http(s)`` URLs of the rule packs, and put nothing from the scan in ``<style>``.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TextIO

import jinja2
from markupsafe import Markup

from scanner import __version__, mask
from scanner.finding import SEVERITY_RANK, Finding, redact
from scanner.reporters import ReportContext, timeline


@dataclass(frozen=True)
class Section:
    """One scan: a repository's history, a tree of files, staged changes or a site."""

    title: str
    findings: Sequence[Finding]
    command: str = "scan"
    targets: Sequence[str] = ()
    files: int = 0
    bytes: int = 0
    warnings: Sequence[str] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)
    hidden: Mapping[str, str] = field(default_factory=dict)  # dropped values' forms: their masks


def write(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    targets = list(ctx.targets) or [str(ctx.properties.get("git", {}).get("repository") or ".")]
    section = Section(
        title=f"lekk {ctx.command} {' '.join(targets)}",
        findings=findings,
        command=ctx.command,
        targets=targets,
        files=ctx.files,
        bytes=ctx.bytes,
        warnings=ctx.warnings,
        properties=ctx.properties,
        hidden=ctx.hidden,
    )
    out.write(render([section], title=section.title))


def render(
    sections: Sequence[Section],
    *,
    title: str = "lekk report",
    overview: Sequence[tuple[str, str]] = (),
    now: datetime | None = None,
) -> str:
    """The whole page.  ``overview``: more (label, value) rows for the summary."""
    now = now or datetime.now(UTC)
    everything = [f for s in sections for f in s.findings]
    forms = {k: v for s in sections for k, v in s.hidden.items()} | mask.values(everything)
    token = _MASK.set(_masker(forms))
    try:
        css = _css()
        template = _env().get_template("report.html.j2")
        return template.render(
            title=title,
            now=now,
            version=__version__,
            css=Markup(css),
            css_hash=base64.b64encode(hashlib.sha256(css.encode()).digest()).decode(),
            overview=overview,
            summary=_summary(sections),
            checklist=_checklist(sections, now),
            sections=[_section(s, i, now) for i, s in enumerate(sections, 1)],
            rules=_rules(everything),
            many=len(sections) > 1,
        )
    finally:
        _MASK.reset(token)


# -- what the template is given ------------------------------------------------------------


def _summary(sections: Sequence[Section]) -> dict[str, Any]:
    creds = _credentials(sections)
    by_provider: dict[str, dict[str, int]] = {}
    for f, _ in creds.values():
        row = by_provider.setdefault(f.rule.provider or "other", {})
        row[f.severity] = row.get(f.severity, 0) + 1
    verification: dict[str, int] = {}
    for s in sections:
        for status, n in (s.properties.get("verification") or {}).items():
            verification[status] = verification.get(status, 0) + n
    lint = sum(1 for s in sections for f in s.findings if not f.rule.is_secret)
    return {
        "credentials": len(creds),
        "lint": lint,
        "live": sum(1 for f, _ in creds.values() if timeline.is_live(f)),
        "in_head": sum(1 for f, _ in creds.values() if f.extra.get("still_in_head")),
        "client_side": sum(1 for f, _ in creds.values() if f.client_side),
        "by_provider": sorted(by_provider.items()),
        "severities": [s for s in SEVERITY_RANK if any(s in r for r in by_provider.values())],
        "verification": {k: n for k, n in verification.items() if n},
        "partial": any(s.properties.get("partial_history") for s in sections),
    }


def _credentials(sections: Sequence[Section]) -> dict[tuple[str, str], tuple[Finding, list[Any]]]:
    """Each distinct credential once: its most urgent finding, and (section, finding) pairs."""
    found: dict[tuple[str, str], tuple[Finding, list[Any]]] = {}
    for s in sections:
        for f in s.findings:
            if f.rule.is_secret:
                found.setdefault((f.rule.id, f.secret), (f, []))[1].append((s, f))
    return found


def _checklist(sections: Sequence[Section], now: datetime) -> dict[str, Any]:
    """Providers, each with its remediation groups (the rules' own advice) and credentials."""
    creds = sorted(  # errors before warnings (test keys), then as the timeline
        _credentials(sections).values(),
        key=lambda c: (-SEVERITY_RANK.get(c[0].severity, 0), timeline.urgency(c[0], now)),
    )
    providers: dict[str, dict[Any, list[Any]]] = {}
    for f, where in creds:
        groups = providers.setdefault(f.rule.provider or "other", {})
        groups.setdefault(f.rule.remediation, []).append({"finding": f, "where": where})
    lint: dict[str, list[Finding]] = {}
    for s in sections:
        for f in s.findings:
            if not f.rule.is_secret:
                lint.setdefault(f.rule.id, []).append(f)
    return {
        "providers": [
            {"name": name, "groups": [{"remediation": r, "items": i} for r, i in groups.items()]}
            for name, groups in providers.items()
        ],
        "history": any(f.extra.get("commit") for f, _ in creds),
        "lint": [(items[0].rule, items) for items in lint.values()],
    }


def _section(s: Section, index: int, now: datetime) -> dict[str, Any]:
    secrets = {**s.hidden, **mask.values(s.findings)}  # every form of every value, dropped too
    by_path: dict[str, list[tuple[Finding, str]]] = {}
    for f in sorted(s.findings, key=Finding.sort_key):
        keep = "" if f.rule.is_secret else f.secret  # a lint span is shown as-is
        snippet = mask.mask(f.snippet, secrets, keep) if f.snippet else ""
        by_path.setdefault(f.path, []).append((f, snippet))
    return {
        "id": f"section-{index}",
        "title": s.title,
        "command": s.command,
        "covered": _covered(s),
        "warnings": list(s.warnings),
        "partial": bool(s.properties.get("partial_history")),
        "timeline": timeline.build(s.findings, now, _default_branch(s)),
        "files": sorted(by_path.items()),
        "count": len(s.findings),
        "credentials": sum(1 for f in s.findings if f.rule.is_secret),
        "not_scanned": str(s.properties.get("not_scanned") or ""),
    }


def _default_branch(s: Section) -> str | None:
    git = s.properties.get("git")
    return (
        str(git["default_branch"])
        if isinstance(git, Mapping) and git.get("default_branch")
        else None
    )


def _covered(s: Section) -> list[tuple[str, str]]:
    """What the scan read, as (label, value) rows."""
    if s.properties.get("not_scanned"):  # an audit's repository that failed
        return [
            ("repository", ", ".join(s.targets)),
            ("not scanned", str(s.properties["not_scanned"])),
        ]
    rows: list[tuple[str, str]] = []
    git = s.properties.get("git")
    if isinstance(git, Mapping):
        rows.append(("repository", str(git.get("repository"))))
        refs = list(git.get("refs") or [])
        rows.append(("refs", "every branch, tag and ref" if refs == ["--all"] else ", ".join(refs)))
        if git.get("range"):
            rows.append(("range", str(git["range"])))
        if git.get("default_branch"):
            rows.append(("default branch", str(git["default_branch"])))
        rows.append(("commits", f"{git.get('commits', 0):,}"))
        rows.append(("blobs read", f"{s.files:,}"))
        rows.append(("history", "partial (shallow clone)" if git.get("shallow") else "complete"))
    else:
        label = {"web": "site", "staged": "repository"}.get(s.command, "paths")
        rows.append((label, ", ".join(s.targets) or "."))
        what = {"web": "pages and scripts fetched", "staged": "staged files"}.get(s.command)
        rows.append((what or "files read", f"{s.files:,}"))
    if s.bytes:
        rows.append(("size read", _size(s.bytes)))
    baseline = s.properties.get("baseline")
    if isinstance(baseline, Mapping):
        rows.append(("baseline", f"{baseline.get('suppressed', 0)} known finding(s) left out"))
    return rows


def _rules(findings: Iterable[Finding]) -> list[Any]:
    seen = {f.rule.id: f.rule for f in findings}
    return [seen[k] for k in sorted(seen)]


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{n} bytes"  # (not reached)


# -- escaping and masking ------------------------------------------------------------------

_Masker = tuple[re.Pattern[str], Mapping[str, str]]
_MASK: contextvars.ContextVar[_Masker | None] = contextvars.ContextVar("mask", default=None)
# C0/C1 controls (but tab and newline) and the bidirectional overrides and isolates
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _masker(forms: Mapping[str, str]) -> _Masker | None:
    """A pattern of every form (``mask.values``) and the mask each is replaced with."""
    values = [v for v in forms if len(v) >= 6]
    if not values:
        return None
    pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
    return pattern, forms


def _finalize(value: Any) -> Any:
    """Every ``{{ ... }}``: no raw secret, no invisible control character.  (Markup is ours.)"""
    if value is None or isinstance(value, Markup) or not isinstance(value, str):
        return "" if value is None else value
    masker = _MASK.get()
    if masker is not None:
        pattern, masks = masker
        value = pattern.sub(lambda m: masks[m.group()], value)
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def _https(url: Any) -> str | None:
    """A link target only for http(s) URLs (a user's pack could say ``javascript:``)."""
    return url if isinstance(url, str) and re.match(r"https?://[^\s\"'<>]+$", url) else None


def _date(iso: Any) -> str:
    t = timeline.when(iso)
    return t.strftime("%Y-%m-%d") if t else ""


def _masked(f: Finding) -> str:
    return f.redacted if f.rule.is_secret else f.secret


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scanner", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(https=_https, date=_date, masked=_masked, redact=redact)
    return env


@lru_cache(maxsize=1)
def _css() -> str:
    from importlib.resources import files

    css = files("scanner").joinpath("templates", "report.css").read_text(encoding="utf-8")
    assert "</" not in css  # static, ours: nothing can close the <style> element
    return css
