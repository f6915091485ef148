"""``cmd.ReadAhead``: a pipe read on a thread, bounded, read back exactly as a file would be.

The history scan reads ``cat-file --batch`` through it (header lines, then exact byte counts),
so every split of the stream into chunks must give the same lines and blocks as a buffered
file, the buffer must stop at its budget while nobody reads, and closing it must not leave the
thread in ``os.read`` on a pipe that is about to be closed.
"""

from __future__ import annotations

import io
import os
import random
import threading
import time

import pytest

from scanner.sources.git import cmd


def _pipe_with(data: bytes, pieces: list[int]) -> int:
    """A pipe's read end; a thread writes ``data`` in pieces of the given sizes, then closes."""
    r, w = os.pipe()

    def write() -> None:
        pos = 0
        for n in pieces:
            os.write(w, data[pos : pos + n])
            pos += n
        if pos < len(data):
            os.write(w, data[pos:])
        os.close(w)

    threading.Thread(target=write, daemon=True).start()
    return r


def _cat_file_like(rng: random.Random, n: int) -> bytes:
    out = bytearray()
    for i in range(n):
        body = rng.randbytes(rng.choice([0, 1, 7, 4095, 4096, 70_000, 300_000]))
        out += f"{i:040x} blob {len(body)} path/{i}\n".encode() + body + b"\n"
    return bytes(out)


@pytest.mark.parametrize("seed", range(6))
def test_reads_the_same_lines_and_blocks_as_a_buffered_file(seed: int) -> None:
    rng = random.Random(seed)
    data = _cat_file_like(rng, 60)
    pieces = [rng.choice([1, 13, 4096, 65_536, 300_001]) for _ in range(400)]
    budget = rng.choice([1, 1 << 16, 1 << 20])  # at least one chunk, whatever is asked
    fd = _pipe_with(data, pieces)
    ahead = cmd.ReadAhead(fd, budget)
    want = io.BytesIO(data)
    while True:
        header = ahead.readline()
        assert header == want.readline()
        if not header:
            break
        size = int(header.split()[2])
        assert ahead.read(size) == want.read(size)
        assert ahead.read(1) == want.read(1) == b"\n"
    assert ahead.read(10) == b""
    ahead.close()
    os.close(fd)


def test_holds_no_more_than_its_budget_while_nobody_reads() -> None:
    data = b"x" * (12 << 20)
    fd = _pipe_with(data, [1 << 20] * 12)
    ahead = cmd.ReadAhead(fd, 2 << 20)
    time.sleep(0.5)  # the writer could have sent everything by now
    assert ahead._held <= (2 << 20) + cmd.ReadAhead.CHUNK
    assert len(ahead.read(len(data))) == len(data)  # and everything still arrives
    ahead.close()
    os.close(fd)


def test_close_waits_for_the_thread_to_leave_the_pipe() -> None:
    r, w = os.pipe()
    ahead = cmd.ReadAhead(r, 1 << 20)
    os.write(w, b"some\n")
    assert ahead.readline() == b"some\n"
    closer = threading.Thread(target=ahead.close)
    closer.start()
    closer.join(0.3)
    assert closer.is_alive()  # the thread is still in os.read: the fd must stay open
    os.close(w)  # the writer goes (git exits)
    closer.join(5)
    assert not closer.is_alive() and not ahead._thread.is_alive()
    os.close(r)
