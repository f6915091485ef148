"""Client-side code: what ships to the browser, and the source maps bundles point to.

Whether a file is downloaded by every visitor (bundles, maps, web assets under typical build
outputs) is told by its path alone, in ``kinds``.  ``map_ref_*`` find a bundle's last ``sourceMappingURL``
comment; ``data_url_text`` decodes an inline ``data:`` map.  Long minified lines need nothing
special here: files are read in bounded chunks that keep their true line and column, and the
engine runs regexes only around keyword hits.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.sources import Fragment, Prefilter, Warn, sourcemap
from scanner.sources.files import Target, open_target

# the path tests live in `kinds` (nothing to import with them); re-exported from their old home
from scanner.sources.kinds import is_client_side as is_client_side
from scanner.sources.kinds import is_script_path as is_script_path
from scanner.sources.kinds import is_source_map_path as is_source_map_path

MINIFIED_LINE = 1000  # a JavaScript line this long is minified output
SCAN_CHUNK = 1 << 20
TAIL_OVERLAP = 256

_REF = re.compile(
    rb"(?:^|(?<=[\s;]))(?://|/\*)[#@][ \t]*sourceMappingURL[ \t]*=[ \t]*([^\s'\"*`]+)", re.M
)


def looks_minified(text: str) -> bool:
    # split, not a regex search for 1000 non-newlines: that retries at every position (8x slower
    # on a 64 kB head)
    return max(map(len, text.split("\n"))) >= MINIFIED_LINE


def head_looks_minified(head: bytes) -> bool:
    """``looks_minified`` of the decoded bytes; a line decodes to no more characters than it
    has bytes, so a head without a long line in bytes is not decoded at all."""
    if max(map(len, head.split(b"\n"))) < MINIFIED_LINE:
        return False
    return looks_minified(head.decode("utf-8", "replace"))


@dataclass(frozen=True)
class MapRef:
    """A ``sourceMappingURL`` comment: the URL and the position of the comment."""

    url: str
    line: int
    column: int

    @property
    def inline(self) -> bool:
        return self.url[:5].lower() == "data:"


def map_ref_in_text(text: str, line: int = 1, column: int = 1) -> MapRef | None:
    """The last ``sourceMappingURL`` comment in ``text`` (its position counted from line/column)."""
    data = text.encode("utf-8", "surrogatepass")
    last = _last_ref(data)
    if last is None:
        return None
    pos = len(data[: last.start()].decode("utf-8", "replace"))
    nl = text.rfind("\n", 0, pos)
    at_line = line + text.count("\n", 0, pos)
    at_col = pos - nl if nl >= 0 else column + pos
    return MapRef(last.group(1).decode("utf-8", "replace"), at_line, at_col)


def _last_ref(data: bytes) -> re.Match[bytes] | None:
    last = None
    for m in _REF.finditer(data):
        last = m
    return last


def map_ref_in_bytes(data: bytes, limit: int = sourcemap.MAX_MAP) -> MapRef | None:
    """``map_ref_in_file`` of a file already read whole (the same line, byte column and URL)."""
    last = _last_ref(data) if b"sourceMappingURL" in data else None
    if last is None:
        return None
    n, start = _breaks(data, last.start())
    return _ref_at(data[last.start() : last.start() + limit + 256], 1 + n, last.start() - start + 1)


def map_ref_in_file(target: Target, limit: int = sourcemap.MAX_MAP) -> MapRef | None:
    """Stream a bundle in bounded chunks for its last ``sourceMappingURL`` (URL read <= limit)."""
    try:
        fh, _ = open_target(target)
        with fh:
            best: tuple[int, int, int] | None = None  # offset, line, column
            base, line, col_base = 0, 1, 1  # position of buf[0]
            buf = b""
            while True:
                data = fh.read(SCAN_CHUNK)
                buf += data
                cut = len(buf) if not data else max(0, len(buf) - TAIL_OVERLAP)
                if 0 < cut < len(buf) and buf[cut - 1 : cut + 1] == b"\r\n":
                    cut += 1  # a CRLF is one line end: never split
                if b"sourceMappingURL" in buf:
                    for m in _REF.finditer(buf, 0, len(buf)):
                        if m.start() < cut:
                            n, start = _breaks(buf, m.start())
                            cl = m.start() - start + 1 if n else col_base + m.start()
                            best = (base + m.start(), line + n, cl)
                if not data:
                    break
                done, buf = buf[:cut], buf[cut:]
                n, start = _breaks(done, len(done))
                line += n
                col_base = len(done) - start + 1 if n else col_base + len(done)
                base += len(done)
            if best is None:
                return None
            fh.seek(best[0])
            tail = fh.read(limit + 256)
    except OSError:
        return None
    return _ref_at(tail, best[1], best[2])


def _ref_at(tail: bytes, line: int, column: int) -> MapRef | None:
    """The comment at the start of ``tail`` (the bytes from it on), found at line/column."""
    found = _REF.match(tail)
    if found is None:
        return None
    return MapRef(found.group(1).decode("utf-8", "replace"), line, column)


def _breaks(data: bytes, end: int) -> tuple[int, int]:
    """Line ends in ``data[:end]`` (CRLF, LF and a lone CR alike) and where the last line
    starts (0 when there is none)."""
    n = data.count(b"\n", 0, end) + data.count(b"\r", 0, end) - data.count(b"\r\n", 0, end)
    return n, max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end)) + 1


def data_url_text(url: str) -> str:
    """The text of a ``data:`` URL (base64 or percent-encoded); raises ValueError."""
    head, sep, payload = url.partition(",")
    if not sep:
        raise ValueError("no ',' in data: URL")
    if head.lower().endswith(";base64"):
        try:
            raw = base64.b64decode(urllib.parse.unquote(payload) + "===", validate=False)
        except (binascii.Error, ValueError):
            raise ValueError("bad base64") from None
    else:
        raw = urllib.parse.unquote_to_bytes(payload)
    return raw.decode("utf-8", "replace")


def inline_map_fragments(
    ref: MapRef, path: str, warn: Warn, prefilter: Prefilter
) -> Iterator[Fragment]:
    """The sources of an inline ``data:`` map, reported at the bundle's comment."""
    try:
        text = data_url_text(ref.url)
    except ValueError as exc:
        warn(f"{path}:{ref.line}: malformed inline source map ({exc}); skipped")
        return
    yield from sourcemap.fragments(
        text,
        path,
        warn,
        prefilter,
        line=ref.line,
        column=ref.column,
        inline=True,
        extra={"source_map": "inline"},
    )


def local_map_path(bundle_real: str, url: str) -> str | None:
    """The file a relative ``sourceMappingURL`` names, if it stays in the bundle's folder tree."""
    if "://" in url or url.startswith(("/", "\\")):
        return None
    rel = urllib.parse.unquote(url.split("?", 1)[0].split("#", 1)[0])
    parts = rel.replace("\\", "/").split("/")
    if not rel or ".." in parts or ":" in rel:
        return None
    folder = os.path.dirname(bundle_real)
    path = os.path.join(folder, *[p for p in parts if p not in ("", ".")])
    real_folder = os.path.realpath(folder)
    if not os.path.realpath(path).startswith(real_folder.rstrip(os.sep) + os.sep):
        return None  # a linked folder leads elsewhere: not followed
    return path
