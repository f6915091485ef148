"""Walking a repository's history with plumbing: which blobs, which commits, which refs.

- ``open_repo`` checks the path is a repository and notes whether it is shallow (GitPython's
  ``Repo``, see ``cmd``).
- ``objects`` starts ``rev-list --objects`` and a ``cat-file --batch`` fed with its lines in
  reverse pack order (``pack_order``): every reachable blob once (git de-duplicates), with the
  first path git saw it at.
- ``changes`` parses ``log --raw -c``: every (commit, path, new blob, parent blobs) in the
  commit set, newest first; merges show only what differs from every parent.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.errors import SourceError
from scanner.safetext import path_text
from scanner.sources import Warn
from scanner.sources.git.blobs import FORMAT, Feeder, Prefetch, feed
from scanner.sources.git.cmd import Git, Proc

LOG_FORMAT = "--format=%x01%H%x00%an%x00%ae%x00%aI%x00%s"
EMPTY = frozenset({"0" * 40, "0" * 64})
Want = Callable[[str, str], bool]  # (blob, path) -> is this change of interest?


@dataclass
class Walk:
    """What ``changes`` walked: commits, and commits whose tree could not be read."""

    commits: int = 0
    damaged: int = 0


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


def open_repo(path: str, env: dict[str, str] | None = None, git: Git | None = None) -> RepoInfo:
    """The repository at (or above) ``path``; SourceError (one line) if there is none."""
    git = git or Git(path, env)
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


def default_jobs() -> int:
    """Workers for step 1: each comes with its own cat-file, so half the cores (one pipeline of
    cat-file and Python already keeps two cores busy)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // 2)


PARALLEL_PACK_KIB = 4096  # below this, forking workers (``parallel``) costs more than it saves


def workers_worth_it(git: Git, jobs: int) -> bool:
    """Step 1 across ``jobs`` forked workers (``parallel``): several asked for, ``fork`` at
    hand, and at least ``PARALLEL_PACK_KIB`` of objects on disk (packed and loose)."""
    if jobs < 2 or not hasattr(os, "fork"):
        return False
    out = git.run("count-objects", "-v").decode()
    sizes = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return int(sizes.get("size-pack", 0)) + int(sizes.get("size", 0)) >= PARALLEL_PACK_KIB


def has_commits(git: Git) -> bool:
    out = git.run("for-each-ref", "--count=1", "--format=%(objectname)")
    if out.strip():
        return True
    code, _, _ = git.run_status("rev-parse", "--verify", "-q", "HEAD^{commit}")
    return code == 0


READ_AHEAD = 16 << 20  # blob bytes cat-file may inflate ahead of the scan (``blobs.Prefetch``)


@dataclass
class BlobStream:
    """``rev-list --objects SPEC``'s blobs through ``cat-file --batch``, in reverse pack order
    (fed by ``feeder``), the records read ahead on a thread."""

    revlist: Proc
    listing: Proc
    catfile: Proc
    feeder: Feeder
    batch: Prefetch

    def kill(self) -> None:
        self.batch.close()
        for proc in (self.catfile, self.revlist, self.listing):
            proc.kill()


def serial_stream(git: Git, spec: Sequence[str], jobs: int) -> BlobStream | None:
    """``objects(git, spec)`` when step 1 runs in this process; None when there is no commit
    or the workers will start their own streams."""
    if not has_commits(git) or workers_worth_it(git, jobs):
        return None
    return objects(git, spec)


def objects(git: Git, spec: Sequence[str]) -> BlobStream:
    """Every blob reachable from SPEC once, with the first path git saw it at; git inflates
    ahead of the scan from the start (``READ_AHEAD``)."""
    revlist_, listing, lines = ordered_blobs(git, spec)
    catfile = git.popen("cat-file", FORMAT, stdin=subprocess.PIPE)
    assert catfile.p.stdin is not None
    feeder = feed(catfile.p.stdin, lines)
    return BlobStream(revlist_, listing, catfile, feeder, Prefetch(catfile.stdout, READ_AHEAD))


def ordered_blobs(git: Git, spec: Sequence[str]) -> tuple[Proc, Proc, Iterator[bytes]]:
    """``rev-list --objects SPEC``'s lines in reverse pack order (``pack_order``): the
    ``rev-list`` and the object listing, to finish or kill, and the lines."""
    revlist_ = revlist(git, spec)
    listing = git.popen(
        "cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objectname)"
    )
    return revlist_, listing, pack_order(revlist_.stdout, listing)


