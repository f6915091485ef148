"""One-pass keyword search, in C when the optional extension was built: whether any keyword is
in some bytes (the prefilter, ``compile_search``), and where each occurs (the engine's keywords
and anchors in a text it reads, ``compile_locate``).

``scanner/_fastscan.c`` is compiled when lekk is installed with a C compiler at hand
(``hatch_build.py``); without one, lekk installs all the same and the engine falls back to its
pure-Python prefilter (one ``bytes.find`` per needle) and ``str.find`` per keyword, which find
the same, slower.
``LEKK_PURE_PYTHON=1`` in the environment makes lekk ignore the extension (to compare the two).

This module builds the extension's tables: for every keyword, its four adjacent bytes that are
least common in source code, so that the scan stops to compare keywords as rarely as possible,
and bitmaps of their pairs in every letter case: the first and the second pair of each window,
and all three (tested at every third position of the data only).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, Protocol


def _extension() -> ModuleType | None:
    if os.environ.get("LEKK_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from scanner import _fastscan
    except ImportError:  # not compiled: no C compiler when lekk was installed
        return None
    return _fastscan


_fastscan = _extension()

MAGIC = b"LKF4"
MAX_KEYWORD = 0xFFFF
WINDOW = 4  # bytes of each keyword tested before it is compared whole

# Bytes in descending order of how often they occur in source code: a window made of them would
# stop the scan often.  The rest (most digits and punctuation, rare letters) are cheap.
_COMMON = b" etaoinsrlcdu\npm_hf.(),g=y\"b':v/w-0x1k"
_WEIGHT = {c: len(_COMMON) - i for i, c in enumerate(_COMMON)}


class Search(Protocol):
    def __call__(self, data: bytes) -> bool: ...


class Locate(Protocol):
    def __call__(self, data: bytes, limit: int) -> dict[bytes, list[int]]: ...


def available() -> bool:
    return _fastscan is not None


def tables(keywords: Iterable[bytes]) -> bytes:
    """The extension's tables for these lowercase keywords (see ``_fastscan.c``)."""
    return _layout(keywords)[0]


def _layout(keywords: Iterable[bytes]) -> tuple[bytes, tuple[bytes, ...]]:
    """The tables, and the keywords in the order of their entries (``occurrences`` names an
    entry by its index)."""
    words = sorted(set(keywords))
    if not words or min(map(len, words)) < WINDOW or max(map(len, words)) > MAX_KEYWORD:
        raise ValueError(f"keywords must be {WINDOW} to {MAX_KEYWORD} bytes long")
    first, second, anywhere = bytearray(8192), bytearray(8192), bytearray(8192)
    entries: list[tuple[int, int, bytes]] = []
    for w in words:
        if w != w.lower():
            raise ValueError(f"keyword {w!r} is not lowercase")
        off = min(range(len(w) - WINDOW + 1), key=lambda k: (_cost(w[k : k + WINDOW]), k))
        _set(first, w[off : off + 2])
        _set(second, w[off + 2 : off + 4])
        for k in range(3):  # every third position of the data meets one of these
            _set(anywhere, w[off + k : off + k + 2])
        entries.append((w[off] << 8 | w[off + 1], off, w))
    entries.sort()
    index = [0] * 257
    for pair, _, _ in entries:
        index[(pair >> 8) + 1] += 1
    for b in range(256):
        index[b + 1] += index[b]
    head = MAGIC + struct.pack("<HH", len(entries), 0)
    data_at = len(head) + 3 * 8192 + 2 * 257 + 12 * len(entries)
    packed, blob = [], []
    for pair, off, w in entries:
        packed.append(struct.pack("<HHHHI", pair, off, len(w), 0, data_at))
        blob.append(w)
        data_at += len(w)
    data = b"".join((head, first, second, anywhere, struct.pack("<257H", *index), *packed, *blob))
    return data, tuple(w for _, _, w in entries)


def _set(bits: bytearray, pair: bytes) -> None:
    for a in _cases(pair[0]):
        for b in _cases(pair[1]):
            bits[(a << 8 | b) >> 3] |= 1 << (b & 7)


def _cases(c: int) -> tuple[int, ...]:
    return (c, c - 32) if 97 <= c <= 122 else (c,)


def _cost(window: bytes) -> int:
    return sum(_WEIGHT.get(c, 0) for c in window)


def compile_search(keywords: Iterable[bytes]) -> Search | None:
    """A function telling whether any of these lowercase keywords occurs in some bytes (ASCII
    case-insensitively), or None when the extension is not built.  Keywords shorter than the
    window (a user's pack may have one) are looked for with ``in`` on the lowered bytes."""
    if _fastscan is None:
        return None
    words = sorted(set(keywords))
    short = tuple(w for w in words if len(w) < WINDOW)
    t = tables(w for w in words if len(w) >= WINDOW) if len(short) < len(words) else None
    search = _fastscan.search

    def found(data: bytes) -> bool:
        if t is not None and search(t, data) >= 0:
            return True
        if short:
            low = data.lower()
            return any(w in low for w in short)
        return False

    return found


Records = Callable[[bytearray, int, int], tuple[list[tuple[bytes, int, int, int]], int]]


def compile_records(keywords: Iterable[bytes], sniff: int) -> Records | None:
    """A function parsing ``git cat-file --batch`` output in a buffer and searching each blob
    for these lowercase keywords (``_fastscan.records``: ``(buf, start, end) ->
    ([(header, offset, size, flags), ...], consumed)``), or None when the extension is not
    built or a keyword is shorter than the window (the bytes' search is then not the whole
    prefilter).  ``sniff``: the bytes a NUL or a byte-order mark is looked for in."""
    words = sorted(set(keywords))
    if _fastscan is None or not words or min(map(len, words)) < WINDOW:
        return None
    t = tables(words)
    records = _fastscan.records

    def parse(buf: bytearray, start: int, end: int) -> tuple[list[Any], int]:
        return records(t, buf, start, end, sniff)  # type: ignore[no-any-return]

    return parse


Fill = Callable[[int, bytearray, int], int]


def pipe_filler() -> Fill | None:
    """``_fastscan.fill``: ``(fd, buf, end) -> new end``, a pipe read into ``buf[end:]`` without
    the GIL for as long as it has more at once; None without the extension or off POSIX."""
    return getattr(_fastscan, "fill", None)


def compile_locate(keywords: Iterable[bytes]) -> Locate | None:
    """A function giving where each of these lowercase keywords (of ``WINDOW`` bytes or more)
    occurs in some bytes, ASCII case-insensitively, overlapping occurrences too, in order, at
    most ``limit`` of each (a keyword that does not occur is left out): one pass however many
    keywords, where ``bytes.find`` makes one each.  None when the extension is not built."""
    if _fastscan is None:
        return None
    words = sorted(set(keywords))
    if not words:
        return lambda data, limit: {}
    t, order = _layout(words)
    occurrences = _fastscan.occurrences

    def locate(data: bytes, limit: int) -> dict[bytes, list[int]]:
        out: dict[bytes, list[int]] = {}
        for entry, start in occurrences(t, data, limit):
            out.setdefault(order[entry], []).append(start)
        return out

    return locate
