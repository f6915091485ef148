"""The ``lekk`` command: a thin click group.  Commands live in ``scanner/commands/`` and load lazily.

Exit codes: 0 no findings, 1 findings, 2 usage or input error, 3 internal error.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from scanner import __version__

# name -> "module:attribute"; explicit, loaded only when the command runs (fast start-up).
COMMANDS: dict[str, str] = {
    "scan": "scanner.commands.scan:scan",
    "rules": "scanner.commands.rules:rules",
    "git": "scanner.commands.git:git",
    "staged": "scanner.commands.staged:staged",
    "web": "scanner.commands.web:web",
    "explain": "scanner.commands.explain:explain",
    "baseline": "scanner.commands.baseline:baseline",
    "audit": "scanner.commands.audit:audit",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        cmd = getattr(importlib.import_module(module), attr)
        assert isinstance(cmd, click.Command)
        return cmd


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from scanner import fastscan

    prefilter = "C extension" if fastscan.available() else "pure Python"
    click.echo(f"lekk, version {__version__} (prefilter: {prefilter})")
    ctx.exit()


_debug = False


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    global _debug
    _debug = _debug or value


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="On an internal error, print the traceback (also LEKK_DEBUG=1).",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version (and whether the C prefilter is in use) and exit.",
)
def cli() -> None:
    """Find leaked Vipps MobilePay and SagaPay API credentials.

    Exit codes: 0 no findings, 1 findings, 2 usage or input error, 3 internal error.
    """


def main(argv: Sequence[str] | None = None) -> int:
    from scanner.commands.output import echo_err, guard
    from scanner.safetext import for_terminal

    def run() -> int:
        try:
            rv = cli.main(
                args=list(argv) if argv is not None else None,
                prog_name="lekk",
                standalone_mode=False,
            )
        except click.exceptions.Abort:
            echo_err("lekk: aborted")
            return 130
        except click.exceptions.NoArgsIsHelpError as exc:  # `lekk` alone: the help, as --help
            exc.show()
            return 2
        except click.ClickException as exc:
            echo_err(f"lekk: error: {for_terminal(_one_line(exc))}")
            return 2 if exc.exit_code in (1, 2) else exc.exit_code
        except click.exceptions.Exit as exc:
            return int(exc.exit_code)
        return int(rv or 0)

    return guard(run, lambda: _debug)


def _one_line(exc: click.ClickException) -> str:
    """A usage error as one line: click's message, and where the command's help is (click's
    own output is a usage block, a hint and the message over four lines)."""
    msg = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        msg += ("" if msg.endswith((".", "?", "!")) else ".") + f" See '{ctx.command_path} --help'."
    return msg


if __name__ == "__main__":
    sys.exit(main())
