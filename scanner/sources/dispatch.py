"""Send each file to the source that understands it: archives, source maps, bundles, plain text.

``file_fragments(target, ...)`` is what ``scan.py`` calls per file.  ``expand(fragments, ...)``
does the same for text that is already in memory (git blobs, archive members, fetched URLs):
source maps are split into their embedded sources, inline ``data:`` maps are decoded, and
fragments that ship to browsers are marked ``client_side``.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import replace

from scanner.sources import Fragment, Prefilter, Warn, archives, bundles, sourcemap
from scanner.sources.files import Target, is_binary, read_fragments

HEAD = 64 << 10  # bytes of a script looked at to tell minified output
_FILE_FIELD = re.compile(r'"file"\s*:\s*"([^"\\]{1,300})"')


def _always(data: str | bytes, path_low: str) -> bool:
    return True


def _read_small(real: str, limit: int, *, follow: bool = False) -> bytes | None:
    """The whole file when it is a regular file of at most ``limit`` bytes (a link only when
    ``follow``: a path the user named)."""
    try:
        st = os.stat(real) if follow else os.lstat(real)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        with open(real, "rb") as fh:
            return fh.read(limit + 1)
    except OSError:
        return None


def _size(real: str) -> int:
    try:
        return os.path.getsize(real)
    except OSError:
        return 0


def _head(real: str) -> bytes:
    try:
        with open(real, "rb") as fh:
            return fh.read(HEAD)
    except OSError:
        return b""


def file_fragments(target: Target, prefilter: Prefilter, warn: Warn) -> Iterator[Fragment]:
    """The fragments of one file on disk, whatever its kind."""
    rel, real = target.rel, target.real
    tf = prefilter
    if archives.is_archive_path(rel):
        yield from expand(archives.fragments(real, rel, warn, tf), warn, tf)
        return
    if bundles.is_source_map_path(rel):
        data = _read_small(real, sourcemap.MAX_MAP, follow=True)
        if data is not None and not is_binary(data[:8192]):
            text = data.decode("utf-8-sig", "replace")
            yield from sourcemap.fragments(text, rel, warn, tf, extra=_bundle_of(text, real, rel))
            return
        if data is None and _size(real) > sourcemap.MAX_MAP:
            warn(f"{rel}: source map over {sourcemap.MAX_MAP >> 20} MiB; scanned as plain text")
        yield from _marked(read_fragments(target, prefilter, warn), True)
        return
    # the path as typed (`lekk scan web/dist` reports `assets/x.js`, which is still in dist/)
    client = bundles.is_client_side(rel) or bundles.is_client_side(real)
    if not bundles.is_script_path(rel):
        yield from _marked(read_fragments(target, prefilter, warn), client)
        return
    ref = bundles.map_ref_in_file(real)
    if not client:
        client = ref is not None or bundles.looks_minified(_head(real).decode("utf-8", "replace"))
    yield from _marked(read_fragments(target, prefilter, warn), client)
    if ref is None:
        return
    if ref.inline:
        yield from bundles.inline_map_fragments(ref, rel, warn, tf)
        return
    map_real = bundles.local_map_path(real, ref.url)
    if map_real is None:
        return
    data = _read_small(map_real, sourcemap.MAX_MAP)
    if data is None:
        return  # maps are often not deployed; the bundle itself was scanned
    map_rel = posixpath.normpath(posixpath.join(posixpath.dirname(rel), _rel_url(ref.url)))
    text = data.decode("utf-8-sig", "replace")
    yield from sourcemap.fragments(text, map_rel, warn, tf, extra={"bundle": rel})


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


def _marked(frags: Iterable[Fragment], client: bool) -> Iterator[Fragment]:
    for f in frags:
        yield replace(f, client_side=True) if client and not f.client_side else f


def expand(
    fragments: Iterable[Fragment], warn: Warn, prefilter: Prefilter | None = None
) -> Iterator[Fragment]:
    """In-memory text: split maps, decode inline maps, mark client-side fragments."""
    tf = prefilter or _always
    for f in fragments:
        if f.origin_path is not None:
            yield f
            continue
        if bundles.is_source_map_path(f.path) and (f.line, f.column) == (1, 1):
            yield from sourcemap.fragments(f.text, f.path, warn, tf, extra=f.extra)
            continue
        client = f.client_side or bundles.is_client_side(f.path)
        ref = None
        if bundles.is_script_path(f.path):
            ref = bundles.map_ref_in_text(f.text, f.line, f.column)
            client = client or ref is not None or bundles.looks_minified(f.text[:HEAD])
        if tf(f.text, f.path.lower()):
            yield replace(f, client_side=True) if client and not f.client_side else f
        if ref is not None and ref.inline:
            yield from bundles.inline_map_fragments(ref, f.path, warn, tf)
