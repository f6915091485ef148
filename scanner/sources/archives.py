"""Archives people ship: zip/jar/war/apk/aab/ipa/whl, tar, tar.gz/tgz, read member by member.

Nothing is ever extracted to disk: members are read into memory one at a time, within limits
(per member, per archive in total, a compression-ratio cap against bombs, a member count, a nesting
depth).  A member is reported as ``outer.zip!inner/path.js``; names are normalised so that a
hostile ``../../evil`` is shown as ``evil`` (with a warning) and never used as a file system path.
Binary members (``classes.dex``, ``resources.arsc``, ``.so``, ``.class``) are not skipped: their
printable strings are scanned, one per line of the fragment.
"""

from __future__ import annotations

import io
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from scanner.sources import Fragment, Prefilter, Warn
from scanner.sources.bundles import is_client_side, is_script_path, is_source_map_path
from scanner.sources.files import CHUNK, OVERLAP, advance, is_binary, token_tail

ZIP_EXT = (
    ".zip",
    ".jar",
    ".war",
    ".ear",
    ".apk",
    ".aab",
    ".aar",
    ".ipa",
    ".whl",
    ".xpi",
    ".nupkg",
    ".vsix",
    ".crx",
    ".egg",
)
TAR_EXT = (".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
APP_EXT = (".apk", ".aab", ".ipa", ".xpi", ".crx")  # installed on users' devices: client-side


@dataclass(frozen=True)
class Limits:
    member: int = 64 << 20  # bytes of one member
    total: int = 512 << 20  # bytes read from one archive, nested members included
    ratio: int = 200  # uncompressed / compressed, per zip member
    members: int = 50_000
    depth: int = 3  # archives inside archives


LIMITS = Limits()
# what a broken or hostile archive raises while it is read (encrypted members: RuntimeError)
BAD_DATA = (
    zipfile.BadZipFile,
    tarfile.TarError,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
    lzma.LZMAError,
)
_STRINGS = re.compile(rb"[\x20-\x7e]{6,}")
_STRINGS16 = re.compile(rb"(?:[\x20-\x7e]\x00){6,}")


def is_archive_path(path: str) -> bool:
    low = path.lower().rsplit("!", 1)[-1]
    return low.endswith(ZIP_EXT) or low.endswith(TAR_EXT)


def kind(name: str, head: bytes) -> str | None:
    """'zip', 'tar' or None, by name and, for members, by magic bytes."""
    low = name.lower()
    if low.endswith(ZIP_EXT) or head.startswith(b"PK\x03\x04"):
        return "zip"
    if low.endswith(TAR_EXT):
        return "tar"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    return None


def safe_name(name: str) -> str:
    """A member name made harmless for display: no drive, no root, no '..', no control chars."""
    clean = "".join(c if c.isprintable() else "?" for c in name.replace("\\", "/"))
    parts = [p for p in clean.split("/") if p not in ("", ".", "..")]
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":
        parts = parts[1:]
    return "/".join(parts) or "?"


def strings_text(data: bytes) -> str:
    """Printable ASCII and UTF-16LE runs of a binary member, one per line (like ``strings``)."""
    out = [m.group().decode("ascii") for m in _STRINGS.finditer(data)]
    out += [m.group().decode("utf-16-le") for m in _STRINGS16.finditer(data)]
    return "\n".join(out)


class _Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.total
        self.members = 0


def fragments(
    data: IO[bytes] | str,
    path: str,
    warn: Warn,
    prefilter: Prefilter,
    *,
    limits: Limits = LIMITS,
    client_side: bool | None = None,
) -> Iterator[Fragment]:
    """Every member of the archive at ``data`` (a file name or a binary file object)."""
    budget = _Budget(limits)
    app = client_side if client_side is not None else path.lower().endswith(APP_EXT)
    yield from _archive(data, path, warn, prefilter, budget, 0, app)


def _archive(
    data: IO[bytes] | str,
    path: str,
    warn: Warn,
    prefilter: Prefilter,
    budget: _Budget,
    depth: int,
    app: bool,
) -> Iterator[Fragment]:
    head = b""
    if not isinstance(data, str):
        head = data.read(512)
        data.seek(0)
    try:
        if kind(path, head) == "zip":
            yield from _zip(data, path, warn, prefilter, budget, depth, app)
        else:
            yield from _tar(data, path, warn, prefilter, budget, depth, app)
    except BAD_DATA as exc:
        warn(f"{path}: cannot read archive: {exc}; rest skipped")


def _zip(
    data: IO[bytes] | str,
    path: str,
    warn: Warn,
    prefilter: Prefilter,
    budget: _Budget,
    depth: int,
    app: bool,
) -> Iterator[Fragment]:
    lim = budget.limits
    entries = _zip_entries(data)
    if entries > lim.members - budget.members:
        warn(f"{path}: {entries} members, over the {lim.members}-member limit; skipped")
        return
    with zipfile.ZipFile(data) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            member = _member_path(path, info.filename, warn)
            if not _count(budget, path, warn):
                return
            size, packed = info.file_size, max(info.compress_size, 1)
            if size > lim.member:
                warn(f"{member}: {size} bytes, over the {lim.member}-byte member limit; skipped")
                continue
            if size > 1 << 20 and size / packed > lim.ratio:
                warn(
                    f"{member}: compression ratio {size // packed}:1 looks like a zip bomb; skipped"
                )
                continue
            if size > budget.left:
                warn(f"{path}: archive total over {lim.total} bytes; remaining members skipped")
                return
            try:
                with zf.open(info) as fh:
                    raw = fh.read(lim.member + 1)
            except BAD_DATA as exc:  # encrypted, unsupported method, corrupt data
                warn(f"{member}: cannot read: {exc}; skipped")
                continue
            budget.left -= len(raw)
            yield from _member(raw, member, warn, prefilter, budget, depth, app)


def _zip_entries(data: IO[bytes] | str) -> int:
    """Members a zip declares, read from its end record before the central directory is
    loaded (a hostile directory of millions of entries would fill memory)."""
    fh = open(data, "rb") if isinstance(data, str) else data  # noqa: SIM115
    try:
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]
        return int(end[zipfile._ECD_ENTRIES_TOTAL]) if end else 0  # type: ignore[attr-defined]
    except (OSError, ValueError, IndexError, TypeError):
        return 0
    finally:
        if isinstance(data, str):
            fh.close()
        else:
            fh.seek(0)


