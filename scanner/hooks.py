"""Entry points of the pre-commit hooks (``python -I -m scanner.hooks pre-commit|pre-push [ARGS]``).

Started in isolated mode (``-I``): the hook runs from the repository's root, and without it a
repository's own ``scanner/`` package would run instead of lekk (docs/security.md).

- ``pre-commit``: ``lekk staged`` (the index, not the working tree), after saying so when
  nothing is staged, so a hook never passes silently having scanned nothing.
- ``pre-push``: ``lekk git FROM..TO`` over the commits being pushed.  Under pre-commit the range
  comes from ``PRE_COMMIT_FROM_REF``/``PRE_COMMIT_TO_REF``; when the remote has none of the
  history (pre-commit then sets neither), the whole history of ``PRE_COMMIT_LOCAL_BRANCH`` is
  scanned.  Installed as a plain git hook, the ref lines git writes on stdin are used instead.

Extra ARGS (the hook's ``args:``) go to lekk, e.g. ``--config ci/lekk.toml``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence

from scanner.errors import SourceError
from scanner.sources.git.cmd import Git, hook_env

ZEROS = "0" * 40


def _git(*args: str) -> str | None:
    """git's output in the hook's repository (its GIT_DIR and index honoured); None on failure.
    Started like every git lekk runs: no configured program, no fetch (``sources.git.cmd``)."""
    try:
        code, out, _ = Git(".", hook_env()).run_status(*args)
    except SourceError:
        return None
    return out.decode("utf-8", "replace").strip() if code == 0 else None


def _say(msg: str) -> None:
    print(f"lekk: {msg}", flush=True)


def _lekk(args: Sequence[str]) -> int:
    from scanner.cli import main

    return main(list(args))


def pre_commit(extra: Sequence[str]) -> int:
    """``lekk staged EXTRA``, the index read once: the count said first comes from the same
    ``diff-index`` the scan reads (``staged.read_index``)."""
    from scanner.commands import staged_fast
    from scanner.sources.git import staged

    git = Git(".", hook_env())
    try:
        entries, n = staged.read_index(git)
    except SourceError:
        _say("not inside a git repository: nothing to scan")
        return 2
    if not n:
        _say("nothing staged to scan (no added or changed files)")
        return 0
    _say(f"scanning the staged content of {n} file(s)")
    kw = staged_fast.options(extra)
    if kw is None:  # options only the CLI parses (or reports wrong): the whole of `lekk staged`
        return _lekk(["staged", *extra])
    return staged_fast.run(kw, git, entries)


def _new_history(local_sha: str, remote: str | None) -> tuple[str, ...] | None:
    """Range for a ref the remote does not have: from the parent of its first new commit."""
    cmd = ["rev-list", local_sha, "--topo-order", "--reverse"]
    cmd += ["--not", f"--remotes={remote}"] if remote else []
    new = (_git(*cmd) or "").splitlines()
    if not new:
        return None
    parent = _git("rev-parse", "--verify", "-q", f"{new[0]}^")
    return (f"{parent}..{local_sha}",) if parent else ("--branch", local_sha)


def push_ranges(
    env: Mapping[str, str], stdin_lines: Iterable[str], remote: str | None
) -> list[tuple[str, ...]]:
    """The lekk git arguments for each range being pushed (empty: nothing new to push)."""
    src, dst = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if src and dst:
        return [(f"{src}..{dst}",)]
    if env.get("PRE_COMMIT") and env.get("PRE_COMMIT_LOCAL_BRANCH"):
        # pre-commit found the push starts at a root commit: the remote has none of it.
        return [("--branch", env["PRE_COMMIT_LOCAL_BRANCH"])]
    ranges: list[tuple[str, ...]] = []
    for line in stdin_lines:
        parts = line.split()
        if len(parts) != 4 or parts[1] == ZEROS:  # a deletion pushes no content
            continue
        _, local_sha, _, remote_sha = parts
        if remote_sha != ZEROS and _git("cat-file", "-e", f"{remote_sha}^{{commit}}") == "":
            ranges.append((f"{remote_sha}..{local_sha}",))
        else:
            r = _new_history(local_sha, remote)
            if r:
                ranges.append(r)
    return ranges


def _describe(r: tuple[str, ...]) -> str:
    if r[0] == "--branch":
        n = _git("rev-list", "--count", r[1])
        return f"the whole history of {r[1]} ({n} commit(s)): the remote has none of it"
    n = _git("rev-list", "--count", r[0])
    a, _, b = r[0].partition("..")
    return f"{n} commit(s) being pushed ({a[:12]}..{b[:12]})"


def pre_push(extra: Sequence[str], remote: str | None) -> int:
    stdin: list[str] = []
    if not os.environ.get("PRE_COMMIT") and not sys.stdin.isatty():
        stdin = sys.stdin.read().splitlines()
    ranges = push_ranges(os.environ, stdin, remote)
    if not ranges and not stdin and not os.environ.get("PRE_COMMIT_TO_REF"):
        # Run by hand (pre-commit run --hook-stage pre-push): what is not upstream yet.
        upstream = _git("rev-parse", "--verify", "-q", "@{upstream}")
        ranges = [(f"{upstream}..HEAD",)] if upstream else [("--branch", "HEAD")]
    if not ranges:
        _say("no new commits to push: nothing to scan")
        return 0
    worst = 0
    for r in ranges:
        if r[0] != "--branch" and _git("rev-list", "--count", r[0]) == "0":
            _say(f"no new commits in {r[0]}: nothing to scan")
            continue
        _say(f"scanning {_describe(r)}")
        worst = max(worst, _lekk(["git", ".", *r, *extra]))
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    from scanner.entry import std_streams

    std_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("pre-commit", "pre-push"):
        print(
            "usage: python -I -m scanner.hooks pre-commit|pre-push [LEKK OPTIONS]", file=sys.stderr
        )
        return 2
    if args[0] == "pre-commit":
        return pre_commit(args[1:])
    # As a plain git hook, git passes REMOTE URL first; under pre-commit, only the hook's args.
    remote = os.environ.get("PRE_COMMIT_REMOTE_NAME")
    extra = args[1:]
    if not os.environ.get("PRE_COMMIT") and len(extra) >= 2 and not extra[0].startswith("-"):
        remote, extra = extra[0], extra[2:]
    return pre_push(extra, remote)


if __name__ == "__main__":
    from scanner.entry import quick_exit

    quick_exit(main())
