"""``lekk git``'s blob stream, started before the CLI is even imported.

A whole-history scan spends its first ~100 ms importing click, the reporters and the rules, and
git can inflate the first blobs meanwhile (``cat-file`` reads ahead into a bounded buffer,
``blobs.Prefetch``).  So the entry point (``scanner.entry``) reads the command line the cheap
way and, for ``lekk git [REPO] [options]`` with no range, ``--branch``, ``--since-commit`` or
``--jobs``, starts the stream ``HistorySource`` would start: ``rev-list --objects --all |
cat-file --batch`` with the same safe ``cmd.Git``.  ``HistorySource`` takes it if its own
reading of the command (click's) asks for exactly that stream; otherwise, and on any error
before, the stream is killed.  Speculation only: anything unexpected here starts nothing, and
the real path reports every problem as before.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scanner.sources.git.cmd import Git

if TYPE_CHECKING:
    from scanner.sources.git.history import BlobStream

# `lekk git`'s options (tests/git_early_test.py holds these to the click command's)
VALUE_OPTIONS = frozenset(
    {"-e", "--exclude", "--format", "-o", "--output", "-c", "--config", "--baseline"}
    | {"--sarif-category"}
)
FLAG_OPTIONS = frozenset(
    {"--show-secrets", "--exit-zero", "-q", "--quiet", "-v", "--verbose", "--color"}
    | {"--no-color", "--verify", "--only-live"}
)
# options that change which blobs are read, or how: the real path decides those alone
OTHER_STREAM = frozenset({"--since-commit", "--branch", "-j", "--jobs"})

_started: tuple[str, BlobStream] | None = None


def repository(args: Sequence[str]) -> str | None:
    """The REPO of ``lekk git ARGS`` when ARGS ask for the whole history with the default
    workers, else None (a range, an option that changes the stream, anything unknown)."""
    positional: list[str] = []
    it = iter(args)
    for a in it:
        if a == "--" or a in OTHER_STREAM:
            return None
        if a.startswith("-") and a != "-":
            name, eq, _ = a.partition("=")
            if name in VALUE_OPTIONS:
                if not eq and next(it, None) is None:
                    return None
            elif eq or name not in FLAG_OPTIONS:
                return None  # --help, a cluster of short flags, a typo: click's to say
        else:
            positional.append(a)
    if len(positional) > 1:
        return None
    where = positional[0] if positional else "."
    if ".." in where and not os.path.isdir(where):
        return None  # a range given in REPO's place
    return where


def start(args: Sequence[str]) -> None:
    """Start the whole-history stream for ``lekk git ARGS`` if ARGS ask for it."""
    global _started
    where = repository(args)
    if where is None or not os.path.isdir(where):
        return
    from scanner.sources.git import history

    try:
        stream = history.serial_stream(Git(where), ["--all"], history.default_jobs())
    except Exception:  # a guess failed: the real path will say why
        return
    if stream is None:  # no commit, or a large history on several cores: workers' streams
        return
    _started = (where, stream)
    atexit.register(drop)


def take(where: str, spec: Sequence[str], jobs: int) -> BlobStream | None:
    """The stream started for ``where`` if it is the one asked for; any other is killed."""
    global _started
    got, _started = _started, None
    if got is None:
        return None
    from scanner.sources.git.history import default_jobs

    if got[0] == where and list(spec) == ["--all"] and jobs == default_jobs():
        return got[1]
    got[1].kill()
    return None


def drop() -> None:
    """Kill a stream nobody took (the command failed before it was read)."""
    take("", (), 0)
