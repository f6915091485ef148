"""Walking a repository's history with plumbing: which blobs, which commits, which refs.

- ``open_repo`` checks the path is a repository and notes whether it is shallow (GitPython's
  ``Repo``, see ``cmd``).
- ``objects`` starts ``rev-list --objects | cat-file --batch``: every reachable blob once (git
  de-duplicates), with the first path git saw it at, streamed without passing through Python.
- ``changes`` parses ``log --raw -c``: every (commit, path, new blob, parent blobs) in the
  commit set, newest first; merges show only what differs from every parent.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.errors import SourceError
from scanner.sources.git.blobs import FORMAT
from scanner.sources.git.cmd import Git, Proc

LOG_FORMAT = "--format=%x01%H%x00%an%x00%ae%x00%aI%x00%s"
EMPTY = frozenset({"0" * 40, "0" * 64})


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    email: str
    date: str
    summary: str

    def as_dict(self) -> dict[str, str]:
        return {
            "sha": self.sha,
            "author": self.author,
            "email": self.email,
            "date": self.date,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Change:
    """``commit`` put ``blob`` at ``path``; ``parents``: the blobs it replaced ("" if none)."""

    commit: Commit
    seq: int  # position in the log (newest first): a larger seq is an earlier commit
    path: str
    blob: str
    parents: tuple[str, ...]


@dataclass(frozen=True)
class RepoInfo:
    git: Git
    path: str
    git_dir: str
    shallow: bool


def open_repo(path: str, env: dict[str, str] | None = None) -> RepoInfo:
    """The repository at (or above) ``path``; SourceError (one line) if there is none."""
    git = Git(path, env)
    git_dir, shallow = git.repository()
    return RepoInfo(git=git, path=path, git_dir=git_dir, shallow=shallow)


def resolve(git: Git, rev: str) -> str:
    """The commit id a revision names; SourceError (one line) if it names none."""
    if rev.startswith("-"):
        raise SourceError(f"{git.where}: {rev!r} is not a revision")
    code, out, _ = git.run_status(
        "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}"
    )
    if code != 0:
        raise SourceError(f"{git.where}: unknown revision or ref {rev!r}")
    return out.decode().strip()


def has_commits(git: Git) -> bool:
    out = git.run("for-each-ref", "--count=1", "--format=%(objectname)")
    if out.strip():
        return True
    code, _, _ = git.run_status("rev-parse", "--verify", "-q", "HEAD^{commit}")
    return code == 0


def objects(git: Git, spec: Sequence[str]) -> tuple[Proc, Proc]:
    """``rev-list --objects SPEC | cat-file --batch``: the blob stream (and commit headers)."""
    revlist_ = revlist(git, spec)
    catfile = git.popen("cat-file", FORMAT, stdin=revlist_.stdout)
    revlist_.stdout.close()  # cat-file owns the read end now
    return revlist_, catfile


def revlist(git: Git, spec: Sequence[str]) -> Proc:
    """``rev-list --objects``: each reachable blob once, as "<id> <first path>" lines."""
    return git.popen(
        "rev-list",
        "--objects",
        "--filter=object:type=blob",
        "--filter-provided-objects",
        "--missing=allow-any",
        *spec,
        "--",
    )


def catfile(git: Git) -> Proc:
    """A ``cat-file --batch`` fed by us (``blobs.feed``), for look-ups by object id."""
    return git.popen("cat-file", FORMAT, stdin=subprocess.PIPE)


def start_log(git: Git, spec: Sequence[str]) -> Proc:
    """Start ``log --raw -c -z`` into a temporary file: it runs while the blobs are scanned."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by changes()
    return git.popen(
        "log",
        *spec,
        "--raw",
        "-c",
        "-z",
        "--root",
        "--no-renames",
        "--no-abbrev",
        "--no-textconv",
        "--no-ext-diff",
        "--date-order",
        "--encoding=UTF-8",
        LOG_FORMAT,
        "--",
        stdout=out,
    )


