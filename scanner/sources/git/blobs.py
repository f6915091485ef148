"""Blobs out of ``git cat-file --batch``, turned into Fragments.

One long-lived ``cat-file`` process streams every object; the bytes are tested with a coarse
keyword prefilter (a few short needles that every engine keyword contains), then the engine's
own prefilter, and only then decoded.  Small blobs are read whole; a blob above ``BIG`` is
decoded and scanned in bounded chunks, so memory does not follow the largest file in history.
"""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from scanner.sources import Fragment, Prefilter, Warn
from scanner.sources import files as files_source

BIG = 16 << 20  # blobs larger than this are streamed in chunks
FORMAT = "--batch=%(objectname) %(objecttype) %(objectsize) %(rest)"


class Batch:
    """Reader of ``cat-file --batch`` output: a header line, then the content and a newline."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.r = stream

    def header(self) -> tuple[str, str, int, str] | None:
        """(name, type, size, rest); type is "missing" for an unknown object; None at the end."""
        line = self.r.readline()
        if not line:
            return None
        parts = line.rstrip(b"\n").decode("utf-8", "replace").split(" ", 3)
        if len(parts) >= 2 and parts[1] in ("missing", "ambiguous"):
            return parts[0], parts[1], 0, ""
        if len(parts) < 3:
            raise OSError(f"unexpected output from git cat-file: {line[:80]!r}")
        return parts[0], parts[1], int(parts[2]), parts[3] if len(parts) > 3 else ""

    def read(self, size: int) -> bytes:
        data = self.r.read(size)
        self.r.read(1)
        if len(data) != size:
            raise OSError("git cat-file output ended early")
        return data

    def skip(self, size: int) -> None:
        while size > 0:
            got = len(self.r.read(min(size, 1 << 20)))
            if not got:
                raise OSError("git cat-file output ended early")
            size -= got
        self.r.read(1)

    def stream(self, size: int) -> _Bounded:
        return _Bounded(self.r, size)


class Prefetch(Batch):
    """``Batch`` whose records a thread reads ahead, up to ``budget`` bytes of content.

    ``cat-file`` inflates blobs on one core while Python starts up or scans on another; read
    only when the scan asks, git stops each time the pipe is full.  The thread does what the
    scan would do (a header line, then the exact bytes, read as ``Batch`` reads them), so
    nothing is copied more than without it; a blob above ``BIG`` comes in 1 MiB pieces that
    count against the budget like the rest.
    """

    PIECE = 1 << 20

    def __init__(self, stream: IO[bytes], budget: int) -> None:
        super().__init__(stream)
        self._budget = budget
        self._items: collections.deque[Any] = collections.deque()
        self._held = 0
        self._stop = False
        self._cond = threading.Condition()
        self._pending: bytes | None = None  # the content of the record header() returned
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _put(self, item: Any, size: int = 0) -> bool:
        with self._cond:
            while self._held >= self._budget and not self._stop:
                self._cond.wait()
            if self._stop:
                return False
            self._items.append(item)
            self._held += size
            self._cond.notify_all()
            return True

    def _pump(self) -> None:
        src = Batch(self.r)
        try:
            while (h := src.header()) is not None:
                size = h[2]
                if h[1] in ("missing", "ambiguous"):
                    ok = self._put((h, b""))
                elif size <= BIG:
                    data = src.read(size)
                    ok = self._put((h, data), len(data))
                else:
                    ok = self._put((h, None))
                    while ok and size:
                        piece = self.r.read(min(size, self.PIECE))
                        if not piece:
                            raise OSError("git cat-file output ended early")
                        ok = self._put(piece, len(piece))
                        size -= len(piece)
                    self.r.read(1)
                if not ok:
                    return
            self._put(None)
        except BaseException as exc:  # the scan waits for an item: it gets the error instead
            self._put(exc if isinstance(exc, OSError) else OSError(f"git cat-file: {exc}"))

    def _get(self) -> Any:
        with self._cond:
            while not self._items:
                self._cond.wait()
            item = self._items.popleft()
            if isinstance(item, bytes):
                self._held -= len(item)
            elif isinstance(item, tuple) and item[1]:
                self._held -= len(item[1])
            self._cond.notify_all()
        if isinstance(item, OSError):
            self._items.appendleft(item)  # and again for the next call
            raise item
        return item

    def header(self) -> tuple[str, str, int, str] | None:
        item = self._get()
        if item is None:
            self._items.appendleft(None)
            return None
        h, self._pending = item
        return h  # type: ignore[no-any-return]

    def read(self, size: int) -> bytes:
        data, self._pending = self._pending, None
        if data is None:  # a big object's pieces
            body = self.stream(size)
            data = body.read(size)
        if len(data) != size:
            raise OSError("git cat-file output ended early")
        return data

    def skip(self, size: int) -> None:
        data, self._pending = self._pending, None
        if data is None:
            self.stream(size).drain()

    def stream(self, size: int) -> _Bounded:
        return _Pieces(self, size)

    def close(self) -> None:
        """Stop the thread (it ends at its next record); the pipe is the process's to close."""
        with self._cond:
            self._stop = True
            self._items.clear()
            self._held = 0
            self._cond.notify_all()


