"""Options shared by every scanning command, and the report-and-exit step they end with."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scanner.config import Config
from scanner.errors import ConfigError
from scanner.reporters import REPORTERS, ReportContext, require, summary
from scanner.rules import Rule
from scanner.sources import Source

if TYPE_CHECKING:
    from scanner.pipeline import Result
from scanner.safetext import for_terminal

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


@dataclass(frozen=True)
class Output:
    fmt: str
    output: str | None
    show_secrets: bool
    exit_zero: bool
    quiet: bool
    verbose: bool
    color: bool | None
    baseline: str | None = None
    sarif_category: str | None = None
    verify: bool = False
    only_live: bool = False

    @classmethod
    def from_kwargs(cls, kw: dict[str, Any]) -> Output:
        require(kw["fmt"])  # before the scan: an HTML report needs Jinja2
        return cls(
            fmt=kw.pop("fmt"),
            output=kw.pop("output"),
            show_secrets=kw.pop("show_secrets"),
            exit_zero=kw.pop("exit_zero"),
            quiet=kw.pop("quiet"),
            verbose=kw.pop("verbose"),
            color=kw.pop("color"),
            baseline=kw.pop("baseline_file", None),
            sarif_category=kw.pop("sarif_category", None),
            verify=kw.pop("verify", False),
            only_live=kw.pop("only_live", False),
        )


def load_config_and_rules(
    config_file: str | None, roots: Sequence[Path]
) -> tuple[Config, list[Rule]]:
    from scanner import config as config_mod

    return config_mod.rules_for(config_mod.load(config_file, roots))


def warn(quiet: bool, prefix: str = "lekk: warning") -> Callable[[str], None]:
    def say(msg: str) -> None:
        if not quiet:
            click.echo(f"{prefix}: {for_terminal(msg)}", err=True)

    return say


def execute(
    source: Source,
    out: Output,
    cfg: Config,
    rules: Sequence[Rule],
    jobs: int | None = None,
    excludes: Sequence[str] = (),
    targets: Sequence[str] = (),
    judge: Callable[[Result], None] | None = None,
) -> int:
    """Scan ``source`` through the pipeline and write the report; the exit code (0 clean,
    1 findings).  ``targets``: what the user asked to scan, as the HTML report names it;
    ``judge`` sees the result first and may raise instead (``lekk web`` does when a limit cut
    the crawl short)."""
    from scanner import pipeline

    if out.verbose and not out.quiet:
        click.echo(f"lekk: {for_terminal(cfg.describe())}", err=True)
    settings = pipeline.Settings(
        rules=tuple(rules),
        config=cfg,
        baseline=out.baseline,
        verify=out.verify or out.only_live,
        only_live=out.only_live,
        jobs=jobs,
        excludes=tuple(excludes),
    )
    result = pipeline.run(source, settings, warn=warn(out.quiet), info=warn(out.quiet, "lekk"))
    if judge is not None:
        judge(result)
    return report(result, out, rules, targets)


def report(result: Result, out: Output, rules: Sequence[Rule], targets: Sequence[str] = ()) -> int:
    """Write the report and return the exit code (0 clean, 1 findings)."""
    if out.verbose and not out.quiet:
        for f, why in result.dropped:
            click.echo(
                for_terminal(f"lekk: dropped {f.rule.id} at {f.path}:{f.line}: {why}"), err=True
            )
    stream_is_tty = out.output is None and sys.stdout.isatty()
    color = out.color if out.color is not None else (stream_is_tty and "NO_COLOR" not in os.environ)
    ctx = ReportContext.of(
        result,
        show_secrets=out.show_secrets,
        color=bool(color) and out.fmt == "text",
        verbose=out.verbose,
        rules=rules,
        sarif_category=out.sarif_category,
        targets=tuple(targets),
    )
    writer = REPORTERS[out.fmt]
    if out.output:
        try:
            with open(out.output, "w", encoding="utf-8") as fh:
                writer(result.findings, fh, ctx)
        except OSError as exc:
            raise ConfigError(f"{out.output}: cannot write the report: {exc.strerror}") from None
        if not out.quiet:  # the report went to the file: the summary still reaches the user
            click.echo(
                f"{summary(result.findings, result.files)}; report in {out.output}", err=True
            )
    else:
        writer(result.findings, sys.stdout, ctx)
        sys.stdout.flush()
    return 0 if out.exit_zero or not result.findings else 1