def _tar(
    data: IO[bytes] | str,
    path: str,
    warn: Warn,
    prefilter: Prefilter,
    budget: _Budget,
    depth: int,
    app: bool,
) -> Iterator[Fragment]:
    lim = budget.limits
    kw = {"name": data} if isinstance(data, str) else {"fileobj": data}
    with tarfile.open(mode="r|*", **kw) as tf:
        for info in tf:
            if not info.isreg():
                continue  # links, devices, directories: nothing to read, nothing to follow
            member = _member_path(path, info.name, warn)
            if not _count(budget, path, warn):
                return
            if info.size > lim.member:
                warn(
                    f"{member}: {info.size} bytes, over the {lim.member}-byte member limit; skipped"
                )
                budget.left -= info.size  # a stream still has to be read through to skip it
                if budget.left < 0:
                    warn(f"{path}: archive total over {lim.total} bytes; rest skipped")
                    return
                continue
            if info.size > budget.left:
                warn(f"{path}: archive total over {lim.total} bytes; remaining members skipped")
                return
            fh = tf.extractfile(info)
            if fh is None:
                continue
            raw = fh.read(lim.member + 1)
            budget.left -= len(raw)
            yield from _member(raw, member, warn, prefilter, budget, depth, app)


def _count(budget: _Budget, path: str, warn: Warn) -> bool:
    budget.members += 1
    if budget.members > budget.limits.members:
        warn(f"{path}: more than {budget.limits.members} members; the rest skipped")
        return False
    return True


def _member_path(archive: str, name: str, warn: Warn) -> str:
    clean = safe_name(name)
    parts = name.replace("\\", "/").split("/")
    if ".." in parts or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        warn(
            f"{archive}: member name {name!r} points outside the archive; reported as "
            f"{clean!r} (never extracted)"
        )
    return f"{archive}!{clean}"


def _member(
    raw: bytes,
    member: str,
    warn: Warn,
    prefilter: Prefilter,
    budget: _Budget,
    depth: int,
    app: bool,
) -> Iterator[Fragment]:
    inner = member.rsplit("!", 1)[-1]
    if kind(inner, raw[:512]) is not None:
        if depth + 1 >= budget.limits.depth:
            warn(f"{member}: archive nested deeper than {budget.limits.depth} levels; skipped")
            return
        yield from _archive(io.BytesIO(raw), member, warn, prefilter, budget, depth + 1, app)
        return
    client = app or is_client_side(member)
    if is_binary(raw[:8192]):
        text = strings_text(raw)
        extra = {"member_strings": True}
    else:
        text = raw.decode("utf-8", "replace").removeprefix("\ufeff")
        extra = {}
    whole = is_source_map_path(member) or is_script_path(member)  # inline maps hide keywords
    if whole:
        yield Fragment(text, member, client_side=client, extra=extra)
        return
    for piece, line, column in _chunks(text):
        if prefilter(piece, member.lower()):
            yield Fragment(piece, member, line, column, client_side=client, extra=extra)


def _chunks(text: str) -> Iterator[tuple[str, int, int]]:
    """``text`` in pieces of CHUNK characters (each running OVERLAP further) with positions; a
    piece never ends inside a token (the next piece holds it whole)."""
    line, column, i = 1, 1, 0
    while i < len(text):
        end = i + CHUNK
        piece = text[i : end + OVERLAP]
        if end + OVERLAP < len(text):
            piece = piece[: len(piece) - token_tail(piece[-OVERLAP:])]
        yield piece, line, column
        line, column = advance(line, column, text[i:end])
        i = end
