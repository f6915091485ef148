"""Options shared by every scanning command; the report-and-exit step they end with is
``commands.output`` (no click there: the pre-commit hook uses it), re-exported here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from scanner.commands.output import Output, execute, load_config_and_rules, report, warn
from scanner.reporters import REPORTERS

__all__ = [
    "Output",
    "config_option",
    "exclude_option",
    "execute",
    "jobs_option",
    "load_config_and_rules",
    "output_options",
    "report",
    "warn",
]

F = TypeVar("F", bound=Callable[..., Any])


def config_option(
    what: str = "Config file (default: the nearest .lekk.toml or pyproject.toml with "
    "[tool.lekk], from the scanned path up to the repository root).",
) -> Callable[[F], F]:
    return click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False), help=what)


def exclude_option(
    what: str = "Skip paths matching GLOB (repeatable), e.g. 'vendor/**' or '*.min.js'.",
) -> Callable[[F], F]:
    return click.option("-e", "--exclude", multiple=True, metavar="GLOB", help=what)


def jobs_option(what: str = "Worker processes (default: one per core).") -> Callable[[F], F]:
    return click.option("-j", "--jobs", type=click.IntRange(1), default=None, help=what)


def output_options(fn: F) -> F:
    """--format, --output, --show-secrets, --exit-zero, --config, --quiet/--verbose, --color,
    --baseline, --sarif-category, --verify, --only-live."""
    decorators = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(sorted(REPORTERS)),
            default="text",
            show_default=True,
            help="Report format; html: one self-contained page for people (needs "
            "Jinja2: pip install 'lekk[html]').",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, writable=True),
            help="Write the report to FILE instead of standard output.",
        ),
        click.option(
            "--show-secrets",
            is_flag=True,
            help="Print secrets whole (they are redacted by default; never in SARIF or HTML).",
        ),
        click.option(
            "--exit-zero", is_flag=True, help="Exit 0 even when there are findings (report only)."
        ),
        config_option(),
        click.option(
            "-q", "--quiet", is_flag=True, help="No progress, warnings or summary on stderr."
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            help="Also say which config file is used, and what was dropped and why "
            "(allowlists, placeholders).",
        ),
        click.option(
            "--color/--no-color",
            default=None,
            help="Colour the text report (default: only on a terminal).",
        ),
        click.option(
            "--baseline",
            "baseline_file",
            type=click.Path(dir_okay=False),
            help="Report only findings not in this baseline file (see `lekk baseline`).",
        ),
        click.option(
            "--sarif-category",
            metavar="CATEGORY",
            default=None,
            help="SARIF: the analysis category (automationDetails.id; default "
            "lekk/COMMAND), so GitHub keeps separate scans apart.",
        ),
        click.option(
            "--verify",
            is_flag=True,
            help="Check each distinct credential once against its own provider's "
            "official API (read-only; sends the credential there; see "
            "docs/verify.md).",
        ),
        click.option(
            "--only-live",
            is_flag=True,
            help="Report only credentials verification found active (implies --verify).",
        ),
    ]
    for d in reversed(decorators):
        fn = d(fn)
    return fn
