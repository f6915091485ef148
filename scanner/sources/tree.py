"""``lekk scan``'s source: files and directories (and stdin), read across all cores.

The walk runs in this process; forked workers then take batches of the walked files
(``_forked``; a huge tree goes to a process pool while the walk goes on), each reads its files
(``dispatch.file_fragments``: archives, source maps, bundles, text) and calls the pipeline's
``scan`` on every fragment.  Small trees are read in this process.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from scanner.finding import Finding
from scanner.sources import Drop, ScanFn, Source, Warn
from scanner.sources import files as files_source
from scanner.sources.files import Target

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

PARALLEL_MIN_FILES = 64  # below this, forking workers costs more than it saves
FORK_MAX_FILES = 50_000  # a tree up to this is walked before the workers fork (``_forked``)
BATCH = 32  # files per task: small enough that both cores get work on a small tree
STDIN = "-"


class FileSource(Source):
    command = "scan"

    def __init__(self, paths: Sequence[str], excludes: Sequence[str] = ()) -> None:
        self.paths = list(paths)
        self.excludes = list(excludes)
        self.files = 0
        self.bytes = 0
        self._real: dict[str, str] = {}  # reported path -> file on disk (for git_tracked rules)
        self._prefixes: list[str] = []  # roots as reported, when there are several

    def collect(self, scan: ScanFn, warn: Warn, jobs: int | None) -> list[Finding]:
        found: list[Finding] = []
        paths = self.paths
        if STDIN in paths:
            found.extend(
                f
                for frag in files_source.read_stdin(scan.prefilter, warn)
                for f in scan(frag, warn)
            )
            self.files += 1
            paths = [p for p in paths if p != STDIN]
        walker = self._walk(paths, warn)
        targets = list(itertools.islice(walker, PARALLEL_MIN_FILES))
        jobs = jobs or os.cpu_count() or 1
        if jobs > 1 and len(targets) >= PARALLEL_MIN_FILES:
            # the engine and the readers, made before the workers fork: each inherits them
            # instead of importing and building its own
            scan.prefilter(b"", "")
            from scanner.sources import dispatch  # noqa: F401

            targets.extend(itertools.islice(walker, FORK_MAX_FILES))
            if len(targets) <= FORK_MAX_FILES and hasattr(os, "fork"):
                results: Iterable[tuple[list[Finding], list[str], int]] = _forked(
                    scan, targets, jobs
                )
                pool = None
            else:  # a huge tree: the workers start while this process walks the rest of it
                pool = _pool(scan, jobs)
                results = pool.map(_scan_batch, _batches(_kept(walker, targets), BATCH))
            try:
                for part, warnings, nbytes in results:
                    found.extend(part)
                    for w in warnings:
                        warn(w)
                    self.bytes += nbytes
            finally:
                if pool is not None:
                    pool.shutdown(cancel_futures=True)
        else:
            targets.extend(walker)
            part, warnings, nbytes = scan_targets(scan, targets)
            found.extend(part)
            for w in warnings:
                warn(w)
            self.bytes += nbytes
        self.files += len(targets)
        self._real = {t.rel: t.real for t in targets}
        return found

    def _walk(self, paths: Sequence[str], warn: Warn) -> Iterator[Target]:
        """The files to read; with several roots, reported as ``root/path`` (the root relative to
        the current directory), so two roots' ``src/app.js`` stay apart."""
        several = len(paths) > 1
        for arg in paths:
            prefix = _display(Path(arg)) if several and os.path.isdir(arg) else "."
            if prefix != ".":
                self._prefixes.append(prefix)
            for _, t in files_source.walk([arg], self.excludes, warn):
                yield t if prefix == "." else replace(t, rel=f"{prefix}/{t.rel}")

    def local_path(self, path: str) -> str:
        for prefix in self._prefixes:
            if path.startswith(prefix + "/"):
                return path[len(prefix) + 1 :]
        return path

    def settle(self, kept: list[Finding], drop: Drop, warn: Warn) -> list[Finding]:
        from scanner import gitignored

        if not any(f.rule.git_tracked for f in kept):
            return kept
        return list(gitignored.settle(kept, self._real.get, drop))

    def coverage(self) -> tuple[int, int]:
        return self.files, self.bytes


