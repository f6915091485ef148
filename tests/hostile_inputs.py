"""Hostile inputs, built byte by byte: shared by tests/hostile_test.py and bench/hostile.py.

Every builder takes its size as an argument: the tests build small ones and assert behaviour (a
warning, the rest of the report), the benchmark builds the full-size ones and measures them.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import io
import struct
import tarfile
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path


def raw_zip(entries: list[tuple[bytes, bytes]], *, declared: int | None = None) -> bytes:
    """A stored zip written field by field (names as given, even empty); ``declared`` is the
    member count its end record claims."""
    out, central = bytearray(), bytearray()
    for name, data in entries:
        crc, off = zlib.crc32(data), len(out)
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0
        )
        out += name + data
        central += struct.pack(
            "<4s6H3L5H2L",
            *(b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name)),
            *(0, 0, 0, 0, 0, off),
        )
        central += name
    n = len(entries) if declared is None else declared
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central), len(out), 0)
    return bytes(out + central + end)


def write_understated_zip(path: Path, entries: int, payload: bytes = b"") -> None:
    """``entries`` empty members behind an end record that claims one, then ``payload`` as
    ``config.env``."""
    names = [(b"d/%07d" % i, b"") for i in range(entries)]
    path.write_bytes(raw_zip([*names, (b"config.env", payload)], declared=1))


def truncated_fextra_tgz() -> bytes:
    """A gzip header with the FEXTRA flag set, cut off before the extra field's length."""
    head = bytearray(gzip.compress(b"x" * 100)[:10])
    head[3] |= 4
    return bytes(head)


def write_dir_entries_tgz(path: Path, entries: int, payload: bytes = b"") -> None:
    """A .tgz of ``entries`` directory entries (no data, so it packs tiny), then ``payload``."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.USTAR_FORMAT) as tf,
    ):
        for i in range(entries):
            info = tarfile.TarInfo(f"d{i:07d}")
            info.type = tarfile.DIRTYPE
            tf.addfile(info)
        info = tarfile.TarInfo("config.env")
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))


def write_repeated(path: Path, unit: bytes, size: int, tail: bytes = b"") -> None:
    """``unit`` repeated to ``size`` bytes (streamed), then ``tail``."""
    block = unit * max(1, (1 << 20) // len(unit))
    with path.open("wb") as fh:
        left = size
        while left > 0:
            fh.write(block[:left])
            left -= len(block)
        fh.write(tail)


@contextlib.contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A server on 127.0.0.1 for the block; yields its base URL (no trailing slash)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
