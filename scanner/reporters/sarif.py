"""SARIF 2.1.0 for GitHub code scanning, built with sarif-om and serialized by jschema-to-python.

What GitHub reads is documented in docs/github.md.  Three things this module guarantees:

- the raw secret is never in the output, not even with ``--show-secrets`` (a last check scrubs
  the serialized bytes for every finding's value);
- ``level`` is written on every result and rule (jschema-to-python drops values equal to the
  sarif-om defaults, and a dropped ``warning`` would read as the rule's ``error``);
- GitHub's limits (25,000 results per run, 10 MB gzipped): beyond them the most severe findings
  are kept and the run's invocation says how many were dropped, per rule.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any, TextIO
from urllib.parse import quote

from scanner import __version__
from scanner.finding import SEVERITY_RANK, Finding
from scanner.reporters import ReportContext
from scanner.reporters.sarif_rules import LIVE_SEVERITY, Variant, descriptor, is_live, variant_of
from scanner.safetext import path_bytes

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/lekk/"
FINGERPRINT_KEY = "lekk/secretFingerprint/v1"
MAX_RESULTS = 25_000
MAX_RELATED = 20  # GitHub shows up to 100 locations per result; a long list helps nobody
MAX_GZIP_BYTES = 10 * 1000 * 1000 - 200_000  # GitHub rejects > 10 MB gzipped; keep a margin
_PERSONAL = {"email"}  # commit metadata we do not copy into SARIF (alerts outlive employment)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _uri(path: str) -> str:
    """A relative, percent-encoded URI.  GitHub rejects URIs whose scheme differs from the
    checkout's, so a fetched URL (``https://host/app.js``) is written as ``host/app.js`` and the
    URL itself goes into the result's properties."""
    p = path_bytes(path).decode("utf-8", "surrogateescape").replace("\\", "/")
    if _SCHEME.match(p):
        p = _SCHEME.sub("", p)
    elif os.path.isabs(p):
        with contextlib.suppress(ValueError):
            p = os.path.relpath(p, os.getcwd()).replace("\\", "/")
    p = str(PurePosixPath(p)).lstrip("/") if p else p
    return quote(p.encode("utf-8", "surrogateescape"), safe="/")  # a name's own bytes


def _commit(f: Finding, key: str = "commit") -> dict[str, Any] | None:
    c = f.extra.get(key)
    if isinstance(c, dict):
        return {k: v for k, v in c.items() if k not in _PERSONAL}
    if isinstance(c, str):
        return {"sha": c}
    return None


def _message(f: Finding, v: Variant) -> str:
    rule = v.rule
    what = (
        rule.name
        if not rule.provider or rule.provider in rule.name
        else (f"{rule.name} ({rule.provider})")
    )
    if not rule.is_secret:  # the span is a name, a host or a header: shown as-is
        return f"{what}: {f.secret}. {rule.remediation.action} See {rule.remediation.url}"
    notes = []
    commit = _commit(f)
    if commit and commit.get("sha"):
        notes.append(f"committed in {str(commit['sha'])[:12]}")
        if f.extra.get("still_in_head") is False:
            notes.append("removed from the tip since, but still in the history")
    if v.test:  # the key's environment; verification shows in the level and the properties
        notes.append("a test key")
    if f.client_side:
        notes.append("it ships to the browser, so every visitor can read it")
    if f.origin:
        notes.append(f"original source {f.origin.get('path')}:{f.origin.get('line')}")
    tail = f" ({'; '.join(notes)})" if notes else ""
    return f"Leaked {what}{tail}. {rule.remediation.action} See {rule.remediation.url}"


def _properties(f: Finding) -> dict[str, Any]:
    props: dict[str, Any] = {"severity": f.severity, "provider": f.rule.provider}
    if _SCHEME.match(f.path):
        props["url"] = f.path
    for key in ("commit", "removed_in"):
        commit = _commit(f, key)
        if commit:
            props[key] = commit
    for key in ("still_in_head", "refs", "first_seen", "verification"):
        if key in f.extra:
            props[key] = f.extra[key]
    also = f.extra.get("also")
    if isinstance(also, dict) and also.get("count"):
        props["also"] = {
            "count": also["count"],
            "locations": list(also.get("locations", []))[:MAX_RELATED],
        }
    if f.encoding:
        props["encoding"] = f.encoding
    if f.client_side:
        props["client_side"] = True
    if f.origin:
        props["origin"] = dict(f.origin)
    if is_live(f):
        props["security-severity"] = LIVE_SEVERITY
    return props


def _priority(f: Finding) -> tuple[int, int, float]:
    v = variant_of(f)
    return (int(is_live(f)), SEVERITY_RANK.get(f.severity, 0), float(v.security_severity))


def select(findings: Sequence[Finding], limit: int) -> tuple[list[Finding], list[Finding]]:
    """Keep the ``limit`` most severe findings (in their original order); return kept, dropped."""
    if len(findings) <= limit:
        return list(findings), []
    ranked = sorted(range(len(findings)), key=lambda i: _priority(findings[i]), reverse=True)
    keep = set(ranked[:limit])
    kept = [f for i, f in enumerate(findings) if i in keep]
    dropped = [f for i, f in enumerate(findings) if i not in keep]
    return kept, dropped


