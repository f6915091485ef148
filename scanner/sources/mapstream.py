"""Large source maps, read as a stream: memory follows the largest embedded source, not the map.

``json.loads`` of a 61 MB map peaked at ~460 MB (the text, its parsed strings, a blanked copy).
Past ``sourcemap.WHOLE_PARSE`` a map (a file, or a spooled archive member) is walked instead:
one pass over its bytes finds the top-level keys and where each ``sourcesContent`` string
starts and ends (with its line and column), reading ``mappings`` and the rest through without
keeping them; each source is then read back and decoded on its own, and the map is scanned
once more as plain text with those sources blanked out, so nothing is missed and nothing is
seen twice.  Sources bigger than ``MAX_SOURCE`` stay in that plain-text pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import IO, Any

from scanner.sources import Fragment, Prefilter, Warn
from scanner.sources.files import read_stream
from scanner.sources.sourcemap import MapError, normalise

READ = 1 << 20
MAX_SOURCE = 8 << 20  # bytes of one embedded source decoded on its own
MAX_SMALL = 16 << 20  # bytes of `sources` (the names) or `sourceRoot` read back and parsed
_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 bytes that do not start a character
_STRUCT = re.compile(rb'["\[\]{}]')
_STRING_STOP = re.compile(rb'["\\]')
_SCALAR_END = re.compile(rb"[,\]}\s]")
_NOT_WS = re.compile(rb"[^ \t\r\n]")
_QUOTE = ord('"')


@dataclass
class _Source:
    start: int  # byte offset of the opening quote
    line: int
    column: int
    end: int = 0  # just past the closing quote


@dataclass
class _Index:
    keys: set[str] = field(default_factory=set)
    contents: list[_Source | None] = field(default_factory=list)
    values: dict[str, bytes] = field(default_factory=dict)  # raw JSON of sources, sourceRoot


def _chars(data: bytes) -> int:
    return len(data.translate(None, _CONTINUATION))


class _Walker:
    """A JSON text read through a bounded buffer, with the line and column (in characters) of
    the cursor.  Values are read through without being kept."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh, self.buf, self.pos, self.base = fh, b"", 0, 0
        self.line, self.column = 1, 1

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def _more(self) -> bool:
        data = self.fh.read(READ)
        if not data:
            return False
        self.buf = self.buf[self.pos :] + data
        self.base += self.pos
        self.pos = 0
        return True

    def _advance(self, to: int) -> None:
        piece = self.buf[self.pos : to]
        nl = piece.rfind(b"\n")
        if nl >= 0:
            self.line += piece.count(b"\n")
            self.column = 1 + _chars(piece[nl + 1 :])
        else:
            self.column += _chars(piece)
        self.pos = to

    def peek(self) -> int:
        """The next byte that is not white space (the cursor moved to it); -1 at the end."""
        while (m := _NOT_WS.search(self.buf, self.pos)) is None:
            self._advance(len(self.buf))
            if not self._more():
                return -1
        self._advance(m.start())
        return self.buf[self.pos]

    def take(self, byte: bytes) -> bool:
        """Consume ``byte`` when it comes next."""
        if self.peek() != byte[0]:
            return False
        self._advance(self.pos + 1)
        return True

    def expect(self, byte: bytes, where: str) -> None:
        if not self.take(byte):
            raise MapError(f"expected {byte.decode()!r} {where}")

    def string(self) -> None:
        if self.peek() != _QUOTE:
            raise MapError("expected a string")
        i = self.pos + 1
        while True:
            m = _STRING_STOP.search(self.buf, i)
            if m is not None and m.group() == b'"':
                self._advance(m.end())
                return
            if m is not None and m.end() < len(self.buf):  # a backslash and what it escapes
                i = m.end() + 1
                continue
            self._advance(len(self.buf) if m is None else m.start())  # all inside the string
            if not self._more():
                raise MapError("a string that never ends")
            i = self.pos

    def skip(self) -> None:
        c = self.peek()
        if c == _QUOTE:
            self.string()
            return
        if c not in (ord("["), ord("{")):
            while (m := _SCALAR_END.search(self.buf, self.pos)) is None:
                self._advance(len(self.buf))
                if not self._more():
                    return
            if m.start() == self.pos:
                raise MapError("expected a value")
            self._advance(m.start())
            return
        depth = 0
        while True:
            m = _STRUCT.search(self.buf, self.pos)
            if m is None:
                self._advance(len(self.buf))
                if not self._more():
                    raise MapError("an array or object that never ends")
            elif m.group() == b'"':
                self._advance(m.start())
                self.string()
            else:
                depth += 1 if m.group() in b"[{" else -1
                self._advance(m.end())
                if depth == 0:
                    return

    def raw(self, cap: int) -> bytes | None:
        """Read a value through; its raw JSON read back when at most ``cap`` bytes."""
        self.peek()
        start = self.offset
        self.skip()
        size = self.offset - start
        if size > cap:
            return None
        resume = self.fh.tell()
        self.fh.seek(start)
        data = self.fh.read(size)
        self.fh.seek(resume)
        return data

    def contents(self) -> list[_Source | None]:
        self.expect(b"[", "for 'sourcesContent'")
        out: list[_Source | None] = []
        while not self.take(b"]"):
            if out and not self.take(b","):
                raise MapError("expected ',' in 'sourcesContent'")
            if self.peek() == _QUOTE:
                src = _Source(self.offset, self.line, self.column)
                self.string()
                src.end = self.offset
                out.append(src)
            else:
                self.skip()
                out.append(None)
        return out


