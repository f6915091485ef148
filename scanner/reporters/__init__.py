"""Reporters turn findings into text, JSON, SARIF or HTML.  ``REPORTERS`` is the explicit registry.

A format that needs an optional package names it in ``NEEDS``; ``require`` checks it is installed
(without importing it) before a scan starts, so nothing else pays for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from scanner.errors import ConfigError
from scanner.finding import Finding
from scanner.rules import Rule

if TYPE_CHECKING:
    from scanner.pipeline import Result


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
    hidden: Mapping[str, str] = field(default_factory=dict)  # dropped values' forms: their masks
    targets: Sequence[str] = ()  # what was scanned: paths, a URL, a repository

    @classmethod
    def of(cls, result: Result, **options: Any) -> ReportContext:
        """What a reporter needs of a scan's ``Result``; ``options``: the user's choices
        (``show_secrets``, ``color``, ``verbose``, ``sarif_category``, ``rules``)."""
        return cls(
            command=result.command,
            warnings=tuple(result.warnings),
            files=result.files,
            bytes=result.bytes,
            properties=result.properties,
            hidden={v: m for f, _ in result.dropped for v, m in f.masks.items()},
            **options,
        )


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


def _html(findings: Sequence[Finding], out: TextIO, ctx: ReportContext) -> None:
    from scanner.reporters import html

    html.write(findings, out, ctx)


# Imports are deferred so `lekk staged` does not pay for formats it does not print.
REPORTERS: dict[str, Reporter] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "html": _html,
}

# format -> (module it imports, what to tell the user)
NEEDS: dict[str, tuple[str, str]] = {
    "html": ("jinja2", "Jinja2: pip install 'lekk[html]'"),
}


def require(fmt: str) -> None:
    """ConfigError (one line, exit 2) when ``fmt`` needs a package that is not installed."""
    need = NEEDS.get(fmt)
    if need is None:
        return
    from importlib.util import find_spec

    try:
        found = find_spec(need[0]) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ConfigError(f"--format {fmt} needs {need[1]}")