def _location(f: Finding) -> dict[str, Any]:
    return {
        "uri": _uri(f.path),
        "region": {
            "start_line": max(f.line, 1),
            "start_column": max(f.column, 1),
            "end_line": max(f.end_line, f.line, 1),
            "end_column": max(f.end_column, 1 if f.end_line > f.line else f.column + 1),
        },
    }


def build(
    findings: Sequence[Finding],
    ctx: ReportContext,
    *,
    max_results: int = MAX_RESULTS,
    max_gzip_bytes: int = MAX_GZIP_BYTES,
) -> tuple[str, list[Finding]]:
    """The SARIF log as text, and the findings left out to stay inside GitHub's limits."""
    limit = max_results
    while True:
        kept, dropped = select(findings, limit)
        text = _serialize(kept, dropped, ctx)
        size = len(gzip.compress(text.encode("utf-8"), 6))
        if size <= max_gzip_bytes or not kept:
            return _scrub(text, findings), dropped
        limit = max(0, min(len(kept) - 1, int(len(kept) * max_gzip_bytes / size * 0.95)))


def _serialize(kept: Sequence[Finding], dropped: Sequence[Finding], ctx: ReportContext) -> str:
    from scanner.reporters import sarif_log

    variants = sorted({variant_of(f) for f in kept}, key=lambda v: v.id)
    index = {v.id: i for i, v in enumerate(variants)}
    results = []
    for f in kept:
        v = variant_of(f)
        level = "error" if is_live(f) else f.severity
        results.append(
            {
                "rule_id": v.id,
                "rule_index": index[v.id],
                "level": level,
                "message": _message(f, v),
                "location": _location(f),
                "fingerprints": {FINGERPRINT_KEY: f.fingerprint},
                "related": _related(f),
                "properties": _properties(f),
            }
        )
    notes = [w for w in ctx.warnings[:50]]
    if len(ctx.warnings) > 50:
        notes.append(f"{len(ctx.warnings) - 50} more warnings not listed")
    truncation: dict[str, Any] = {}
    if dropped:
        per_rule = Counter(variant_of(f).id for f in dropped)
        notes.insert(
            0,
            (
                f"{len(dropped)} of {len(kept) + len(dropped)} findings left out to stay inside "
                f"GitHub's limits (25,000 results, 10 MB gzipped); the most severe were kept. "
                f"Dropped per rule: {', '.join(f'{k} {n}' for k, n in sorted(per_rule.items()))}. "
                "Run lekk with --format json for the full list."
            ),
        )
        truncation = {"dropped": len(dropped), "dropped_per_rule": dict(sorted(per_rule.items()))}
    if ctx.properties.get("partial"):  # lekk web cut short by a limit, with --allow-partial
        truncation["partial"] = True
    category = (ctx.sarif_category or f"lekk/{ctx.command}").strip()
    if not category.endswith("/"):
        category += "/"
    log = sarif_log.log(
        version=__version__,
        information_uri=INFORMATION_URI,
        schema_uri=SCHEMA_URI,
        rules=[descriptor(v) for v in variants],
        results=results,
        category=category,
        notifications=notes,
        dropped_warning=bool(dropped),
        properties=truncation,
    )
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _related(f: Finding) -> list[dict[str, Any]]:
    """The source-map origin, then other places the same value was committed (history)."""
    out = []
    if f.origin:
        path, line = str(f.origin.get("path", "")), int(f.origin.get("line", 1) or 1)
        out.append(
            {
                "uri": quote(path.replace("\\", "/"), safe="/"),
                "line": max(line, 1),
                "base": False,
                "message": f"Original source (from the source map): {path} line {line}",
            }
        )
    also = f.extra.get("also")
    places = also.get("locations", []) if isinstance(also, dict) else []
    for loc in places[:MAX_RELATED]:
        if not isinstance(loc, dict) or not loc.get("path"):
            continue
        commit = f" in commit {str(loc['commit'])[:12]}" if loc.get("commit") else ""
        out.append(
            {
                "uri": _uri(str(loc["path"])),
                "line": max(int(loc.get("line") or 1), 1),
                "base": True,
                "message": f"The same value, also at {loc['path']}:{loc.get('line')}{commit}",
            }
        )
    return out


def _scrub(text: str, findings: Sequence[Finding]) -> str:
    """Belt and braces: no finding's raw value survives into the bytes, whatever carried it."""
    for f in findings:
        if len(f.secret) < 4 or not f.rule.is_secret:  # a lint span is no secret
            continue
        for form in (f.secret, json.dumps(f.secret, ensure_ascii=False)[1:-1]):
            if form in text:
                text = text.replace(form, f.redacted)
    return text


def write(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    text, dropped = build(findings, ctx)
    if dropped:
        print(
            f"lekk: warning: SARIF: {len(dropped)} less severe finding(s) left out to stay "
            "inside GitHub's limits (see the run's toolExecutionNotifications)",
            file=sys.stderr,
        )
    out.write(text)
