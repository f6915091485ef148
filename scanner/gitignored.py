"""``tracked-dotenv``: keep a finding only when git has, or would take, the file.

The engine reports every credential line in a dotenv file.  In ``staged`` scans the file is about
to be committed, so those findings stand; history scans drop them (``still_tracked``).  In a file
scan, ``settle`` asks git
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


def ignore_state(real: str) -> str | None:
    """None when git would take the file; else why not (ignored, or not in a work tree)."""
    # the git source's safety settings and scrubbed environment (no hook's GIT_DIR leaks in)
    from scanner.sources.git.cmd import SAFE_CONFIG, safe_env

    directory, name = os.path.split(os.path.abspath(real))
    safe = [arg for setting in SAFE_CONFIG for arg in ("-c", setting)]
    try:
        proc = subprocess.run(
            ["git", *safe, "-C", directory, "check-ignore", "-q", "--", name],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=safe_env(),
            timeout=20,
            check=False,
        )
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
    """History scans report what leaked, not what is tracked now: ``tracked-dotenv`` findings
    attributed to a commit are dropped (``lekk scan`` reports a dotenv file tracked at HEAD,
    ``lekk staged`` one about to be committed; the secret rules report what history leaked).
    History merges findings by value, and a lint span (a variable name) is no value.
    """
    for f in findings:
        if f.rule.id == RULE_ID and "still_in_head" in f.extra:
            on_drop(f, "history scan: `lekk scan` and `lekk staged` report tracked dotenv files")
        else:
            yield f
