"""Step 1 of the history scan across cores: one ``cat-file --batch`` per worker.

The main process reads ``rev-list --objects`` and deals the blob names out, in reverse pack
order (``history.pack_order``) and in runs of ``RUN``, round-robin to N ``cat-file``
processes; a forked worker per ``cat-file`` reads its stream, prefilters and scans.
Workers send back only which (blob, path) pairs have findings (a handful), and the main process
scans those again itself, so no Finding (or compiled rule) crosses a process boundary.
Needs ``fork`` (Linux); elsewhere the single-process pipeline runs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from typing import IO, Any, Protocol

from scanner.sources import Fragment, Prefilter, Warn
from scanner.sources.git import blobs, history
from scanner.sources.git.cmd import Git, Proc
from scanner.sources.git.progress import Progress

RUN = 256  # consecutive blobs dealt to one worker: a delta chain stays in one cat-file


class Scans(Protocol):
    prefilter: Prefilter

    @property
    def plain(self) -> Any: ...

    scanned: dict[str, Any]
    bare: set[str]

    def sig(self, path: str) -> Any: ...

    def keyed(self, path: str) -> bool: ...

    def note_bare(self, blob: str) -> None: ...

    def passing(self, frags: Iterator[Fragment]) -> Any: ...

    def any_finding(self, frags: Iterator[Fragment], warn: Warn) -> bool: ...


def _work(i: int, cats: list[Proc], send: Connection, stats: Any, sc: Scans) -> None:
    for j, c in enumerate(cats):  # drop inherited pipe ends, or a cat-file never sees EOF
        if c.p.stdin is not None:
            c.p.stdin.close()
        if j != i:
            c.stdout.close()
    hits: list[tuple[str, str]] = []
    warnings: list[str] = []
    error = ""

    def on_object(sha: str, kind: str, size: int) -> None:
        if kind == "blob":
            stats[4 * i] += 1
            stats[4 * i + 1] += size
        elif kind == "missing":
            stats[4 * i + (2 if sha.startswith("?") else 3)] += 1

    scanned = {}

    def handle(sha: str, path: str, frags: Iterator[Fragment]) -> None:
        seen = sc.passing(frags)
        if sc.any_finding(iter(seen), warnings.append):
            hits.append((sha, path))
        elif not seen.any and not sc.keyed(path):
            sc.note_bare(sha)  # (the path's signature is not needed: see _Scanner.empty_at)
            return
        sig = sc.sig(path)
        if sig != sc.plain:
            scanned[sha] = sig

    try:
        blobs.read_objects(
            blobs.Batch(cats[i].stdout), sc.prefilter, warnings.append, on_object, handle
        )
    except OSError as exc:
        error = str(exc)
    send.send((hits, warnings, error, scanned, sc.bare))
    send.close()


def scan(
    git: Git, spec: Sequence[str], sc: Scans, jobs: int, warn: Warn, progress: Progress
) -> tuple[list[tuple[str, str]], int, int, int, int]:
    """(blob, path) pairs with findings; blobs, bytes, missing and corrupt objects."""
    ctx = multiprocessing.get_context("fork")
    stats = ctx.RawArray("q", 4 * jobs)  # per worker: blobs, bytes, missing, corrupt objects
    cats = [history.catfile(git) for _ in range(jobs)]
    workers, results = [], []
    for i in range(jobs):
        recv, send = ctx.Pipe(duplex=False)
        w = ctx.Process(target=_work, args=(i, cats, send, stats, sc), daemon=True)
        w.start()
        send.close()
        workers.append(w)
        results.append(recv)
    for c in cats:
        c.stdout.close()  # the workers read them
    revlist, listing, lines = history.ordered_blobs(git, spec)
    ins: list[IO[bytes]] = [c.p.stdin for c in cats if c.p.stdin is not None]
    try:
        for n, line in enumerate(lines):
            ins[n // RUN % jobs].write(line)
            if progress.on and n % 256 == 0:
                progress.blobs, progress.bytes = sum(stats[0::4]), sum(stats[1::4])
                progress.object("", 0)
    except BrokenPipeError:
        pass
    finally:
        listing.kill()
        for f in ins:
            with contextlib.suppress(OSError):
                f.close()
    revlist.finish("git rev-list")
    hits: list[tuple[str, str]] = []
    errors = []
    for recv, w in zip(results, workers, strict=True):
        try:
            found, warnings, error, scanned, bare = recv.recv()
        except EOFError:
            found, warnings, error, scanned, bare = [], [], "a scanning worker died", {}, set()
        hits.extend(found)
        sc.scanned.update(scanned)
        for blob in bare:
            sc.note_bare(blob)
        for msg in warnings:
            warn(msg)
        if error:
            errors.append(error)
        w.join()
    for c in cats:
        if errors:
            c.kill()
        else:
            c.finish("git cat-file")
    if errors:
        from scanner.errors import SourceError

        raise SourceError(f"{git.where}: cannot read an object: {errors[0]}")
    blobs_, bytes_, missing, corrupt = (sum(stats[k::4]) for k in range(4))
    return hits, blobs_, bytes_, missing, corrupt
