"""Text report for a person at a terminal: grouped by file, colour only on a TTY."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import TextIO

from scanner.finding import Finding, redact
from scanner.reporters import ReportContext

_COLOURS = {"error": "31", "warning": "33", "note": "36", "path": "1", "dim": "2"}


def _c(ctx: ReportContext, what: str, text: str) -> str:
    return f"\x1b[{_COLOURS[what]}m{text}\x1b[0m" if ctx.color else text


def _snippet(f: Finding, show: bool, others: Mapping[str, str] | None = None) -> str:
    s = f.snippet
    if not show:
        # a minified line often holds several secrets within one window: hide them all
        masks = {**(others or {}), **({f.secret: f.redacted} if f.rule.is_secret else {})}
        for value in sorted(masks, key=len, reverse=True):
            if value and value in s:
                s = s.replace(value, masks[value])
            s = _cut_edges(s, value)
    return s if len(s) <= 160 else s[:157] + "…"


_VALUE = re.compile(
    r"(?<![A-Za-z0-9+/_~-])(?=[A-Za-z_~+/-]*[0-9])(?=[0-9_~+/-]*[A-Za-z])"
    r"[A-Za-z0-9+/_~-]{16,}={0,2}"
)


def _lint_snippet(f: Finding, show: bool, others: Mapping[str, str]) -> str:
    """A lint finding's span is shown as-is; a value on its line that looks like a credential is
    masked even when no secret rule recognised it (a lint rule flags the name, not the value)."""
    s = _snippet(f, show, others)
    if show or f.rule.is_secret:
        return s
    return _VALUE.sub(lambda m: m.group() if m.group() in f.secret else redact(m.group()), s)


def _cut_edges(s: str, value: str) -> str:
    """Mask a secret cut in half by the window's edge (its tail at the start, head at the end)."""
    if len(value) < 8:
        return s
    head, body, tail = s[:1] if s.startswith("…") else "", s, s[-1:] if s.endswith("…") else ""
    body = body[len(head) : len(body) - len(tail)]
    for k in range(len(value) - 1, 3, -1):
        if body.endswith(value[:k]):
            body = body[:-k] + "*" * 8
            break
    for k in range(len(value) - 1, 3, -1):
        if body.startswith(value[-k:]):
            body = "*" * 8 + body[k:]
            break
    return head + body + tail


def write(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    show = ctx.show_secrets
    secrets = (
        {} if show else {f.secret: f.redacted for f in findings if f.secret and f.rule.is_secret}
    )
    for path, group in groupby(findings, key=lambda f: f.path):
        out.write(_c(ctx, "path", path) + "\n")
        for f in group:
            sev = _c(ctx, f.severity, f.severity)
            out.write(f"  {path}:{f.line}:{f.column}: {sev} {f.rule.id} {f.rule.name}\n")
            secret = f.secret if show else f.redacted
            if f.rule.is_secret:
                enc = f" (decoded from {f.encoding})" if f.encoding else ""
                out.write(f"    secret: {secret}{enc}\n")
            else:
                out.write(f"    flagged: {f.secret}\n")  # a name, a URL's host, a header
            if f.origin:
                out.write(f"    origin: {f.origin['path']}:{f.origin['line']}\n")
            if f.client_side:
                out.write("    ships to the browser: every visitor downloads this value\n")
            if f.context:
                ctx_items = ", ".join(
                    f"{k}={v if show else redact(v)}" for k, v in sorted(f.context.items())
                )
                out.write(f"    context: {ctx_items}\n")
            for key in ("commit", "still_in_head", "refs", "first_seen", "also", "verification"):
                if key in f.extra and f.extra[key] != {"count": 0, "locations": []}:
                    out.write(f"    {key}: {_fmt(f.extra[key])}\n")
            if f.snippet:
                snip = _lint_snippet(f, show, secrets)
                out.write(_c(ctx, "dim", f"    | {snip}") + "\n")
            out.write(f"    fix: {f.rule.remediation.action}\n")
            out.write(f"    see: {f.rule.remediation.url}\n")
        out.write("\n")
    for w in ctx.warnings if ctx.verbose else ():
        out.write(f"warning: {w}\n")
    counts = Counter(f.severity for f in findings)
    if findings:
        by = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "note") if counts[s])
        out.write(f"lekk: {len(findings)} finding(s) ({by}) in {ctx.files} file(s) scanned\n")
    else:
        out.write(f"lekk: no leaks found in {ctx.files} file(s) scanned\n")


def _fmt(value: object) -> str:
    if isinstance(value, dict) and "locations" in value:  # git history: the same value elsewhere
        where = [
            f"{x['path']}:{x['line']}" + (f" ({x['commit'][:10]})" if x.get("commit") else "")
            for x in value["locations"]
        ]
        more = value["count"] - len(where)
        tail = f", and {more} more" if more > 0 else ""
        return f"{value['count']} more: " + ", ".join(where) + tail
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