def _display(root: Path) -> str:
    """A root as the report names it: relative to the current directory, '/'-separated."""
    try:
        return Path(os.path.relpath(root.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return root.resolve().as_posix()


def scan_targets(scan: ScanFn, targets: Sequence[Target]) -> tuple[list[Finding], list[str], int]:
    """Read and scan files in this process: (findings, warnings, bytes)."""
    from scanner.sources import dispatch  # archives, maps, bundles: start-up `lekk staged` skips

    warnings: list[str] = []
    found: list[Finding] = []
    size = 0
    for t in targets:
        sizes: list[int] = []  # the reader's fstat: no stat of its own per file
        for frag in dispatch.file_fragments(t, scan.prefilter, warnings.append, sizes):
            found.extend(scan(frag, warnings.append))
        size += sizes[0] if sizes else 0
    return found, warnings, size


# -- worker side (one Scan per process; its engine is built on first use) ---------------------

_scan: ScanFn | None = None


def _init_worker(scan: ScanFn) -> None:
    global _scan
    _scan = scan


def _scan_batch(targets: Sequence[Target]) -> tuple[list[Finding], list[str], int]:
    assert _scan is not None
    return scan_targets(_scan, targets)


def _batches(items: Iterable[Target], n: int) -> Iterator[list[Target]]:
    batch: list[Target] = []
    for item in items:
        batch.append(item)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def _kept(items: Iterator[Target], seen: list[Target]) -> Iterator[Target]:
    """``seen`` (already taken from ``items``), then the rest of ``items``, kept in ``seen``."""
    yield from list(seen)
    for item in items:
        seen.append(item)
        yield item


def _forked(
    scan: ScanFn, targets: Sequence[Target], jobs: int
) -> list[tuple[list[Finding], list[str], int]]:
    """Scan ``targets`` in ``jobs`` forked workers, in batches each takes when it is free.

    The workers inherit the list (and the engine): the only traffic is a 4-byte batch number
    per batch, taken from one shared pipe (a read of 4 bytes from a pipe written in 4-byte
    records is atomic), and each worker's results, pickled once at its end.  A process pool
    pickles every batch of targets and every result through its queues and threads: on a
    200 MB tree the pool's scan took 524 ms and 853 ms of CPU, this one 434 and 653
    (docs/bench.md).  The results come back in the order of the batches."""
    import pickle
    import signal
    import struct

    starts = range(0, len(targets), BATCH)
    work_r, work_w = os.pipe()
    kids: list[tuple[int, int]] = []
    try:
        for _ in range(min(jobs, len(starts))):
            res_r, res_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                os.close(res_r)
                os.close(work_w)
                _work(scan, targets, work_r, res_w)
            os.close(res_w)
            kids.append((pid, res_r))
        os.close(work_r)
        work_r = -1
        with os.fdopen(work_w, "wb") as fh:  # blocks while the pipe is full: workers read it
            work_w = -1
            fh.write(b"".join(struct.pack("=I", i) for i in starts))
        out: dict[int, tuple[list[Finding], list[str], int]] = {}
        failed = ""
        for pid, res_r in kids:
            with os.fdopen(res_r, "rb") as fh:
                data = fh.read()
            _, status = os.waitpid(pid, 0)
            got = pickle.loads(data) if data else None
            if isinstance(got, dict) and os.waitstatus_to_exitcode(status) == 0:
                out.update(got)
            else:
                failed = failed or (got if isinstance(got, str) else f"exit status {status}")
        kids = []
        if failed:
            from scanner.errors import SourceError

            raise SourceError(f"a scan worker failed: {failed}")
        return [out[i] for i in sorted(out)]
    finally:
        for fd in (work_r, work_w):
            if fd >= 0:
                os.close(fd)
        for pid, _ in kids:  # interrupted: the workers go too
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def _work(scan: ScanFn, targets: Sequence[Target], work: int, result: int) -> NoReturn:
    """A forked worker: batches from ``work`` until it is empty, results to ``result``."""
    import pickle
    import signal
    import struct

    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent says so, once
        done: dict[int, tuple[list[Finding], list[str], int]] = {}
        while len(got := os.read(work, 4)) == 4:
            (i,) = struct.unpack("=I", got)
            done[i] = scan_targets(scan, targets[i : i + BATCH])
        payload: object = done
    except BaseException as exc:
        payload, code = f"{type(exc).__name__}: {exc}", 1
    try:
        with os.fdopen(result, "wb") as fh:
            fh.write(pickle.dumps(payload))
    finally:
        os._exit(code)


def _pool(scan: ScanFn, jobs: int) -> ProcessPoolExecutor:
    # imported here: a process pool is only worth it on large scans, and `lekk staged` must start fast
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(scan,),
    )
