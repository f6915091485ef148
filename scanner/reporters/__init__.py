"""Reporters turn findings into text, JSON or SARIF.  ``REPORTERS`` is the explicit registry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from scanner.finding import Finding
from scanner.rules import Rule


@dataclass(frozen=True)
class ReportContext:
    show_secrets: bool = False
    color: bool = False
    verbose: bool = False
    command: str = "scan"
    rules: Sequence[Rule] = ()
    warnings: Sequence[str] = ()
    files: int = 0
    bytes: int = 0
    properties: Mapping[str, Any] = field(default_factory=dict)
    sarif_category: str | None = None
    hidden: frozenset[str] = frozenset()  # forms of values not reported (dropped), to mask too


def summary(findings: Sequence[Finding], files: int) -> str:
    """The one-line summary that ends the text report (and goes to stderr with ``-o FILE``)."""
    if not findings:
        return f"lekk: no leaks found in {files} file(s) scanned"
    counts = Counter(f.severity for f in findings)
    by = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "note") if counts[s])
    return f"lekk: {len(findings)} finding(s) ({by}) in {files} file(s) scanned"


class Reporter(Protocol):
    def __call__(self, findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None: ...


def _text(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    from scanner.reporters import text

    text.write(findings, out, ctx)


def _json(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    from scanner.reporters import json

    json.write(findings, out, ctx)


def _sarif(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    from scanner.reporters import sarif

    sarif.write(findings, out, ctx)


# Imports are deferred so `lekk staged` does not pay for formats it does not print.
REPORTERS: dict[str, Reporter] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
}