def changes(log: Proc, seen: list[int], want: Callable[[str, str], bool]) -> Iterator[Change]:
    """Every blob a commit in SPEC puts at a path, newest commit first, where ``want(blob,
    path)``.  ``seen[0]`` counts the commits walked."""
    stream = log.stdout
    try:
        log.finish("git log")
        stream.seek(0)
        yield from _parse_log(_tokens(stream), seen, want)
    finally:
        stream.close()


def _tokens(stream: Any) -> Iterator[bytes]:
    rest = b""
    while chunk := stream.read(1 << 20):
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _parse_log(
    tokens: Iterator[bytes], seen: list[int], want: Callable[[str, str], bool]
) -> Iterator[Change]:
    raw: list[bytes] = []
    commit: Commit | None = None
    seq = 0
    for tok in tokens:
        if tok[:1] == b"\n":
            tok = tok[1:]
        if not tok:
            continue
        if tok[0] == 1:  # \x01: a commit header
            raw = [tok[1:]] + [next(tokens, b"") for _ in range(4)]
            commit = None  # built only when one of its changes is wanted
            seq += 1
            seen[0] = seq
        elif tok[0] == 58 and raw:  # ":": a raw diff line, then its path
            path = next(tokens, b"").decode("utf-8", "replace")
            meta = tok.decode("ascii", "replace")
            n = len(meta) - len(meta.lstrip(":"))  # number of parents (combined format: n > 1)
            fields = meta[n:].split()
            modes, shas = fields[: n + 1], fields[n + 1 : 2 * n + 2]
            if len(shas) != n + 1 or modes[-1] in ("160000", "000000"):
                continue  # a submodule, or a deletion
            blob = shas[-1]
            if blob in EMPTY or not want(blob, path):
                continue
            if commit is None:
                sha, author, email, date, summary = (f.decode("utf-8", "replace") for f in raw)
                commit = Commit(sha, author, email, date, summary)
            parents = tuple("" if s in EMPTY else s for s in shas[:-1])
            yield Change(commit, seq, path, blob, parents)


def tree_blobs(git: Git, rev: str) -> set[str]:
    """The ids of every blob in the tree of ``rev``."""
    out = git.run("ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev)
    found = set()
    for entry in out.split(b"\0"):
        meta = entry.split(b"\t", 1)[0].split()
        if len(meta) == 3 and meta[1] == b"blob":
            found.add(meta[2].decode())
    return found


def default_head(git: Git) -> tuple[str, str] | None:
    """(ref, commit) of the default branch's tip: origin's HEAD if known, else HEAD."""
    for ref in ("refs/remotes/origin/HEAD", "HEAD"):
        code, out, _ = git.run_status("rev-parse", "--verify", "-q", "--symbolic-full-name", ref)
        name = out.decode().strip() or ref
        code, sha, _ = git.run_status("rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
        if code == 0:
            return name, sha.decode().strip()
    return None


def refs_reaching(git: Git, targets: Iterable[str]) -> dict[str, list[str]]:
    """For each target commit, the refs it is reachable from, in one walk of the history.

    ``rev-list --topo-order --parents --all`` lists every commit before its parents; each
    commit's set of refs (a bit mask) is passed on to its parents and dropped once used, so
    only the walk's frontier is held.  The walk stops once every target has been reached.
    """
    wanted = set(targets)
    if not wanted:
        return {}
    out = git.run("for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)")
    names: list[str] = []
    at: dict[str, int] = {}
    for line in out.decode("utf-8", "replace").splitlines():
        name, sha, peeled = line.split("\0")
        at[peeled or sha] = at.get(peeled or sha, 0) | (1 << len(names))
        names.append(name)
    found: dict[str, list[str]] = {}
    masks: dict[str, int] = {}
    walk = git.popen("rev-list", "--topo-order", "--parents", "--all")
    for raw in walk.stdout:
        sha, *parents = raw.decode().split()
        mask = masks.pop(sha, 0) | at.get(sha, 0)
        if sha in wanted:
            found[sha] = [n for i, n in enumerate(names) if mask >> i & 1]
            if len(found) == len(wanted):
                break
        for p in parents:
            masks[p] = masks.get(p, 0) | mask
    walk.kill()
    walk.finish("git rev-list")
    return found
