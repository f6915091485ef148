"""The step every scanning command ends with: run the pipeline, write the report, exit code.

No click here: the pre-commit hook (``scanner.hooks``) runs ``lekk staged`` through these
functions without paying for the CLI's import (docs/bench.md).  ``commands.common`` re-exports
them beside the click options.  ``guard`` is the one place that turns an error into an exit
code (2 for a usage or input error, 3 for a bug in lekk).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.errors import ConfigError, ScanError
from scanner.safetext import for_terminal

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.pipeline import Result
    from scanner.rules import Rule
    from scanner.sources import Source


def echo_err(msg: str) -> None:
    """One line on stderr (as ``click.echo(msg, err=True)``)."""
    print(msg, file=sys.stderr, flush=True)


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
        from scanner.reporters import require

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
            echo_err(f"{prefix}: {for_terminal(msg)}")

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
        echo_err(f"lekk: {for_terminal(cfg.describe())}")
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
    from scanner.reporters import REPORTERS, ReportContext, summary

    if out.verbose and not out.quiet:
        for f, why in result.dropped:
            echo_err(for_terminal(f"lekk: dropped {f.rule.id} at {f.path}:{f.line}: {why}"))
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
            echo_err(f"{summary(result.findings, result.files)}; report in {out.output}")
    else:
        writer(result.findings, sys.stdout, ctx)
        sys.stdout.flush()
    return 0 if out.exit_zero or not result.findings else 1


def guard(run: Callable[[], int], debug: Callable[[], bool] = lambda: False) -> int:
    """``run()``'s exit code, or the exit code of the error it raised, said in one line
    (``debug()`` or ``LEKK_DEBUG=1``: the traceback of a bug)."""
    try:
        return run()
    except ScanError as exc:
        echo_err(f"lekk: error: {for_terminal(str(exc))}")
        return 2
    except KeyboardInterrupt:
        echo_err("lekk: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the one place that catches everything: exit 3
        return _internal_error(exc, debug() or bool(os.environ.get("LEKK_DEBUG")))


def _internal_error(exc: Exception, debug: bool) -> int:
    """A bug in lekk: one line, or the whole traceback with ``--debug``/``LEKK_DEBUG=1``."""
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
        echo_err("lekk: internal error (exit 3): please report it with the traceback above")
    else:
        echo_err(
            f"lekk: internal error: {type(exc).__name__}: {for_terminal(str(exc))} (a bug in "
            "lekk: run again with --debug for the traceback and report it)"
        )
    return 3