def revlist(git: Git, spec: Sequence[str]) -> Proc:
    """``rev-list --objects``: each reachable blob once, as "<id> <first path>" lines."""
    return git.popen(
        "rev-list",
        "--objects",
        "--filter=object:type=blob",
        "--filter-provided-objects",
        "--missing=print",  # "?<id>" for an object a partial clone or damage left out
        *spec,
        "--",
    )


ORDER_LIMIT = 100_000  # blobs held to be put in pack order; past that, rev-list's order
LISTED_PER_BLOB = 8  # objects of the listing read per blob asked for, at most


def pack_order(names: Iterable[bytes], listing: Proc, limit: int = ORDER_LIMIT) -> Iterator[bytes]:
    """The lines of ``names`` (``rev-list --objects``), the blobs in the reverse of their order
    in the packs, which ``listing`` (``cat-file --batch-all-objects --unordered``) gives.

    Only the order in which ``cat-file`` inflates the blobs changes, and with it how often its
    delta-base cache holds the base a blob is a delta of: read newest-pack-position first, the
    blobs of a delta chain come one after the other, and ``cat-file`` uses 25-75 % less CPU
    than in ``rev-list``'s order (docs/bench.md).  Bounded: at most ``limit`` lines are held
    (then the rest follow in ``rev-list``'s order, streamed), and at most ``LISTED_PER_BLOB``
    listed objects are read per blob (a range in a large repository); a blob the listing does
    not name (missing, in an alternate the listing did not reach) comes after the others.
    """
    try:
        wanted: dict[bytes, bytes] = {}
        other: list[bytes] = []
        it = iter(names)
        for line in it:
            key = line.partition(b" ")[0].rstrip(b"\n")
            if key in wanted or key.startswith(b"?"):
                other.append(line)  # (a missing object, or the rest of a path with a newline)
            else:
                wanted[key] = line
            if len(wanted) + len(other) >= limit:  # (a partial clone: every blob missing)
                listing.kill()
                yield from wanted.values()
                yield from other
                yield from it
                return
        order: list[bytes] = []
        budget = LISTED_PER_BLOB * len(wanted) + 1000
        for n, name in enumerate(listing.stdout if wanted else ()):
            line = wanted.pop(name.rstrip(b"\n"), b"")
            if line:
                order.append(line)
                if not wanted:
                    break
            if n >= budget:
                break
        listing.kill()
        yield from reversed(order)
        yield from wanted.values()
        yield from other
    finally:
        listing.kill()


def catfile(git: Git) -> Proc:
    """A ``cat-file --batch`` fed by us (``blobs.feed``), for look-ups by object id."""
    return git.popen("cat-file", FORMAT, stdin=subprocess.PIPE)


_LOG_ARGS = (
    "--raw",
    "-c",
    "-z",
    "--root",
    "--no-renames",
    "--no-abbrev",
    "--no-textconv",
    "--no-ext-diff",
    "--encoding=UTF-8",
    LOG_FORMAT,
)


def start_log(git: Git, spec: Sequence[str]) -> Proc:
    """Start ``log --raw -c -z`` into a temporary file (read once git is done: ``changes``)."""
    import tempfile  # (not for `lekk staged`)

    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by changes()
    return git.popen("log", *spec, "--date-order", *_LOG_ARGS, "--", stdout=out)


def changes(
    git: Git, log: Proc, spec: Sequence[str], walk: Walk, want: Want, warn: Warn
) -> Iterator[Change]:
    """Every blob a commit in SPEC puts at a path, newest commit first, where ``want(blob,
    path)``; ``walk`` counts the commits.

    A commit whose tree cannot be read (a damaged repository) stops ``git log``; then the
    commits are walked again in runs, each run starting after the last commit it could show,
    so only the unreadable commits lose their attribution (each is warned about).
    """
    stream = log.stdout
    try:
        try:
            log.finish("git log")
        except SourceError as exc:
            stream.close()
            warn(f"{exc}; walking the commits one run at a time")
            yield from _changes_around_damage(git, spec, walk, want, warn)
            return
        stream.seek(0)
        yield from _parse_log(_tokens(stream), walk, want)
    finally:
        stream.close()


