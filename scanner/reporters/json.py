"""JSON report: ``{"version": 1, "tool": {...}, "findings": [...]}`` (see README, "JSON format")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from scanner import __version__
from scanner.finding import Finding, redact
from scanner.reporters import ReportContext

FORMAT_VERSION = 1


def remediation(f: Finding) -> dict[str, Any]:
    rem = f.rule.remediation
    out: dict[str, Any] = {"url": rem.url, "action": rem.action}
    if rem.urls:
        out["urls"] = list(rem.urls)
    if rem.steps:
        out["steps"] = list(rem.steps)
    return out


def finding_dict(f: Finding, show_secrets: bool) -> dict[str, Any]:
    shown = (lambda v: v) if show_secrets else redact
    d: dict[str, Any] = {
        "rule": f.rule.id,
        "name": f.rule.name,
        "provider": f.rule.provider,
        "kind": f.rule.kind,
        "severity": f.severity,
        "confidence": f.rule.confidence,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        # a lint rule's span is a variable name, a URL's host or a header: never a credential
        "secret": (f.secret if show_secrets else f.redacted) if f.rule.is_secret else f.secret,
        "fingerprint": f.fingerprint,
        "remediation": remediation(f),
    }
    if f.origin:
        d["origin"] = dict(f.origin)
    if f.encoding:
        d["encoding"] = f.encoding
    if f.context:
        d["context"] = {k: shown(v) for k, v in f.context.items()}
    if f.client_side:
        d["client_side"] = True
    for key, value in f.extra.items():
        d.setdefault(key, value)
    return d


def write(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    doc = {
        "version": FORMAT_VERSION,
        "tool": {"name": "lekk", "version": __version__},
        "command": ctx.command,
        "findings": [finding_dict(f, ctx.show_secrets) for f in findings],
        "warnings": list(ctx.warnings),
        "summary": {"findings": len(findings), "files": ctx.files, "bytes": ctx.bytes},
    }
    doc.update(ctx.properties)
    json.dump(doc, out, indent=2, ensure_ascii=False)
    out.write("\n")