class _Bounded:
    """File-like view of the next ``size`` bytes of a stream (for chunked reading)."""

    def __init__(self, r: IO[bytes], size: int) -> None:
        self.r, self.left = r, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.r.read(n) if n else b""
        self.left -= len(data)
        return data

    def drain(self) -> None:
        while self.left:
            if not self.read(1 << 20):
                raise OSError("git cat-file output ended early")
        self.r.read(1)


class _Pieces(_Bounded):
    """A big blob's content as ``Prefetch`` hands it over, in pieces."""

    def __init__(self, batch: Prefetch, size: int) -> None:
        self.batch, self.left = batch, size
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        parts, got = [self._buf], len(self._buf)
        while got < n:
            piece = self.batch._get()
            parts.append(piece)
            got += len(piece)
        joined = b"".join(parts)
        data, self._buf = joined[:n], joined[n:]
        self.left -= len(data)
        return data

    def drain(self) -> None:
        while self.left:
            self.read(min(self.left, Prefetch.PIECE))


def fragments(data: bytes, path: str, prefilter: Prefilter) -> Iterator[Fragment]:
    """A whole blob's text as one fragment (nothing for binary or keyword-free content)."""
    frag = files_source.whole(data, path, prefilter)
    if frag is not None:
        yield frag


def streamed_fragments(
    body: _Bounded, path: str, prefilter: Prefilter, warn: Warn
) -> Iterator[Fragment]:
    """A large blob in bounded chunks (same overlap and line tracking as large files)."""
    yield from files_source.read_stream(body, path, prefilter, warn)  # type: ignore[arg-type]


class Feeder(threading.Thread):
    """Writes lines to a ``cat-file``'s stdin on a thread (git blocks on its output until we
    read it, so we cannot write from the reading thread).  ``error``: what stopped the lines
    before their end (not a closed pipe: git's own failure says more), so that a scan never
    takes a stream cut short for a whole one."""

    def __init__(self, stdin: IO[bytes], lines: Iterable[bytes]) -> None:
        super().__init__(daemon=True)
        self.stdin, self.lines = stdin, lines
        self.error: str | None = None
        self.start()

    def run(self) -> None:
        try:
            for line in self.lines:
                self.stdin.write(line)
        except (BrokenPipeError, ValueError):
            pass  # git went away, or we closed the pipe: the reading side reports it
        except BaseException as exc:
            self.error = str(exc) or type(exc).__name__
        finally:
            with contextlib.suppress(OSError, ValueError):
                self.stdin.close()

    def finish(self) -> str | None:
        self.join()
        return self.error


def feed(stdin: IO[bytes], lines: Iterable[bytes]) -> Feeder:
    """Write ``lines`` (each ending in a newline) to a ``cat-file``'s stdin, on a thread."""
    return Feeder(stdin, lines)


def read_objects(
    batch: Batch,
    prefilter: Prefilter,
    warn: Warn,
    on_object: Callable[[str, str, int], None],
    handle: Callable[[str, str, Iterator[Fragment]], None],
) -> None:
    """Call ``handle(sha, path, fragments)`` for every blob in the stream; skip other objects.

    ``rest`` (what follows the object name on the input line) is the path.  ``on_object`` sees
    every object (sha, type, size) for progress and statistics.
    """
    while (h := batch.header()) is not None:
        sha, kind, size, path = h
        on_object(sha, kind, size)
        if kind in ("missing", "ambiguous"):
            if len(sha) in (40, 64):
                warn(f"object {sha}: missing or corrupt, cannot be read; skipped")
            continue
        if kind != "blob":
            batch.skip(size)
            continue
        if size > BIG:
            body = batch.stream(size)
            handle(sha, path, streamed_fragments(body, path, prefilter, warn))
            body.drain()
        else:
            handle(sha, path, fragments(batch.read(size), path, prefilter))
