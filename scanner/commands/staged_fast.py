"""``lekk staged`` without click: the command a pre-commit hook runs at every commit.

Importing click and the CLI cost about a third of ``lekk staged``'s start-up (docs/bench.md),
so ``lekk staged`` with the options a hook's ``args:`` give (``--name VALUE``,
``--name=VALUE``, ``-x VALUE``, flags alone) is parsed here and run through the same steps as
``commands.staged``.  Anything else (a path, a combined ``-qv``, ``-cFILE``, ``--help``, a
value click would refuse) is left to the CLI, so its answers and errors stay click's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.sources.git.cmd import Git
    from scanner.sources.git.staged import Entry

# `lekk staged`'s options as its click command declares them (commands/common.py)
FLAGS = {
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
    "-v": ("verbose", True),
    "--verbose": ("verbose", True),
    "--show-secrets": ("show_secrets", True),
    "--exit-zero": ("exit_zero", True),
    "--color": ("color", True),
    "--no-color": ("color", False),
    "--verify": ("verify", True),
    "--only-live": ("only_live", True),
}
VALUES = {
    "-c": "config_file",
    "--config": "config_file",
    "-e": "exclude",
    "--exclude": "exclude",
    "--format": "fmt",
    "-o": "output",
    "--output": "output",
    "--baseline": "baseline_file",
    "--sarif-category": "sarif_category",
}


def main(args: Sequence[str]) -> int | None:
    """``lekk staged ARGS``' exit code; None when only the CLI can parse ``args``."""
    kw = options(args)
    return None if kw is None else run(kw)


def options(args: Sequence[str]) -> dict[str, Any] | None:
    """The keyword arguments ``commands.staged.staged`` gets for ``args``; None for the CLI."""
    from scanner.reporters import REPORTERS

    kw: dict[str, Any] = {
        "fmt": "text",
        "output": None,
        "config_file": None,
        "baseline_file": None,
        "sarif_category": None,
        "color": None,
        "exclude": (),
        **{name: False for name, on in FLAGS.values() if on is True},
    }
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg in FLAGS:
            flag, on = FLAGS[arg]
            kw[flag] = on
            continue
        opt, eq, value = arg.partition("=")
        if opt not in VALUES or (eq and not opt.startswith("--")):
            return None
        if not eq:
            if not rest:
                return None
            value = rest.pop(0)
        name = VALUES[opt]
        if not value or value.startswith("-") or not _plain(name, value, REPORTERS):
            return None
        kw[name] = (*kw[name], value) if name == "exclude" else value
    return kw


def _plain(name: str, value: str, formats: Sequence[str] | dict[str, Any]) -> bool:
    """A value click takes as it is (its checks: a choice, a path that is not a folder, a
    report file it can write)."""
    if name == "fmt":
        return value in formats
    if name in ("config_file", "baseline_file"):
        return not os.path.isdir(value)
    if name == "output":
        return not os.path.exists(value) or (os.path.isfile(value) and os.access(value, os.W_OK))
    return True


def run(kw: dict[str, Any], git: Git | None = None, entries: list[Entry] | None = None) -> int:
    """What ``commands.staged.staged`` runs for the current directory, errors included (one
    line, exit 2); ``git`` and ``entries``: the index already read (the hook's)."""
    from pathlib import Path

    from scanner.commands.output import Output, execute, guard, load_config_and_rules
    from scanner.sources.git.source import StagedSource

    def scan() -> int:
        excludes = kw.pop("exclude")
        config_file = kw.pop("config_file")
        out = Output.from_kwargs(kw)
        source = StagedSource(".", git, entries)
        cfg, rules = load_config_and_rules(config_file, [Path(".")])
        return execute(source, out, cfg, rules, excludes=excludes, targets=["."])

    return guard(scan)