MAX_DAMAGED = 1000  # unreadable commits skipped before the walk gives up


def _changes_around_damage(
    git: Git, spec: Sequence[str], walk: Walk, want: Want, warn: Warn
) -> Iterator[Change]:
    import tempfile

    commits = git.run("rev-list", "--date-order", *spec, "--").decode().split()
    done = 0
    for _ in range(MAX_DAMAGED):
        if done >= len(commits):
            return
        out = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
        proc = git.popen(
            "log", "--no-walk=unsorted", "--stdin", *_LOG_ARGS, stdin=subprocess.PIPE, stdout=out
        )
        assert proc.p.stdin is not None
        proc.p.stdin.write("\n".join(commits[done:]).encode() + b"\n")
        try:
            proc.finish("git log")
            failed = False
        except SourceError:
            failed = True
        shown: list[str] = []
        with out:
            out.seek(0)
            yield from _parse_log(_tokens(out), walk, want, first=done, on_commit=shown.append)
        if not failed:
            return
        # git prints a commit once its diff is made: the run stopped at the next one
        bad = done + len(shown)
        if bad >= len(commits):
            return
        warn(
            f"{git.where}: commit {commits[bad][:12]}: its tree cannot be read (a missing or "
            "corrupt object); its changes are not attributed"
        )
        walk.damaged += 1
        done = bad + 1
    warn(f"{git.where}: more than {MAX_DAMAGED} unreadable commits; the rest are not attributed")


def _tokens(stream: Any) -> Iterator[bytes]:
    rest = b""
    while chunk := stream.read(1 << 20):
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _parse_log(
    tokens: Iterator[bytes],
    walk: Walk,
    want: Want,
    first: int = 0,
    on_commit: Callable[[str], None] | None = None,
) -> Iterator[Change]:
    """``first``: commits before these tokens' first (their ``seq`` goes on from there)."""
    raw: list[bytes] = []
    commit: Commit | None = None
    seq = first
    for tok in tokens:
        if tok[:1] == b"\n":
            tok = tok[1:]
        if not tok:
            continue
        if tok[0] == 1:  # \x01: a commit header
            raw = [tok[1:]] + [next(tokens, b"") for _ in range(4)]
            commit = None  # built only when one of its changes is wanted
            seq += 1
            walk.commits = seq
            if on_commit is not None:
                on_commit(raw[0].decode("ascii", "replace"))
        elif tok[0] == 58 and raw:  # ":": a raw diff line, then its path
            path = path_text(next(tokens, b""))
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


