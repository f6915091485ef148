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


def _pipe_with(data: bytes, pieces: list[int]) -> io.BufferedReader:
    """A pipe's read end; a thread writes ``data`` in pieces of the given sizes, then closes."""
    r, w = os.pipe()

    def write() -> None:
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