def index(fh: IO[bytes]) -> _Index:
    """A map's top level: its keys, where its sources are, its names and source root."""
    w = _Walker(fh)
    if w.peek() == 0xEF and w.buf.startswith(b"\xef\xbb\xbf", w.pos):  # a BOM, not a character
        w.pos += 3
    if w.peek() == ord(")"):  # the ")]}'" guard line some servers prepend
        while w.peek() not in (-1, ord("{")):
            w._advance(w.pos + 1)
    w.expect(b"{", "at the start")
    out = _Index()
    while not w.take(b"}"):
        if out.keys and not w.take(b","):
            raise MapError("expected ',' between keys")
        try:
            key = json.loads(w.raw(4096) or b'""')
        except ValueError:
            raise MapError("a key is not a string") from None
        w.expect(b":", "after a key")
        out.keys.add(str(key))
        if key == "sourcesContent" and w.peek() == ord("["):
            out.contents = w.contents()
        elif key in ("sources", "sourceRoot"):
            value = w.raw(MAX_SMALL)
            if value is not None:
                out.values[key] = value
        else:
            w.skip()
    return out


def _names(idx: _Index) -> tuple[list[Any], str]:
    try:
        sources = json.loads(idx.values.get("sources", b"[]"))
        root = json.loads(idx.values.get("sourceRoot", b'""'))
    except ValueError:
        raise MapError("'sources' is not JSON") from None
    if not isinstance(sources, list):
        raise MapError("no 'sources' list")
    return sources, root if isinstance(root, str) else ""


class _Blanked:
    """The map's bytes with the inside of the given byte spans made spaces, one per character
    (so every position after them is unchanged)."""

    def __init__(self, fh: IO[bytes], spans: list[tuple[int, int]]) -> None:
        self.fh, self.spans, self.at, self.k = fh, spans, 0, 0

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n if n > 0 else READ)
        lo, hi = self.at, self.at + len(data)
        self.at = hi
        out, cur = [], lo
        while self.k < len(self.spans) and self.spans[self.k][0] < hi:
            s, e = max(self.spans[self.k][0], cur), min(self.spans[self.k][1], hi)
            out.append(data[cur - lo : s - lo])
            out.append(b" " * _chars(data[s - lo : e - lo]))
            cur = e
            if self.spans[self.k][1] > hi:
                break
            self.k += 1
        out.append(data[cur - lo :])
        return b"".join(out)


def fragments(
    fh: IO[bytes],
    path: str,
    warn: Warn,
    prefilter: Prefilter,
    *,
    extra: Mapping[str, Any] | None = None,
) -> Iterator[Fragment]:
    """The fragments of a large map in a seekable binary file (read from its start); a
    malformed one is warned about in one line and scanned as plain text."""
    extra = dict(extra or {})
    path_low = path.lower()
    spans: list[tuple[int, int]] = []
    try:
        idx = index(fh)
        if "sections" in idx.keys:
            raise MapError("an index map this large is not parsed")
        if "mappings" not in idx.keys:
            raise MapError("no 'mappings'")
        sources, root = _names(idx)
    except MapError as exc:
        warn(f"{path}: malformed source map ({exc}); scanned as plain text")
        idx, sources, root = _Index(), [], ""
    for i, src in enumerate(idx.contents):
        if src is None:
            continue
        name = sources[i] if i < len(sources) and isinstance(sources[i], str) else f"source-{i}"
        if src.end - src.start > MAX_SOURCE:
            warn(
                f"{path}: embedded source {normalise(name, root)} over {MAX_SOURCE >> 20} MiB; scanned as map text"
            )
            continue
        fh.seek(src.start)
        try:
            text = json.loads(fh.read(src.end - src.start))
        except ValueError:
            continue  # left in the plain-text pass
        spans.append((src.start + 1, src.end - 1))
        if prefilter(text, path_low):
            yield Fragment(
                text,
                path,
                src.line,
                src.column,
                origin_path=normalise(name, root),
                client_side=True,
                extra=extra,
            )
    fh.seek(0)
    for f in read_stream(_Blanked(fh, spans), path, prefilter, warn):  # type: ignore[arg-type]
        yield replace(f, client_side=True, extra=extra)
