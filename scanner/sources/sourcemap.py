"""Source maps (v3): every ``sourcesContent`` entry becomes its own Fragment.

A finding inside an entry is reported at the entry's position in the map (or, for an inline
``data:`` map, at the ``sourceMappingURL`` comment of the bundle) and carries ``origin`` =
(the normalised original path, the line inside that source).  The rest of the map (everything but
the embedded sources) is scanned as plain text, so nothing is missed and nothing is seen twice.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from scanner.safetext import path_text
from scanner.sources import Fragment, Prefilter, Warn

MAX_MAP = 64 << 20  # characters of a sourceMappingURL read from a bundle
WHOLE_PARSE = 8 << 20  # characters of a map parsed with json.loads; a bigger one is streamed
MAX_SECTIONS_DEPTH = 3


_CONTENT_KEY = re.compile(r'"sourcesContent"\s*:\s*\[')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//[^/]*)?")
_XSSI = (")]}'", ")]}")


class MapError(ValueError):
    """The text is not a usable source map; the message says why in a few words."""


@dataclass(frozen=True)
class Entry:
    source: str  # normalised original path
    text: str
    offset: int  # index of the entry's opening quote in the map text; -1 when unknown


def normalise(source: str, root: str = "") -> str:
    """``webpack:///./src/x.ts`` -> ``src/x.ts``; ``../../src/x.ts`` -> ``src/x.ts``."""
    s = source
    if root and not _SCHEME.match(s) and not s.startswith("/"):
        s = root.rstrip("/") + "/" + s
    s = _SCHEME.sub("", s, count=1)
    s = s.split("?", 1)[0].split("#", 1)[0]
    parts = [p for p in s.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return path_text("/".join(parts) or source)  # JSON may spell lone surrogates


def _content_offsets(text: str, count: int) -> list[int]:
    """Where each ``sourcesContent`` string starts in ``text`` (-1 for null or unknown)."""
    m = _CONTENT_KEY.search(text)
    out: list[int] = []
    if m is None:
        return [-1] * count
    i = m.end()
    n = len(text)
    while len(out) < count:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] == "]":
            break
        if text[i] == '"':
            out.append(i)
            try:
                _, i = scanstring(text, i + 1)
            except ValueError:
                break
        elif text.startswith("null", i):
            out.append(-1)
            i += 4
        else:
            break
    return out + [-1] * (count - len(out))


def _entries(doc: Mapping[str, Any], text: str | None, depth: int = 0) -> list[Entry]:
    if "sections" in doc:  # an index map: each section embeds a whole map
        if depth >= MAX_SECTIONS_DEPTH or not isinstance(doc["sections"], list):
            raise MapError("bad 'sections'")
        out: list[Entry] = []
        for sec in doc["sections"]:
            if isinstance(sec, dict) and isinstance(sec.get("map"), dict):
                out.extend(_entries(sec["map"], None, depth + 1))
        return out
    sources = doc.get("sources")
    if not isinstance(sources, list):
        raise MapError("no 'sources' list")
    contents = doc.get("sourcesContent", [])
    if not isinstance(contents, list):
        raise MapError("'sourcesContent' is not a list")
    root = doc.get("sourceRoot") or ""
    root = root if isinstance(root, str) else ""
    offsets = _content_offsets(text, len(contents)) if text is not None else [-1] * len(contents)
    out = []
    for i, content in enumerate(contents):
        if not isinstance(content, str):
            continue
        src = sources[i] if i < len(sources) and isinstance(sources[i], str) else f"source-{i}"
        out.append(Entry(normalise(src, root), content, offsets[i]))
    return out


def parse(text: str) -> list[Entry]:
    """The embedded sources of a map; raises MapError when ``text`` is not a source map."""
    if len(text) > WHOLE_PARSE:
        raise MapError(f"larger than {WHOLE_PARSE >> 20} MiB")
    body = text
    if body.startswith(_XSSI):  # ")]}'" guard line some servers prepend
        nl = body.find("\n")
        body = " " * (nl + 1) + body[nl + 1 :] if nl >= 0 else ""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        msg = str(exc).split(":")[0]
        raise MapError(f"invalid JSON: {msg}") from None
    except RecursionError:
        raise MapError("JSON nested too deeply") from None
    if not isinstance(doc, dict) or ("mappings" not in doc and "sections" not in doc):
        raise MapError("no 'mappings'")
    return _entries(doc, body)


def _position(text: str, offset: int, line: int, column: int) -> tuple[int, int]:
    nl = text.rfind("\n", 0, offset)
    if nl < 0:
        return line, column + offset
    return line + text.count("\n", 0, offset), offset - nl


def _blank_contents(text: str, entries: list[Entry]) -> str:
    """The map with its embedded sources replaced by spaces (positions kept)."""
    pieces, last = [], 0
    for e in sorted((e for e in entries if e.offset >= 0), key=lambda e: e.offset):
        try:
            _, end = scanstring(text, e.offset + 1)
        except ValueError:
            continue
        pieces.append(text[last : e.offset + 1])
        pieces.append(" " * (end - e.offset - 2))
        last = end - 1
    pieces.append(text[last:])
    return "".join(pieces)


def fragments(
    text: str,
    path: str,
    warn: Warn,
    prefilter: Prefilter,
    *,
    line: int = 1,
    column: int = 1,
    inline: bool = False,
    client_side: bool = True,
    extra: Mapping[str, Any] | None = None,
) -> Iterator[Fragment]:
    """Fragments of one map.  ``inline``: the map was decoded from a ``data:`` URL, so every entry
    is placed at (``line``, ``column``), the comment that holds it.  A malformed map is warned
    about in one line and scanned as plain text."""
    extra = dict(extra or {})
    path_low = path.lower()
    if not inline and not text.lstrip()[:3].startswith(("{", ")]}")):
        # not JSON at all: a linker or game '.map', say; plain text, nothing to warn about
        if prefilter(text, path_low):
            yield Fragment(text, path, line, column, extra=extra)
        return
    if len(text) > WHOLE_PARSE and not inline:  # in memory already (a fetched map, a blob)
        from scanner.sources import mapstream

        data = io.BytesIO(text.encode("utf-8", "surrogatepass"))
        yield from mapstream.fragments(data, path, warn, prefilter, extra=extra)
        return
    try:
        entries = parse(text)
    except MapError as exc:
        what = "inline source map" if inline else "source map"
        warn(f"{path}: malformed {what} ({exc}); scanned as plain text")
        if prefilter(text, path_low):
            yield Fragment(text, path, line, column, client_side=client_side, extra=extra)
        return
    for e in entries:
        if not prefilter(e.text, path_low):
            continue
        where = inline or e.offset < 0
        at = (line, column) if where else _position(text, e.offset, line, column)
        yield Fragment(
            e.text, path, at[0], at[1], origin_path=e.source, client_side=client_side, extra=extra
        )
    if not inline:
        rest = _blank_contents(text, entries)
        if prefilter(rest, path_low):
            yield Fragment(rest, path, line, column, client_side=client_side, extra=extra)
