"""``tracked-dotenv``: keep a finding only when git has, or would take, the file.

The engine reports every credential line in a dotenv file.  In ``staged`` scans the file is about
to be committed, so those findings stand; in history scans ``still_tracked`` keeps those whose file
is still in HEAD.  In a file scan, ``settle`` asks git
whether the file is ignored: ignored files are dropped, and so are files outside any git work
tree (there is nothing to commit them to).  A tracked file is never "ignored" to git, so it stays.

Git runs with hooks and fsmonitor switched off (a scanned repository is untrusted: its config
must not make us run its code) and reads nothing but the index and the ignore files.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping

from scanner.finding import Finding

RULE_ID = "tracked-dotenv"
_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
         "-c", "core.untrackedCache=false")  # fmt: skip


def ignore_state(real: str) -> str | None:
    """None when git would take the file; else why not (ignored, or not in a work tree)."""
    directory, name = os.path.split(os.path.abspath(real))
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run(
            ["git", *_SAFE, "-C", directory, "check-ignore", "-q", "--", name],
            stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=20, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "git is not available to tell whether the file is ignored"
    if proc.returncode == 0:
        return "ignored by git (.gitignore)"
    if proc.returncode == 1:
        return None
    return "not in a git work tree"


def settle(
    findings: Iterable[Finding],
    real_paths: Mapping[str, str],
    on_drop: Callable[[Finding, str], None],
) -> Iterator[Finding]:
    """Pass every finding through, except ``tracked-dotenv`` ones on files git would not take."""
    cache: dict[str, str | None] = {}
    for f in findings:
        if f.rule.id != RULE_ID:
            yield f
            continue
        real = real_paths.get(f.path)
        if real is None:
            on_drop(f, "not a file in a git work tree")
            continue
        if real not in cache:
            cache[real] = ignore_state(real)
        why = cache[real]
        if why is None:
            yield f
        else:
            on_drop(f, why)


def still_tracked(
    findings: Iterable[Finding], on_drop: Callable[[Finding, str], None]
) -> Iterator[Finding]:
    """History scans: a ``tracked-dotenv`` finding stands only while its file is in HEAD.

    A dotenv file committed once and since removed is no longer tracked; what it leaked is
    reported by the secret rules, at the commit that added it.
    """
    for f in findings:
        if f.rule.id == RULE_ID and f.extra.get("still_in_head") is False:
            on_drop(f, "no longer in HEAD (the secret rules report what it leaked)")
        else:
            yield f
