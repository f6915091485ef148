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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from scanner.engine import Engine
from scanner.filters import path_matches
from scanner.finding import Finding
from scanner.sources import Fragment, Warn
from scanner.sources.git import blobs, history
from scanner.sources.git.cmd import Git
from scanner.sources.git.history import Change, RepoInfo
from scanner.sources.git.progress import Progress

Key = tuple[str, str]  # (rule id, secret)


@dataclass
class HistoryScan:
    """Raw findings, each with the introduction it belongs to (None: no commit adds it)."""

    found: list[tuple[Finding, Change | None]] = field(default_factory=list)
    # every blob holding a value, for "is it still at the tip" (rule id, secret) -> blob ids
    holders: dict[Key, set[str]] = field(default_factory=dict)
    commits: int = 0
    blobs: int = 0
    bytes: int = 0


class _Scanner:
    def __init__(self, engine: Engine, warn: Warn) -> None:
        self.engine = engine
        self.warn = warn
        rules = engine.rules
        words = list(engine.keywords)
        self.prefilter = blobs.Prefilter([*words, *_b64()], words)
        self.globs = [g for r in rules for g in r.paths]
        self.words = words
        self.hits: dict[str, dict[str, list[Finding]]] = {}  # blob -> path scanned -> findings

    def sensitive(self, path: str) -> bool:
        low = path.lower()
        for w in self.words:
            if w in low:
                return True
        return any(path_matches(path, g) for g in self.globs) if self.globs else False

    def any_finding(self, frags: Iterator[Fragment]) -> bool:
        return any(self.engine.scan(frag) for frag in frags)

    def handle(self, sha: str, path: str, frags: Iterator[Fragment]) -> None:
        found = [f for frag in frags for f in self.engine.scan(frag)]
        if found or sha in self.hits:
            self.hits.setdefault(sha, {})[path] = found

    def findings(self, blob: str, path: str) -> list[Finding]:
        by_path = self.hits.get(blob)
        if not by_path:
            return []
        if path in by_path:
            return by_path[path]
        return next(iter(by_path.values()))

    def lookup(self, git: Git, pairs: Sequence[tuple[str, str]], progress: Progress) -> None:
        """Scan ``(blob, path)`` pairs through a cat-file we feed."""
        if not pairs:
            return
        proc = history.catfile(git)
        assert proc.p.stdin is not None
        names = (f"{sha} {path}".replace("\n", "?") for sha, path in pairs)  # one per line
        writer = blobs.feed(proc.p.stdin, names)
        try:
            blobs.read_objects(blobs.Batch(proc.stdout), self.prefilter, self.warn,
                               lambda s, k, n: progress.object(k, n), self.handle)  # fmt: skip
        except OSError as exc:
            proc.kill()
            raise _catfile_error(git, proc.stderr() or str(exc)) from None
        writer.join()
        proc.finish("git cat-file")


def _b64() -> tuple[str, ...]:
    from scanner.engine import B64_TRIGGERS

    return B64_TRIGGERS


def _catfile_error(git: Git, msg: str) -> Exception:
    from scanner.errors import SourceError

    return SourceError(f"{git.where}: cannot read an object: {msg}")


def scan_history(
    repo: RepoInfo, spec: Sequence[str], engine: Engine, warn: Warn, progress: Progress,
    jobs: int = 1,
) -> HistoryScan:  # fmt: skip
    git = repo.git
    out = HistoryScan()
    if not history.has_commits(git):
        return out
    sc = _Scanner(engine, warn)

    def on_object(sha: str, kind: str, size: int) -> None:
        progress.object(kind, size)

    # 1. every blob once (the log for step 2 is written meanwhile)
    log = history.start_log(git, spec)
    from scanner.sources.git import parallel  # multiprocessing: not for `lekk staged`

    if parallel.worth_it(git, jobs):
        try:
            pairs, out.blobs, out.bytes = parallel.scan(git, spec, sc, jobs, warn, progress)
        except Exception:
            log.kill()
            raise
        sc.lookup(git, pairs, Progress(False))
    else:
        revlist, catfile = history.objects(git, spec)
        try:
            blobs.read_objects(blobs.Batch(catfile.stdout), sc.prefilter, warn, on_object,
                               sc.handle)  # fmt: skip
        except OSError as exc:
            for proc in (catfile, revlist, log):
                proc.kill()
            raise _catfile_error(git, catfile.stderr() or str(exc)) from None
        revlist.finish("git rev-list")
        catfile.finish("git cat-file")
        out.blobs, out.bytes = progress.blobs, progress.bytes
    for msg in engine.timeouts:
        warn(msg)
    engine.timeouts.clear()

    # 2. who introduced what; blobs at keyword paths again under those paths
    progress.note("attributing findings to commits")
    intro: list[Change] = []
    again: dict[tuple[str, str], None] = {}
    walked = [0]

    def want(blob: str, path: str) -> bool:
        return blob in sc.hits or sc.sensitive(path)

    for ch in history.changes(log, walked, want):
        if ch.blob in sc.hits:
            intro.append(ch)
            if ch.path not in sc.hits[ch.blob] and sc.sensitive(ch.path):
                again[(ch.blob, ch.path)] = None
        elif sc.sensitive(ch.path):
            intro.append(ch)  # kept only if the rescan below finds something
            again[(ch.blob, ch.path)] = None
    out.commits = walked[0]
    sc.lookup(git, list(again), progress)
    intro = [ch for ch in intro if sc.findings(ch.blob, ch.path)]
    scanned_hits = list(sc.hits)

    # 3. only what each commit added: values its parent blobs at that path did not hold
    parents = {(p, ch.path): None for ch in intro for p in ch.parents if p and p not in sc.hits}
    sc.lookup(git, list(parents), progress)
    introduced: set[str] = set()
    for ch in intro:
        before = {(f.rule.id, f.secret) for p in ch.parents if p for f in sc.findings(p, ch.path)}
        for f in sc.findings(ch.blob, ch.path):
            if (f.rule.id, f.secret) not in before:
                out.found.append((f.with_(path=ch.path), ch))
        introduced.add(ch.blob)
    # a blob no commit in the set introduces (a tag pointing straight at it): keep, unattributed
    for blob, by_path in sc.hits.items():
        for f in next(iter(by_path.values()), []):
            out.holders.setdefault((f.rule.id, f.secret), set()).add(blob)
    if "--all" in spec:
        for blob in scanned_hits:
            if blob not in introduced:
                out.found.extend((f, None) for f in next(iter(sc.hits[blob].values()), []))
    progress.done()
    return out


def scan_blobs(
    git: Git, entries: Sequence[tuple[str, str, str]], engine: Engine, warn: Warn
) -> list[Finding]:
    """Findings in staged blobs: ``entries`` = (path, blob, blob it replaces or "")."""
    sc = _Scanner(engine, warn)
    progress = Progress(False)
    sc.lookup(git, [(blob, path) for path, blob, _ in entries], progress)
    hit = [(p, b, old) for p, b, old in entries if sc.findings(b, p)]
    sc.lookup(git, [(old, p) for p, _, old in hit if old], progress)
    found: list[Finding] = []
    for path, blob, old in hit:
        before = {(f.rule.id, f.secret) for f in sc.findings(old, path)} if old else set()
        found.extend(f.with_(path=path) for f in sc.findings(blob, path)
                     if (f.rule.id, f.secret) not in before)  # fmt: skip
    return found