def tree_paths(git: Git, rev: str) -> dict[str, str]:
    """Path -> blob id for every file in the tree of ``rev`` (nothing if it cannot be read)."""
    code, out, _ = git.run_status("ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev)
    found = {}
    if code == 0:
        for entry in out.split(b"\0"):
            meta, _, path = entry.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == b"blob":
                found[path.decode("utf-8", "replace")] = parts[2].decode()
    return found


def tree_blobs(git: Git, rev: str) -> set[str]:
    """The ids of every blob in the tree of ``rev`` (in a damaged repository, of the parts of
    it that can be read: each folder is listed on its own then)."""
    code, out, _ = git.run_status("ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev)
    if code == 0:
        return {oid for kind, oid in _tree_entries(out) if kind == "blob"}
    found: set[str] = set()
    todo: list[str] = [f"{rev}^{{tree}}"]
    seen: set[str] = set()
    while todo and len(seen) < 100_000:
        tree = todo.pop()
        seen.add(tree)
        code, out, _ = git.run_status("ls-tree", "-z", "--full-tree", "--end-of-options", tree)
        if code != 0:
            continue  # an unreadable folder
        for kind, oid in _tree_entries(out):
            if kind == "blob":
                found.add(oid)
            elif kind == "tree" and oid not in seen:
                todo.append(oid)
    return found


def _tree_entries(out: bytes) -> Iterator[tuple[str, str]]:
    for entry in out.split(b"\0"):
        meta = entry.split(b"\t", 1)[0].split()
        if len(meta) == 3:
            yield meta[1].decode(), meta[2].decode()


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


MAX_MESSAGE = 1 << 20  # bytes of one commit or tag message scanned


def commit_messages(git: Git, spec: Sequence[str]) -> Iterator[tuple[Commit, str]]:
    """Every commit in SPEC with its whole message (read as objects from ``cat-file``, so no
    byte in a message can be mistaken for the next field)."""
    walk = git.popen("rev-list", "--date-order", *spec, "--")  # the order `changes` numbers
    batch = git.popen("cat-file", "--batch", stdin=walk.stdout)
    walk.stdout.close()
    yield from _objects(batch, b"commit")
    walk.finish("git rev-list")


def tag_messages(git: Git) -> Iterator[tuple[Commit, str]]:
    """Every annotated tag with its message; ``Commit.sha`` is the tag object's id."""
    out = git.run("for-each-ref", "--format=%(objecttype) %(objectname)", "refs/tags")
    names = [line.split()[1] for line in out.decode().splitlines() if line.startswith("tag ")]
    if not names:
        return
    batch = git.popen("cat-file", "--batch", stdin=subprocess.PIPE)
    assert batch.p.stdin is not None
    batch.p.stdin.write("".join(n + "\n" for n in names).encode())
    batch.p.stdin.close()
    yield from _objects(batch, b"tag")


def _objects(batch: Proc, kind: bytes) -> Iterator[tuple[Commit, str]]:
    from scanner.sources.git.blobs import Batch

    reader = Batch(batch.stdout)
    try:
        while (h := reader.header()) is not None:
            sha, typ, size, _ = h
            if typ != kind.decode():
                if size:
                    reader.skip(size)
                continue
            if size > MAX_MESSAGE * 2:
                reader.skip(size)
                continue
            yield _parse_object(sha, reader.read(size), kind)
    finally:
        batch.kill()
        batch.finish(f"git cat-file ({kind.decode()} messages)")


def _parse_object(sha: str, data: bytes, kind: bytes) -> tuple[Commit, str]:
    head, _, body = data.partition(b"\n\n")
    who = b"tagger " if kind == b"tag" else b"author "
    name = email = date = ""
    encoding = "utf-8"
    for line in head.split(b"\n"):
        if line.startswith(who):
            name, email, date = _person(line[len(who) :])
        elif line.startswith(b"encoding "):
            encoding = line[9:].decode("ascii", "replace").strip()
    try:
        text = body[:MAX_MESSAGE].decode(encoding, "replace")
    except LookupError:
        text = body[:MAX_MESSAGE].decode("utf-8", "replace")
    summary = text.split("\n", 1)[0].strip()
    return Commit(sha, name, email, date, summary), text


def _person(value: bytes) -> tuple[str, str, str]:
    """``Name <email> 1706788800 +0100`` -> (name, email, ISO 8601 date)."""
    from datetime import datetime, timedelta, timezone

    text = value.decode("utf-8", "replace")
    name, _, rest = text.partition(" <")
    email, _, stamp = rest.partition("> ")
    date = ""
    parts = stamp.split()
    if len(parts) == 2 and parts[0].lstrip("-").isdigit() and len(parts[1]) == 5:
        sign = -1 if parts[1][0] == "-" else 1
        try:
            tz = timezone(sign * timedelta(hours=int(parts[1][1:3]), minutes=int(parts[1][3:])))
            date = datetime.fromtimestamp(int(parts[0]), tz).isoformat()
        except (ValueError, OverflowError, OSError):
            date = ""
    return name.strip(), email, date


def is_partial_clone(git: Git) -> bool:
    """A partial clone: git would fetch a missing object from its promisor remote on demand."""
    code, out, _ = git.run_status(
        "config", "--get-regexp", r"^(remote\..*\.promisor|extensions\.partialclone)$"
    )
    return code == 0 and any(
        line.split()[-1:] != ["false"] for line in out.decode("utf-8", "replace").splitlines()
    )


def present(git: Git, wanted: set[str]) -> set[str]:
    """Which of ``wanted`` the repository holds, asked without naming any object (asking for a
    missing one makes an old git fetch it from a partial clone's remote)."""
    proc = git.popen(
        "cat-file", "--batch-all-objects", "--batch-check=%(objectname)", "--unordered"
    )
    found = {line.strip().decode() for line in proc.stdout if line.strip().decode() in wanted}
    proc.finish("git cat-file")
    return found
