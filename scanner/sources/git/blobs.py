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

BIG = 16 << 20  # blobs larger than this are streamed in chunks
FORMAT = "--batch=%(objectname) %(objecttype) %(objectsize) %(rest)"


def parse_header(line: bytes) -> tuple[str, str, int, str]:
    """A ``cat-file --batch`` header line: (name, type, size, rest); type "missing" (or
    "ambiguous") for an object that cannot be read."""
    parts = line.rstrip(b"\n").decode("utf-8", "replace").split(" ", 3)
    if len(parts) >= 2 and parts[1] in ("missing", "ambiguous"):
        return parts[0], parts[1], 0, ""
    if len(parts) < 3 or not (parts[2].isascii() and parts[2].isdigit()):
        raise OSError(f"unexpected output from git cat-file: {line[:80]!r}")
    return parts[0], parts[1], int(parts[2]), parts[3] if len(parts) > 3 else ""


class Batch:
    """Reader of ``cat-file --batch`` output: a header line, then the content and a newline."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.r = stream

    def header(self) -> tuple[str, str, int, str] | None:
        """(name, type, size, rest); type is "missing" for an unknown object; None at the end."""
        line = self.r.readline()
        if not line:
            return None
        return parse_header(line)

    def read(self, size: int) -> bytes:
        data = self.r.read(size)
        self.r.read(1)
        if len(data) != size:
            raise OSError("git cat-file output ended early")
        return data

    def content(self, size: int) -> bytes | None:
        """The content of the record ``header`` returned, or None when it is known to hold no
        keyword at a path that does not need it (``Prefetch.search_with``)."""
        return self.read(size)

    def skip(self, size: int) -> None:
        while size > 0:
            got = len(self.r.read(min(size, 1 << 20)))
            if not got:
                raise OSError("git cat-file output ended early")
            size -= got
        self.r.read(1)

    def stream(self, size: int) -> _Bounded:
        return _Bounded(self.r, size)


Records = Callable[[bytearray, int, int], tuple[list[tuple[bytes, int, int, int]], int]]
KEYWORD, PLAIN = 1, 2  # ``fastscan.records``' flags: a keyword in the bytes; bytes alone decide
_UNREAD = object()  # content known to hold no keyword, not kept
_HEADER_COST = 64  # what a record without content counts against the budget


class Prefetch(Batch):
    """``Batch`` whose records a thread reads ahead, up to ``budget`` bytes of content.

    ``cat-file`` inflates blobs on one core while Python starts up or scans on another; read
    only when the scan asks, git stops each time the pipe is full.  The thread does what the
    scan would do (a header line, then the exact bytes, read as ``Batch`` reads them); a blob
    above ``BIG`` comes in 1 MiB pieces that count against the budget like the rest.

    Once the scan knows its rules (``search_with``), the thread reads the stream in large
    pieces into one buffer and the C extension parses the records and searches each blob for
    the keywords there, without the GIL (``fastscan.records``): a blob with no keyword in its
    bytes, at a path without one, is handed over as its header alone (``content`` gives None), so
    most of the history never becomes a Python object.  Blobs the bytes alone cannot decide
    (a UTF-16 or UTF-32 mark, a NUL in the first bytes) and blobs larger than the buffer are
    handed over whole, as before.
    """

    PIECE = 1 << 20

    def __init__(self, stream: IO[bytes], budget: int) -> None:
        super().__init__(stream)
        self._budget = budget
        self._items: collections.deque[tuple[int, Any]] = collections.deque()  # (cost, item)
        self._held = 0
        self._stop = False
        self._cond = threading.Condition()
        self._pending: Any = None  # the content of the record header() returned
        self._records: Records | None = None
        self._needed: Callable[[str], bool] = bool
        self._idle: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def search_with(self, records: Records | None, needed: Callable[[str], bool]) -> None:
        """From the next record on, parse and search in C with ``records``
        (``Engine.byte_records``); ``needed(path)``: the content is wanted even without a
        keyword in it (a keyword in the path).  Nothing changes when ``records`` is None (no
        extension, or a keyword too short for a search of the bytes)."""
        if records is not None and getattr(self.r, "raw", None) is not None:
            self._needed = needed
            self._records = records

    def when_idle(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` (in the reading thread) the first time the reader has to wait for git."""
        self._idle = fn

    def _put(self, item: Any, cost: int = 0) -> bool:
        with self._cond:
            while self._held >= self._budget and not self._stop:
                self._cond.wait()
            if self._stop:
                return False
            self._items.append((cost, item))
            self._held += cost
            self._cond.notify_all()
            return True

    def _pump(self) -> None:
        src = Batch(self.r)
        try:
            while self._records is None:
                h = src.header()
                if h is None:
                    self._put(None)
                    return
                size = h[2]
                if h[1] in ("missing", "ambiguous"):
                    ok = self._put((h, b""), _HEADER_COST)
                elif size <= BIG:
                    data = src.read(size)
                    ok = self._put((h, data), _HEADER_COST + size)
                else:
                    ok = self._pieces(h, b"", self.r)
                if not ok:
                    return
            self._pump_records(self._records, self._needed)
        except BaseException as exc:  # the scan waits for an item: it gets the error instead
            self._put(exc if isinstance(exc, OSError) else OSError(f"git cat-file: {exc}"))

    def _pieces(self, h: tuple[str, str, int, str], have: bytes, r: Any) -> bool:
        """A big object: its header, then its content in pieces (``have`` first, the rest read
        from ``r``), then its newline is read."""
        size = h[2]
        ok = self._put((h, None), _HEADER_COST)
        while ok and size:
            n = min(size, self.PIECE)
            piece, have = (have[:n], have[n:]) if have else (r.read(n), b"")
            if not piece:
                raise OSError("git cat-file output ended early")
            ok = self._put(piece, len(piece))
            size -= len(piece)
        if ok:
            r.read(1)
        return ok

    def _pump_records(self, records: Records, needed: Callable[[str], bool]) -> None:
        from scanner import fastscan

        r: Any = self.r
        raw = r.raw
        fill, fd = fastscan.pipe_filler(), -1
        try:
            fd = raw.fileno()
        except (OSError, ValueError):  # (no file: a test's stream)
            fill = None
        held = r.read(len(r.peek()))  # what the buffered reader had read already
        buf = bytearray(max(4 * self.PIECE, 2 * len(held)))
        buf[: len(held)] = held
        start, end = 0, len(held)
        view = memoryview(buf)
        while True:
            try:
                recs, start = records(buf, start, end)
            except ValueError as exc:
                raise OSError(str(exc)) from None
            for line, offset, size, flags in recs:
                h = parse_header(line)
                if h[1] != "blob" or (flags & PLAIN and not flags & KEYWORD and not needed(h[3])):
                    item, cost = (h, _UNREAD if h[1] == "blob" else b""), _HEADER_COST
                else:
                    item, cost = (h, bytes(view[offset : offset + size])), _HEADER_COST + size
                if not self._put(item, cost):
                    return
            if len(buf) - end <= self.PIECE:  # keep room for reads straight from the pipe
                view[: end - start] = view[start:end]
                start, end = 0, end - start
                if len(buf) - end <= self.PIECE:  # one record larger than the buffer
                    left = bytes(view[:end])
                    if not self._large(left, raw):
                        return
                    start = end = 0
                    continue
            n = fill(fd, buf, end) - end if fill is not None else raw.readinto(view[end:])
            if not n:
                if start < end:
                    raise OSError("git cat-file output ended early")
                self._put(None)
                return
            end += n

    def _large(self, have: bytes, raw: Any) -> bool:
        """A record that does not fit the buffer: ``have`` its first bytes, the rest from
        ``raw``.  Handed over whole (up to ``BIG``) or in pieces."""
        line, nl, content = have.partition(b"\n")
        if not nl:
            raise OSError(f"unexpected output from git cat-file: {have[:80]!r}")
        h = parse_header(line)
        size = h[2]
        if size > BIG:
            return self._pieces(h, content, raw)  # (unbuffered: nothing read past the record)
        body = bytearray(size + 1)
        body[: len(content)] = content
        got = len(content)
        while got < size + 1:
            n = raw.readinto(memoryview(body)[got:])
            if not n:
                raise OSError("git cat-file output ended early")
            got += n
        if body[size] != 10:
            raise OSError("unexpected output from git cat-file after an object")
        return self._put((h, bytes(body[:size])), _HEADER_COST + size)

    def _get(self) -> Any:
        if self._idle is not None and not self._items:
            idle, self._idle = self._idle, None
            idle()
        with self._cond:
            while not self._items:
                self._cond.wait()
            cost, item = self._items.popleft()
            self._held -= cost
            self._cond.notify_all()
        if isinstance(item, OSError):
            self._items.appendleft((0, item))  # and again for the next call
            raise item
        return item

    def header(self) -> tuple[str, str, int, str] | None:
        item = self._get()
        if item is None:
            self._items.appendleft((0, None))
            return None
        h, self._pending = item
        return h  # type: ignore[no-any-return]

    def content(self, size: int) -> bytes | None:
        if self._pending is _UNREAD:
            self._pending = None
            return None
        return self.read(size)

    def read(self, size: int) -> bytes:
        data, self._pending = self._pending, None
        if data is _UNREAD:
            raise OSError("a blob's content was not kept")  # (content() says None)
        if data is None:  # a big object's pieces
            body = self.stream(size)
            data = body.read(size)
        if len(data) != size:
            raise OSError("git cat-file output ended early")
        return data  # type: ignore[no-any-return]

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
    from scanner.sources import files  # (not before the stream starts: scanner.entry)

    frag = files.whole(data, path, prefilter)
    if frag is not None:
        yield frag


def streamed_fragments(
    body: _Bounded, path: str, prefilter: Prefilter, warn: Warn
) -> Iterator[Fragment]:
    """A large blob in bounded chunks (same overlap and line tracking as large files)."""
    from scanner.sources import files

    yield from files.read_stream(body, path, prefilter, warn)  # type: ignore[arg-type]


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
    on_unread: Callable[[str], None] | None = None,
) -> None:
    """Call ``handle(sha, path, fragments)`` for every blob in the stream; skip other objects.

    ``rest`` (what follows the object name on the input line) is the path.  ``on_object`` sees
    every object (sha, type, size) for progress and statistics; ``on_unread(sha)``, if given,
    takes the place of ``handle`` for a blob the C search left unread (no keyword in its
    bytes or its path: no fragment).
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
            data = batch.content(size)  # None: no keyword in it (Prefetch.search_with)
            if data is not None:
                handle(sha, path, fragments(data, path, prefilter))
            elif on_unread is not None:
                on_unread(sha)
            else:
                handle(sha, path, iter(()))
