"""Rules with ``git_tracked`` (``tracked-dotenv``): a finding stands only where git has, or would
take, the file.

In ``staged`` scans the file is about to be committed, so those findings stand; history scans
keep them only at the tip of the default branch.  In a file scan, ``settle`` asks git whether the
file is ignored: ignored files are dropped, and so are files outside any git work tree (there is
nothing to commit them to).  A tracked file is never "ignored" to git, so it stays.

Git runs with hooks and fsmonitor switched off (a scanned repository is untrusted: its config
must not make us run its code) and reads nothing but the index and the ignore files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from scanner.finding import Finding


def ignore_state(real: str) -> str | None:
    """None when git would take the file; else why not (ignored, or not in a work tree)."""
    # git as every part of lekk starts it: no configured program, no fetch, no hook's GIT_DIR
    from scanner.errors import SourceError
    from scanner.sources.git.cmd import Git

    directory, name = os.path.split(os.path.abspath(real))
    try:
        code, _, _ = Git(directory).run_status("check-ignore", "-q", "--", name, timeout=20)
    except SourceError:
        return "git is not available to tell whether the file is ignored"
    if code == 0:
        return "ignored by git (.gitignore)"
    if code == 1:
        return None
    return "not in a git work tree"


def settle(
    findings: Iterable[Finding],
    real_path: Callable[[str], str | None],
    drop: Callable[[Finding, str], None],
) -> Iterator[Finding]:
    """Findings of ``git_tracked`` rules stand only where git tracks the file or would take it;
    ``real_path`` maps a reported path to the file on disk (None: not a file on disk)."""
    cache: dict[str, str | None] = {}
    for f in findings:
        if not f.rule.git_tracked:
            yield f
            continue
        real = real_path(f.path)
        if real is None:
            drop(f, "not a file in a git work tree")
            continue
        if real not in cache:
            cache[real] = ignore_state(real)
        why = cache[real]
        if why is None:
            yield f
        else:
            drop(f, why)
