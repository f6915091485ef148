"""Text report for a person at a terminal: grouped by file, colour only on a TTY."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TextIO

from scanner import mask
from scanner.finding import Finding, redact
from scanner.mask import values
from scanner.reporters import ReportContext, summary
from scanner.safetext import for_terminal as esc

HISTORY_KEYS = (
    "commit",
    "still_in_head",
    "removed_in",
    "refs",
    "first_seen",
    "also",
    "verification",
)
_COLOURS = {"error": "31", "warning": "33", "note": "36", "path": "1", "dim": "2"}


def _c(ctx: ReportContext, what: str, text: str) -> str:
    return f"\x1b[{_COLOURS[what]}m{text}\x1b[0m" if ctx.color else text


def write(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    show = ctx.show_secrets
    secrets = {**ctx.hidden, **values(findings)}  # every form of every value, dropped ones too
    for path, group in groupby(findings, key=lambda f: f.path):
        out.write(_c(ctx, "path", esc(path)) + "\n")
        for f in group:
            sev = _c(ctx, f.severity, f.severity)
            out.write(f"  {esc(path)}:{f.line}:{f.column}: {sev} {f.rule.id} {esc(f.rule.name)}\n")
            secret = f.secret if show else f.redacted
            if f.rule.is_secret:
                enc = f" (decoded from {f.encoding})" if f.encoding else ""
                out.write(f"    secret: {esc(secret)}{enc}\n")
            else:
                out.write(f"    flagged: {esc(f.secret)}\n")  # a name, a URL's host, a header
            if f.origin:
                out.write(f"    origin: {esc(str(f.origin['path']))}:{f.origin['line']}\n")
            if f.client_side:
                out.write("    ships to the browser: every visitor downloads this value\n")
            if f.context:
                ctx_items = ", ".join(
                    f"{k}={v if show else redact(v)}" for k, v in sorted(f.context.items())
                )
                out.write(f"    context: {esc(ctx_items)}\n")
            for key in HISTORY_KEYS:
                if key in f.extra and f.extra[key] not in (None, {"count": 0, "locations": []}):
                    out.write(f"    {key}: {esc(_fmt(f.extra[key]))}\n")
            if f.snippet:
                keep = "" if f.rule.is_secret else f.secret  # a lint span is shown as-is
                snip = f.snippet[: mask.WIDTH] if show else mask.mask(f.snippet, secrets, keep)
                out.write(_c(ctx, "dim", f"    | {esc(snip)}") + "\n")
            out.write(f"    fix: {esc(f.rule.remediation.action)}\n")
            out.write(f"    see: {esc(f.rule.remediation.url)}\n")
        out.write("\n")
    out.write(summary(findings, ctx.files) + "\n")


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
