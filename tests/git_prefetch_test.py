"""``blobs.Prefetch``: ``cat-file --batch`` records read ahead on a thread, bounded, and handed
over exactly as ``blobs.Batch`` reads them from the pipe itself.

The history scan reads its blob stream through it from the moment git starts (before the CLI
has loaded), so every record must come out the same (small, empty, missing, and big ones in
pieces), the buffer must stop at its budget while nobody reads, and a stream that ends early
must be an error, as it is for ``Batch``.
"""

from __future__ import annotations

import io
import os
import random
import threading
import time
from collections.abc import Callable

import pytest

from scanner.sources.git import blobs


def _pipe_with(
    data: bytes, pieces: list[int], go: threading.Event | None = None
) -> io.BufferedReader:
    """A pipe's read end; a thread writes ``data`` in pieces of the given sizes (once ``go``
    is set, if given), then closes."""
    r, w = os.pipe()

    def write() -> None:
        if go is not None:
            go.wait()
        pos = 0
        try:
            for n in pieces:
                if pos >= len(data):
                    break
                os.write(w, data[pos : pos + n])
                pos += n
            if pos < len(data):
                os.write(w, data[pos:])
        except BrokenPipeError:  # the reader went away (a test that stops reading)
            pass
        os.close(w)

    threading.Thread(target=write, daemon=True).start()
    return io.BufferedReader(io.FileIO(r, "rb"), 1 << 16)


def _records(rng: random.Random, n: int) -> bytes:
    out = bytearray()
    for i in range(n):
        kind = rng.choice(["blob", "blob", "blob", "tree", "missing"])
        if kind == "missing":
            out += f"{i:040x} missing\n".encode()
            continue
        body = rng.randbytes(rng.choice([0, 1, 7, 4095, 70_000, 300_000, 2_500_000]))
        out += f"{i:040x} {kind} {len(body)} path/{i}\n".encode() + body + b"\n"
    return bytes(out)


def _read_all(batch: blobs.Batch) -> list[tuple[tuple[str, str, int, str], bytes | None]]:
    """Every record as the scan reads it: blobs by size (big ones streamed), trees skipped."""
    got: list[tuple[tuple[str, str, int, str], bytes | None]] = []
    while (h := batch.header()) is not None:
        _, kind, size, _ = h
        if kind == "missing":
            got.append((h, None))
        elif kind != "blob":
            batch.skip(size)
            got.append((h, None))
        elif size > blobs.BIG:
            body = batch.stream(size)
            parts = [body.read(777_777)]
            parts.append(body.read(-1))
            body.drain()
            got.append((h, b"".join(parts)))
        else:
            got.append((h, batch.read(size)))
    return got


@pytest.mark.parametrize("seed", range(6))
def test_hands_over_the_same_records_as_reading_the_pipe_itself(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobs, "BIG", 1 << 20)  # the 2.5 MB blobs come in pieces
    rng = random.Random(seed)
    data = _records(rng, 40)
    pieces = [rng.choice([1, 13, 4096, 65_536, 300_001]) for _ in range(300)]
    budget = rng.choice([1, 1 << 16, 1 << 22])
    want = _read_all(blobs.Batch(io.BytesIO(data)))
    batch = blobs.Prefetch(_pipe_with(data, pieces), budget)
    assert _read_all(batch) == want
    assert batch.header() is None  # and stays at the end


def test_holds_no_more_than_its_budget_while_nobody_reads() -> None:
    body = b"x" * (1 << 20)
    data = b"".join(f"{i:040x} blob {len(body)} p\n".encode() + body + b"\n" for i in range(12))
    batch = blobs.Prefetch(_pipe_with(data, [1 << 20] * 13), 2 << 20)
    time.sleep(0.5)  # the writer could have sent everything by now
    assert batch._held <= (2 << 20) + len(body)  # the budget, and the record that crossed it
    assert len(_read_all(batch)) == 12  # and everything still arrives


@pytest.mark.parametrize(
    "cut", [lambda d: d[:-3], lambda d: d[: d.index(b"\n") + 5], lambda d: d + b"garbage\n"]
)
def test_a_stream_that_ends_early_or_garbled_is_an_error(cut: Callable[[bytes], bytes]) -> None:
    data = cut(b"a" * 40 + b" blob 10 p\n0123456789\n")
    with pytest.raises(OSError):
        _read_all(blobs.Batch(io.BytesIO(data)))
    batch = blobs.Prefetch(_pipe_with(data, [7] * 10), 1 << 20)
    with pytest.raises(OSError):
        _read_all(batch)
    with pytest.raises(OSError):  # and again: the error stays
        batch.header()


def test_close_lets_the_thread_go_while_the_buffer_is_full() -> None:
    body = b"y" * (1 << 20)
    data = b"".join(f"{i:040x} blob {len(body)} p\n".encode() + body + b"\n" for i in range(8))
    batch = blobs.Prefetch(_pipe_with(data, [1 << 20] * 9), 1 << 20)
    time.sleep(0.2)
    assert batch._thread.is_alive()  # waiting for room
    batch.close()
    batch._thread.join(5)
    assert not batch._thread.is_alive()


# -- parsed and searched in C (``Prefetch.search_with``) ---------------------------------------

KEYWORDS = [b"secret", b"vipps"]


