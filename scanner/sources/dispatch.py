"""Send each file to the source that understands it: archives, source maps, bundles, plain text.

``file_fragments(target, ...)`` is what ``scan.py`` calls per file.  ``expand(fragments, ...)``
does the same for text that is already in memory (git blobs, archive members, fetched URLs):
source maps are split into their embedded sources, inline ``data:`` maps are decoded, and
fragments that ship to browsers are marked ``client_side``.  The readers of archives, maps and
bundles are imported for the first file that needs them: a plain text file (a staged ``.py``)
needs none (start-up of the pre-commit hook).
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import BinaryIO

from scanner.sources import Fragment, Prefilter, Warn
from scanner.sources.files import (
    CHUNK,
    Target,
    open_or_warn,
    open_regular,
    open_target,
    read_fragments,
    read_upto,
)
from scanner.sources.files import whole as whole_fragment
from scanner.sources.kinds import (
    is_archive_path,
    is_client_side,
    is_script_path,
    is_source_map_path,
)
from scanner.sources.sniff import SNIFF, is_binary

HEAD = 64 << 10  # bytes of a script looked at to tell minified output
_FILE_FIELD = re.compile(r'"file"\s*:\s*"([^"\\]{1,300})"')


def _always(data: str | bytes, path_low: str) -> bool:
    return True


def _head(target: Target) -> bytes:
    """The first bytes of a file as walked (never through a link, never blocking)."""
    try:
        fh, _ = open_target(target)
        with fh:
            return read_upto(fh, HEAD)[0]
    except OSError:
        return b""


def file_fragments(
    target: Target, prefilter: Prefilter, warn: Warn, sizes: list[int] | None = None
) -> Iterator[Fragment]:
    """The fragments of one file on disk, whatever its kind; ``sizes`` gets its size once it
    is open (nothing when it cannot be read)."""
    rel, real = target.rel, target.real
    tf = prefilter
    if is_archive_path(rel) or is_source_map_path(rel):
        opened = open_or_warn(target, warn)
        if opened is None:
            return
        if sizes is not None:
            sizes.append(opened[1])
        with opened[0] as fh:
            if is_archive_path(rel):
                from scanner.sources import archives

                yield from expand(archives.fragments(fh, rel, warn, tf), warn, tf)
            else:
                yield from _source_map(fh, opened[1], rel, real, warn, tf, None)
        return

    def client() -> bool:  # asked only of a fragment that passed the prefilter (few do)
        # the path as typed (`lekk scan web/dist` reports `assets/x.js`, still in dist/)
        return is_client_side(rel) or is_client_side(real)

    if not is_script_path(rel):
        yield from _marked(read_fragments(target, prefilter, warn, sizes=sizes), client)
        return
    from scanner.sources import bundles

    data = _read_small(target)
    if data is not None:  # read in one go: the comment, the minified test and the text from it
        if sizes is not None:
            sizes.append(len(data))
        ref = bundles.map_ref_in_bytes(data)
        head = data[:HEAD]
        frag = whole_fragment(data, rel, prefilter)
        yield from _marked(
            [frag] if frag is not None else [],
            lambda: ref is not None or client() or bundles.head_looks_minified(head),
        )
    else:  # large (or unreadable: read_fragments says why): streamed, in bounded chunks
        ref = bundles.map_ref_in_file(target)
        yield from _marked(
            read_fragments(target, prefilter, warn, sizes=sizes),
            functools.cache(
                lambda: ref is not None or client() or bundles.head_looks_minified(_head(target))
            ),
        )
    if ref is None:
        return
    if ref.inline:
        yield from bundles.inline_map_fragments(ref, rel, warn, tf)
        return
    map_real = bundles.local_map_path(real, ref.url)
    if map_real is None:
        return
    try:
        fh, size = open_regular(map_real)
    except OSError:
        return  # maps are often not deployed; the bundle itself was scanned
    map_rel = posixpath.normpath(posixpath.join(posixpath.dirname(rel), _rel_url(ref.url)))
    with fh:
        yield from _source_map(fh, size, map_rel, map_real, warn, tf, {"bundle": rel})


def _read_small(target: Target) -> bytes | None:
    """The whole file when ``read_fragments`` would read it in one go (smaller than a chunk);
    else, or when it cannot be read, None."""
    try:
        fh, size = open_target(target)
        with fh:
            if size >= CHUNK:
                return None
            data, eof = read_upto(fh, size + 1)
    except OSError:
        return None
    return data if eof else None


def _source_map(
    fh: BinaryIO,
    size: int,
    rel: str,
    real: str,
    warn: Warn,
    tf: Prefilter,
    extra: dict[str, str] | None,
) -> Iterator[Fragment]:
    """A map on disk: parsed whole when small, walked as a stream when large (mapstream);
    ``extra`` None: find the bundle it belongs to from its ``file``."""
    from scanner.sources import sourcemap

    if size > sourcemap.WHOLE_PARSE:
        if extra is None:
            head = read_upto(fh, 4096)[0]
            fh.seek(max(size - 4096, 0))
            tail = read_upto(fh, 4096)[0]
            fh.seek(0)
            extra = _bundle_of((head + b"\n" + tail).decode("utf-8", "replace"), real, rel)
        from scanner.sources import mapstream

        yield from mapstream.fragments(fh, rel, warn, tf, extra=extra)
        return
    data = read_upto(fh, size + 1)[0]
    if is_binary(data[:SNIFF]):
        return
    text = data.decode("utf-8-sig", "replace")
    extra = extra if extra is not None else _bundle_of(text, real, rel)
    yield from sourcemap.fragments(text, rel, warn, tf, extra=extra)


def _rel_url(url: str) -> str:
    return urllib.parse.unquote(url.split("?", 1)[0].split("#", 1)[0]).replace("\\", "/")


def _bundle_of(text: str, real: str, rel: str) -> dict[str, str]:
    """``{"bundle": path}`` when the map's ``file`` names a bundle beside it (the same link a
    scan of that bundle makes, so the two scans report identical findings)."""
    m = _FILE_FIELD.search(text[:4096]) or _FILE_FIELD.search(text[-4096:])
    if m is None or "/" in m.group(1) or "\\" in m.group(1) or m.group(1) in (".", ".."):
        return {}
    if not os.path.isfile(os.path.join(os.path.dirname(real), m.group(1))):
        return {}
    return {"bundle": posixpath.join(posixpath.dirname(rel), m.group(1))}


def _marked(frags: Iterable[Fragment], client: Callable[[], bool]) -> Iterator[Fragment]:
    """The fragments, marked client-side when ``client()`` says the file ships to browsers."""
    for f in frags:
        yield replace(f, client_side=True) if not f.client_side and client() else f


def expand(
    fragments: Iterable[Fragment], warn: Warn, prefilter: Prefilter | None = None
) -> Iterator[Fragment]:
    """In-memory text: split maps, decode inline maps, mark client-side fragments."""
    tf = prefilter or _always
    for f in fragments:
        if f.origin_path is not None:
            yield f
            continue
        if is_source_map_path(f.path) and (f.line, f.column) == (1, 1):
            from scanner.sources import sourcemap

            yield from sourcemap.fragments(f.text, f.path, warn, tf, extra=f.extra)
            continue
        client = f.client_side or is_client_side(f.path)
        ref = None
        if is_script_path(f.path):
            from scanner.sources import bundles

            ref = bundles.map_ref_in_text(f.text, f.line, f.column)
            client = client or ref is not None or bundles.looks_minified(f.text[:HEAD])
        if tf(f.text, f.path.lower()):
            yield replace(f, client_side=True) if client and not f.client_side else f
        if ref is not None and ref.inline:
            yield from bundles.inline_map_fragments(ref, f.path, warn, tf)
