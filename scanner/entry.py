"""The ``lekk`` command's entry point (and ``python -m scanner``).

``lekk staged`` with the plain options a git hook gives runs without importing click or the
CLI (``commands.staged_fast``: start-up at every commit); ``lekk git`` starts its blob stream
first (``sources.git.early``); everything goes on in the click CLI, ``scanner.cli.main``.
The process then ends without the interpreter's teardown (``quick_exit``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn


def run() -> NoReturn:
    """The ``lekk`` command: ``main`` with the process's arguments, then ``quick_exit``."""
    quick_exit(main())


def quick_exit(code: int) -> NoReturn:
    """End the process with ``code`` and without the interpreter's teardown.

    Freeing every module and object at exit took 13-56 ms of a run here (a tenth of a history
    scan of jQuery, as long as a pre-commit hook's scan of its blob).  What an exit does that
    matters still happens: the ``atexit`` handlers run (``weakref.finalize``, temporary
    directories, multiprocessing's pools, logging, coverage) and stdout and stderr are flushed;
    reports and caches are written and closed before ``main`` returns.  While a thread that is
    not a daemon is still running, the ordinary exit is kept: it waits for the thread; and
    under a profiler or a debugger, which has its say once the program is over.
    """
    import atexit
    import contextlib
    import threading

    main_thread = threading.main_thread()
    if any(t.is_alive() and not t.daemon and t is not main_thread for t in threading.enumerate()):
        sys.exit(code)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or debugger (``python -m cProfile -m scanner``) reports after
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):  # (None: started without it, `lekk ... >&-`)
        with contextlib.suppress(OSError, ValueError, AttributeError):  # (`lekk ... | head`)
            stream.flush()
    os._exit(code)


def std_streams() -> None:
    """A process started with stdout or stderr closed (``lekk ... >&-``) has None there: what
    would go to it goes nowhere, and the exit code still tells the findings."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    std_streams()
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