def _records_c(rng: random.Random, n: int) -> bytes:
    """Records whose blobs a search in C must tell apart: with a keyword (any case) or none,
    a UTF-16 mark or a NUL up front (the bytes alone cannot decide), paths with a keyword."""
    out = bytearray()
    for i in range(n):
        kind = rng.choice(["blob"] * 6 + ["tree", "missing"])
        if kind == "missing":
            out += f"{i:040x} missing\n".encode()
            continue
        size = rng.choice([0, 1, 7, 4095, 20_000, 70_000, 300_000, 1_300_000])
        body = bytearray(rng.choice(b"abcdefghij \n") for _ in range(min(size, 5000)))
        body = (body * (size // max(len(body), 1) + 1))[:size]
        at = rng.randrange(size + 1)
        what = rng.choice(["plain", "keyword", "keyword", "utf16", "nul", "keyword-late"])
        if what == "keyword" and size >= 6:
            body[at : at + 6] = rng.choice([b"SECRET", b"secret", b"Vipps!"])[: len(body) - at]
        elif what == "keyword-late" and size >= 5:
            body[-5:] = b"VIPPS"
        elif what == "utf16" and size >= 2:
            body[:2] = b"\xff\xfe"
        elif what == "nul" and size >= 1:
            body[min(at, size - 1)] = 0
        path = rng.choice(["a.txt", "dir/b.js", "vipps/c.env", "secrets.yml"])
        out += f"{i:040x} {kind} {size} {path}\n".encode() + bytes(body) + b"\n"
    return bytes(out)


def _read_contents(batch: blobs.Batch) -> list[tuple[tuple[str, str, int, str], bytes | None]]:
    """Every record as ``read_objects`` reads it (``content``: None for a blob left unread)."""
    got: list[tuple[tuple[str, str, int, str], bytes | None]] = []
    while (h := batch.header()) is not None:
        _, kind, size, _ = h
        if kind != "blob":
            if kind != "missing":
                batch.skip(size)
            got.append((h, None))
        elif size > blobs.BIG:
            body = batch.stream(size)
            got.append((h, body.read(-1)))
            body.drain()
        else:
            got.append((h, batch.content(size)))
    return got


def _needed(path: str) -> bool:
    return any(k.decode() in path.lower() for k in KEYWORDS)


def _expected(data: bytes) -> list[tuple[tuple[str, str, int, str], bytes | None]]:
    """What the C reader must hand over: a blob's bytes unless they are plain (no UTF-16/32
    mark, no NUL in the first ``SNIFF`` bytes), keyword-free and at a path without one."""
    from scanner.sources.sniff import SNIFF

    out = []
    for h, content in _read_contents(blobs.Batch(io.BytesIO(data))):
        if content is not None and h[2] <= blobs.BIG:
            plain = not content.startswith((b"\xff\xfe", b"\xfe\xff")) and (
                b"\0" not in content[:SNIFF]
            )
            keyword = any(k in content.lower() for k in KEYWORDS)
            if plain and not keyword and not _needed(h[3]):
                content = None
        out.append((h, content))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_in_c_the_same_records_and_only_the_keyword_free_left_unread(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random records through a pipe in random pieces, read with the C search switched on at
    once or later: every record comes, in order; a blob's bytes are left out only when no
    keyword is in them (or in its path) and the bytes alone decide.  The buffer is made small
    here (``PIECE``), so blobs larger than it (whole, or in pieces above ``BIG``) come too."""
    from scanner import fastscan
    from scanner.sources.sniff import SNIFF

    records = fastscan.compile_records(KEYWORDS, SNIFF)
    if records is None:
        pytest.skip("the C extension is not built (LEKK_PURE_PYTHON, or no compiler)")
    monkeypatch.setattr(blobs.Prefetch, "PIECE", 1 << 16)  # a 256 KiB buffer
    monkeypatch.setattr(blobs, "BIG", 1 << 20)
    rng = random.Random(seed)
    data = _records_c(rng, 60)
    pieces = [rng.choice([1, 13, 4096, 65_536, 300_001]) for _ in range(400)]
    go = threading.Event()
    batch = blobs.Prefetch(_pipe_with(data, pieces, go), rng.choice([1, 1 << 22]))
    if seed % 2:
        go.set()
        time.sleep(0.05)  # (the thread has read records the Python way by now)
        batch.search_with(records, _needed)
    else:
        batch.search_with(records, _needed)
        go.set()
    got = _read_contents(batch)
    full = _read_contents(blobs.Batch(io.BytesIO(data)))
    want = _expected(data)
    assert [h for h, _ in got] == [h for h, _ in full]
    for (h, content), (_, whole), (_, expected) in zip(got, full, want, strict=True):
        if content is None:
            assert expected is None, h  # left unread only where nothing can be found
        else:
            assert content == whole, h
    # every record that fits the buffer is searched in C, but the first one (the thread waits
    # for it the Python way); a larger one comes whole
    unread = sum(c is None for h, c in got if h[1] == "blob")
    fit = sum(c is None for h, c in want if h[1] == "blob" and h[2] <= 2 * blobs.Prefetch.PIECE)
    assert seed % 2 or unread >= fit - 1 >= 3


@pytest.mark.parametrize(
    "cut", [lambda d: d[:-3], lambda d: d[: d.index(b"\n") + 5], lambda d: d + b"garbage\n"]
)
def test_in_c_a_stream_that_ends_early_or_garbled_is_an_error(
    cut: Callable[[bytes], bytes],
) -> None:
    from scanner import fastscan
    from scanner.sources.sniff import SNIFF

    records = fastscan.compile_records(KEYWORDS, SNIFF)
    if records is None:
        pytest.skip("the C extension is not built (LEKK_PURE_PYTHON, or no compiler)")
    data = cut(b"a" * 40 + b" blob 10 p\n0123456789\n")
    r, w = os.pipe()
    batch = blobs.Prefetch(io.BufferedReader(io.FileIO(r, "rb"), 1 << 16), 1 << 20)
    batch.search_with(records, _needed)
    os.write(w, data)
    os.close(w)
    with pytest.raises(OSError):
        _read_contents(batch)
    with pytest.raises(OSError):  # and again: the error stays
        batch.header()
