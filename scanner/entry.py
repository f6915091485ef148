"""The ``lekk`` command's entry point (and ``python -m scanner``).

``lekk staged`` with the plain options a git hook gives runs without importing click or the
CLI (``commands.staged_fast``: start-up at every commit); ``lekk git`` starts its blob stream
first (``sources.git.early``); everything goes on in the click CLI, ``scanner.cli.main``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["staged"]:
        from scanner.commands import staged_fast

        code = staged_fast.main(args[1:])
        if code is not None:
            return code
    if args[:1] == ["git"]:  # the blob stream starts while the CLI imports (git.early)
        from scanner.sources.git import early

        early.start(args[1:])
    from scanner.cli import main as cli_main

    return cli_main(args)
