"""Blobs out of ``git cat-file --batch``, turned into Fragments.

One long-lived ``cat-file`` process streams every object; the bytes are tested with a coarse
keyword prefilter (a few short needles that every engine keyword contains), then the engine's
own prefilter, and only then decoded.  Small blobs are read whole; a blob above ``BIG`` is
decoded and scanned in bounded chunks, so memory does not follow the largest file in history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO

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


def feed(stdin: IO[bytes], names: Iterable[str]) -> threading.Thread:
    """Write object names to a ``cat-file`` on a thread (it may block until we read output)."""

    def run() -> None:
        try:
            for name in names:
                stdin.write(name.encode("utf-8", "replace") + b"\n")
            stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


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
