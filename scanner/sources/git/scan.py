"""Scan a repository's history (or a range of it) blob by blob, then attribute the findings.

1. ``rev-list --objects | cat-file --batch``: each reachable blob once, prefiltered on raw
   bytes, scanned by the engine under the path git first saw it at.  Only blobs with findings
   (hits) are remembered, so memory does not grow with the number of commits.
2. ``log --raw -c``: every (commit, path, blob) introduction.  Those of hit blobs are kept;
   a blob seen at a path that can change what rules apply (a keyword in the path, a rule's
   ``paths`` glob) is scanned again under that path.
3. Each introduction keeps only the values its parent blobs at that path did not already hold
   (content the commit added, not content it carried along).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from scanner.finding import Finding
from scanner.sources import Fragment, Prefilter, ScanFn, Warn
from scanner.sources.git import blobs, history
from scanner.sources.git.cmd import Git, Proc
from scanner.sources.git.history import Change, Commit
from scanner.sources.git.progress import Progress

Key = tuple[str, str]  # (rule id, secret)


@dataclass
class HistoryScan:
    """Raw findings, each with the introduction it belongs to (None: no commit adds it)."""

    found: list[tuple[Finding, Change | None]] = field(default_factory=list)  # secrets
    lint: list[Finding] = field(default_factory=list)  # lint findings at the tip
    # (rule id, path, span) -> the earliest commit in the set that added that lint span there
    lint_added: dict[tuple[str, str, str], Change] = field(default_factory=dict)
    # every blob holding a value, for "is it still at the tip" (rule id, secret) -> blob ids
    holders: dict[Key, set[str]] = field(default_factory=dict)
    commits: int = 0
    blobs: int = 0
    bytes: int = 0
    missing: int = 0  # objects rev-list names that the repository does not have
    corrupt: int = 0  # objects that could not be read
    damaged: int = 0  # commits whose tree could not be read

    @property
    def partial(self) -> bool:
        return bool(self.missing or self.corrupt or self.damaged)


Sig = tuple[object, frozenset[str]]  # what the rules see of a path, what the readers see of it


class _Scanner:
    """The engine over blobs, remembering only blobs with findings (``hits``).

    The rules can look at a path three ways: a keyword in it, a rule's ``paths`` glob, a
    ``context.any`` pattern.  A path's *signature* is what those see; a blob scanned under one
    path has the same findings under any path with the same signature, so it is scanned once
    per signature, not once per path.  Most paths have the plain (empty) signature.
    """

    def __init__(self, scan: ScanFn, warn: Warn, partial_clone: bool = False) -> None:
        self.scan = scan
        self.partial_clone = partial_clone
        self.warn = warn
        self.prefilter: Prefilter = scan.prefilter
        self._sigs: dict[str, Sig] = {}
        self._keyed: dict[str, bool] = {}
        self.hits: dict[str, dict[Sig, list[Finding]]] = {}  # blob -> signature -> findings
        self.scanned: dict[str, Sig] = {}  # blob -> signature of its first scan, if not plain
        # blobs whose bytes hold no keyword (or that are binary): no finding under any path
        # without a keyword in it, so their paths' signatures are never needed (``empty_at``)
        self.bare: set[str] = set()
        self.log: Proc | None = None  # step 2's `git log`, once started

    @functools.cached_property
    def plain(self) -> Sig:
        """The empty path's signature, most paths' (worked out when first needed: a scan in
        which every blob is bare needs none)."""
        return (self.scan.signature(""), frozenset())

    def keyed(self, path: str) -> bool:
        """Is a keyword in the path (``Engine.path_keyed``)?  Remembered per path, as ``sig``."""
        k = self._keyed.get(path)
        if k is None:
            k = self.scan.path_keyed(path.lower())
            if len(self._keyed) < 100_000:
                self._keyed[path] = k
        return k

    def sig(self, path: str) -> Sig:
        s = self._sigs.get(path)
        if s is None:
            s = (self.scan.signature(path), _kind(path))
            s = self.plain if s == self.plain else s
            if len(self._sigs) < 100_000:
                self._sigs[path] = s
        return s

    def seen_as(self, blob: str) -> set[Sig]:
        """The signatures a blob has been scanned under."""
        return set(self.hits.get(blob, ())) | {self.scanned.get(blob, self.plain)}

    def _expand(self, frags: Iterator[Fragment]) -> Iterator[Fragment]:
        """As for files: source maps split into their sources, browser code marked client-side."""
        from scanner.sources import dispatch

        return dispatch.expand(frags, self.warn)

    def any_finding(self, frags: Iterator[Fragment], warn: Warn) -> bool:
        return any(self.scan(frag, warn) for frag in self._expand(frags))

    def empty_at(self, blob: str, path: str) -> bool:
        """Known to have no finding at ``path`` without scanning it there."""
        return blob in self.bare and blob not in self.hits and not self.keyed(path)

    def note_bare(self, blob: str) -> None:
        if len(self.bare) < MAX_BARE:
            self.bare.add(blob)

    def passing(self, frags: Iterator[Fragment]) -> _Passing:
        return _Passing(frags)

    def handle(self, sha: str, path: str, frags: Iterator[Fragment]) -> None:
        seen = _Passing(frags)
        found = [f for frag in self._expand(iter(seen)) for f in self.scan(frag, self.warn)]
        if not seen.any and sha not in self.hits and not self.keyed(path):
            self.note_bare(sha)  # (most blobs: no path signature to work out)
            return
        sig = self.sig(path)
        if sig is not self.plain and sha not in self.scanned:
            self.scanned[sha] = sig
        if found or sha in self.hits:
            self.hits.setdefault(sha, {})[sig] = found

    def findings(self, blob: str, path: str) -> list[Finding]:
        by_sig = self.hits.get(blob)
        if not by_sig:
            return []
        return by_sig.get(self.sig(path), [])

    def lookup(self, git: Git, pairs: Sequence[tuple[str, str]], progress: Progress) -> None:
        """Scan ``(blob, path)`` pairs through a cat-file we feed (in a partial clone, only the
        blobs it holds: git must not fetch the others)."""
        if pairs and self.partial_clone:
            have = history.present(git, {sha for sha, _ in pairs})
            pairs = [(sha, path) for sha, path in pairs if sha in have]
        if not pairs:
            return
        proc = history.catfile(git)
        assert proc.p.stdin is not None
        names = (
            f"{sha} {path}".replace("\n", "?").encode("utf-8", "replace") + b"\n"
            for sha, path in pairs
        )
        writer = blobs.feed(proc.p.stdin, names)  # one per line
        try:
            blobs.read_objects(
                blobs.Batch(proc.stdout),
                self.prefilter,
                self.warn,
                lambda s, k, n: progress.object(k, n),
                self.handle,
            )
        except OSError as exc:
            proc.kill()
            raise _catfile_error(git, proc.stderr() or str(exc)) from None
        error = writer.finish()
        proc.finish("git cat-file")
        if error:
            raise _catfile_error(git, error)


MAX_BARE = 200_000  # blobs remembered as keyword-free (~120 bytes each); the rest are rescanned


class _Passing:
    """A blob's fragments passed through, noting whether there was one (its bytes, or its
    path, passed the prefilter)."""

    def __init__(self, frags: Iterator[Fragment]) -> None:
        self.frags = frags
        self.any = False

    def __iter__(self) -> Iterator[Fragment]:
        for frag in self.frags:
            self.any = True
            yield frag


def _catfile_error(git: Git, msg: str) -> Exception:
    from scanner.errors import SourceError

    return SourceError(f"{git.where}: cannot read an object: {msg}")


def scan_history(
    git: Git,
    spec: Sequence[str],
    scan: ScanFn,
    warn: Warn,
    progress: Progress,
    jobs: int = 1,
    stream: history.BlobStream | None = None,
) -> HistoryScan:
    """``stream``: ``history.objects(git, spec)`` started already (``HistorySource``)."""
    out = HistoryScan()
    if stream is None and not history.has_commits(git):
        return out
    sc = _Scanner(scan, warn, history.is_partial_clone(git))
    _read_every_blob(git, spec, sc, out, warn, progress, jobs, stream)
    if out.missing:
        warn(
            f"{git.where}: {out.missing} object(s) of the history are not in the repository (a "
            "partial clone, or a damaged repository): their content was not scanned, so the "
            "history is partial"
        )
    progress.note("attributing findings to commits")
    scanned_hits = list(sc.hits)
    intro = _introductions(git, spec, sc, out, warn, progress)
    introduced = _added_values(git, intro, sc, out, progress)
    _lint_at_tip(git, spec, sc, out, progress)
    for blob, by_path in sc.hits.items():
        for f in next(iter(by_path.values()), []):
            if f.rule.is_secret:
                out.holders.setdefault((f.rule.id, f.secret), set()).add(blob)
    if "--all" in spec:
        # a blob no commit in the set introduces (a tag pointing straight at it): unattributed
        for blob in scanned_hits:
            if blob not in introduced:
                for f in next(iter(sc.hits[blob].values()), []):
                    if f.rule.is_secret:
                        path = f.path or f"(blob {blob[:12]})"
                        out.found.append((f.with_(path=path), None))
    _messages(git, spec, sc, out)
    progress.done()
    return out


def _read_every_blob(
    git: Git,
    spec: Sequence[str],
    sc: _Scanner,
    out: HistoryScan,
    warn: Warn,
    progress: Progress,
    jobs: int,
    stream: history.BlobStream | None,
) -> None:
    """Step 1: every reachable blob once, across ``jobs`` workers on a large repository."""
    if stream is None and history.workers_worth_it(git, jobs):
        from scanner.sources.git import parallel  # multiprocessing: only for the workers

        pairs, out.blobs, out.bytes, out.missing, out.corrupt = parallel.scan(
            git, spec, sc, jobs, warn, progress
        )
        sc.lookup(git, pairs, Progress(False))
        return

    stream = stream or history.objects(git, spec)
    stream.batch.search_with(sc.scan.byte_records, sc.keyed)  # (the rules are known now)
    revlist, catfile = stream.revlist, stream.catfile
    seen = 0

    def on_object(sha: str, kind: str, size: int) -> None:
        nonlocal seen
        if kind == "missing":  # "?<id>": not in the repository; else unreadable (warned)
            out.missing += sha.startswith("?")
            out.corrupt += not sha.startswith("?")
        progress.object(kind, size)
        seen += 1
        if sc.log is None and not seen & 63 and revlist.p.poll() is not None:
            # step 2's `git log` writes to a file while the blobs are read, in the place of
            # `rev-list` (done): the memory of the two is never added up
            sc.log = history.start_log(git, spec)

    def stop() -> None:
        stream.kill()  # (the read-ahead thread too: an audit's worker process lives on)
        if sc.log:
            sc.log.kill()

    try:
        blobs.read_objects(
            stream.batch, sc.prefilter, warn, on_object, sc.handle, on_unread=sc.note_bare
        )
    except BaseException as exc:
        stop()
        if isinstance(exc, OSError):
            raise _catfile_error(git, catfile.stderr() or str(exc)) from None
        raise
    revlist.finish("git rev-list")
    catfile.finish("git cat-file")
    error = stream.feeder.finish()
    if error:  # (a scan of part of the blobs must not pass for a whole one)
        from scanner.errors import SourceError

        stop()
        raise SourceError(f"{git.where}: cannot list the history's blobs: {error}")
    out.blobs, out.bytes = progress.blobs, progress.bytes


def _introductions(
    git: Git,
    spec: Sequence[str],
    sc: _Scanner,
    out: HistoryScan,
    warn: Warn,
    progress: Progress,
) -> list[Change]:
    """Step 2: the commits that put a blob with findings at a path; a blob met under a path
    whose signature it was not scanned with is scanned again under that path."""
    intro: list[Change] = []
    again: dict[tuple[str, Sig], str] = {}
    walk = history.Walk()

    def want(blob: str, path: str) -> bool:
        if blob in sc.hits:
            return True
        if sc.empty_at(blob, path):
            return False
        return sc.sig(path) is not sc.plain or blob in sc.scanned

    log = sc.log or history.start_log(git, spec)  # started in step 1 once rev-list was done
    sc.log = None
    for ch in history.changes(git, log, spec, walk, want, warn):
        sig = sc.sig(ch.path)
        if sig not in sc.seen_as(ch.blob):
            again.setdefault((ch.blob, sig), ch.path)
        if ch.blob in sc.hits or (ch.blob, sig) in again:
            intro.append(ch)  # one without findings after the rescans below is dropped
    out.commits, out.damaged = walk.commits, walk.damaged
    sc.lookup(git, [(blob, path) for (blob, _), path in again.items()], progress)
    return [ch for ch in intro if sc.findings(ch.blob, ch.path)]


def _added_values(
    git: Git, intro: Sequence[Change], sc: _Scanner, out: HistoryScan, progress: Progress
) -> set[str]:
    """Step 3: each introduction keeps the values its parent blobs at that path did not hold
    (a parent outside a range was never scanned; one without hits is looked at again, cheaply).
    Returns the blobs some commit introduces."""
    parents: dict[tuple[str, Sig], str] = {}
    for ch in intro:
        sig = sc.sig(ch.path)
        for p in ch.parents:
            if p and sig not in sc.hits.get(p, ()) and not sc.empty_at(p, ch.path):
                parents.setdefault((p, sig), ch.path)
    sc.lookup(git, [(blob, path) for (blob, _), path in parents.items()], progress)
    introduced: set[str] = set()
    for ch in intro:  # newest first: the last introduction of a lint span is its earliest
        before = {(f.rule.id, f.secret) for p in ch.parents if p for f in sc.findings(p, ch.path)}
        for f in sc.findings(ch.blob, ch.path):
            if (f.rule.id, f.secret) in before:
                continue
            if f.rule.is_secret:
                out.found.append((f.with_(path=ch.path), ch))
            else:
                out.lint_added[(f.rule.id, ch.path, f.secret)] = ch
        introduced.add(ch.blob)
    return introduced


def _lint_at_tip(
    git: Git, spec: Sequence[str], sc: _Scanner, out: HistoryScan, progress: Progress
) -> None:
    """Step 4: lint findings are about the code as it is, so they come from the tip (the
    default branch's for a whole-history scan, the range's or branch's end otherwise), each
    with the commit that added it; a range reports only what its commits added."""
    if not any(not f.rule.is_secret for by in sc.hits.values() for fs in by.values() for f in fs):
        return
    whole = "--all" in spec
    head = history.default_head(git) if whole else None
    tip = head[1] if head else next((r for r in spec if not r.startswith(("^", "-"))), None)
    if tip is None:
        return
    at_tip = [(blob, path) for path, blob in history.tree_paths(git, tip).items()]
    again = [(b, p) for b, p in at_tip if not sc.empty_at(b, p) and sc.sig(p) not in sc.seen_as(b)]
    sc.lookup(git, again, progress)
    for blob, path in at_tip:
        for f in sc.findings(blob, path):
            ch = out.lint_added.get((f.rule.id, path, f.secret))
            if f.rule.is_secret or (ch is None and not whole):
                continue
            extra = dict(f.extra)
            extra["commit"] = ch.commit.as_dict() if ch else None
            extra["first_seen"] = ch.commit.date if ch else None
            extra["still_in_head"] = True
            out.lint.append(f.with_(path=path, extra=extra))


COMMIT_MESSAGE = "(commit message)"
TAG_MESSAGE = "(tag message)"


def _messages(git: Git, spec: Sequence[str], sc: _Scanner, out: HistoryScan) -> None:
    """Commit messages in SPEC and, for a whole-history scan, annotated tags' messages: a key
    pasted into a message is as leaked as one in a file (notes are blobs, read in step 1)."""

    def messages() -> Iterator[tuple[Commit, str, int, str]]:
        for seq, (commit, text) in enumerate(history.commit_messages(git, spec), 1):
            yield commit, text, seq, COMMIT_MESSAGE  # seq: as `changes` numbers the commits
        if "--all" in spec:
            for tag, text in history.tag_messages(git):
                yield tag, text, 0, TAG_MESSAGE

    for commit, text, seq, path in messages():  # streamed: memory does not follow the commits
        if sc.prefilter(text, path):
            for f in sc.scan(Fragment(text, path), sc.warn):
                out.found.append((f, Change(commit, seq, path, "", ())))


def _kind(path: str) -> frozenset[str]:
    """What the path tells the content-aware sources: a source map, browser code, a script."""
    from scanner.sources import kinds

    checks = (
        ("map", kinds.is_source_map_path),
        ("client", kinds.is_client_side),
        ("script", kinds.is_script_path),
    )
    return frozenset(name for name, check in checks if check(path))


def scan_blobs(
    git: Git, entries: Sequence[tuple[str, str, str]], scan: ScanFn, warn: Warn
) -> list[Finding]:
    """Findings in staged blobs: ``entries`` = (path, blob, blob it replaces or "")."""
    sc = _Scanner(scan, warn)
    progress = Progress(False)
    sc.lookup(git, [(blob, path) for path, blob, _ in entries], progress)
    hit = [(p, b, old) for p, b, old in entries if sc.findings(b, p)]
    sc.partial_clone = any(old for _, _, old in hit) and history.is_partial_clone(git)
    sc.lookup(git, [(old, p) for p, _, old in hit if old], progress)
    found: list[Finding] = []
    for path, blob, old in hit:
        before = {(f.rule.id, f.secret) for f in sc.findings(old, path)} if old else set()
        found.extend(
            f.with_(path=path)
            for f in sc.findings(blob, path)
            if (f.rule.id, f.secret) not in before
        )
    return found
