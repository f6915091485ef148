"""Archives people ship: zip/jar/war/apk/aab/ipa/whl, tar, tar.gz/tgz, read member by member.

Nothing is ever extracted to disk: members are read into memory one at a time, within limits
(per member, per archive in total, a compression-ratio cap against bombs, a member count, a nesting
depth).  A member is reported as ``outer.zip!inner/path.js``; names are normalised so that a
hostile ``../../evil`` is shown as ``evil`` (with a warning) and never used as a file system path.
Binary members (``classes.dex``, ``resources.arsc``, ``.so``, ``.class``) are not skipped: their
printable strings are scanned, one per line of the fragment.
"""

from __future__ import annotations

import lzma
import re
import shutil
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import IO

from scanner.safetext import path_text
from scanner.sources import Fragment, Prefilter, Warn, mapstream, sourcemap
from scanner.sources.files import CHUNK, OVERLAP, read_stream, read_upto
from scanner.sources.kinds import (
    TAR_EXT,
    ZIP_EXT,
    is_client_side,
    is_script_path,
    is_source_map_path,
)
from scanner.sources.sniff import SNIFF, sniff

APP_EXT = (".apk", ".aab", ".ipa", ".xpi", ".crx")  # installed on users' devices: client-side


@dataclass(frozen=True)
class Limits:
    member: int = 64 << 20  # bytes of one member
    total: int = 512 << 20  # bytes read from one archive, nested members included
    ratio: int = 200  # uncompressed / compressed, per zip member
    members: int = 50_000  # entries of any kind (directories, links), nested ones included
    depth: int = 3  # archives inside archives
    directory: int = 16 << 20  # bytes of a zip's central directory (50,000 long names fit)
    header: int = 1 << 20  # bytes of a tar's long-name or pax header


LIMITS = Limits()
# what a broken or hostile archive raises while it is read (encrypted members: RuntimeError;
# tarfile's stream reader: TypeError on a gzip header cut short after its FEXTRA flag)
BAD_DATA = (
    zipfile.BadZipFile,
    tarfile.TarError,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    TypeError,
    zlib.error,
    lzma.LZMAError,
)
_STRINGS = re.compile(rb"[\x20-\x7e]{6,}")
_STRINGS16 = re.compile(rb"(?:[\x20-\x7e]\x00){6,}")
_BREAK = re.compile(rb"[^\x00\x20-\x7e]")  # ends every ASCII and UTF-16LE string
WHOLE = sourcemap.WHOLE_PARSE  # scripts and maps up to this size are kept whole (maps parsed)


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
    # (names in a tar that are not UTF-8 come as lone surrogates: shown as \xNN)
    clean = "".join(c if c.isprintable() else "?" for c in path_text(name.replace("\\", "/")))
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
        warn(f"{path}: cannot read archive: {_reason(exc)}; rest skipped")


def _reason(exc: Exception) -> str:
    if isinstance(exc, TypeError):
        return "truncated or corrupt header"
    return str(exc) or type(exc).__name__


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
    entries, size = _zip_directory(data, lim.members - budget.members + 1, lim.directory)
    if size > lim.directory:
        warn(
            f"{path}: central directory of {size} bytes, over the {lim.directory}-byte limit; skipped"
        )
        return
    if entries > lim.members - budget.members:
        warn(f"{path}: {entries} members, over the {lim.members}-member limit; skipped")
        return
    with zipfile.ZipFile(data) as zf:
        for info in zf.infolist():
            if not _count(budget, path, warn):
                return
            if info.filename.endswith("/"):  # is_dir() fails on an empty name
                continue
            member = _member_path(path, info.filename, warn)
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
            budget.left -= size
            try:
                with zf.open(info) as fh:
                    yield from _member(fh, size, member, warn, prefilter, budget, depth, app)
            except BAD_DATA as exc:  # encrypted, unsupported method, corrupt data
                warn(f"{member}: cannot read: {_reason(exc)}; skipped")


def _zip_directory(data: IO[bytes] | str, most: int, cap: int) -> tuple[int, int]:
    """(members, bytes) of a zip's central directory, walked before zipfile loads it: its end
    record may understate the count, and a directory of a million entries loaded whole fills
    memory.  Counting stops after ``most``; a directory over ``cap`` bytes is not read."""
    fh = open(data, "rb") if isinstance(data, str) else data  # noqa: SIM115
    try:
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]
        if not end:
            return 0, 0
        size = int(end[zipfile._ECD_SIZE])  # type: ignore[attr-defined]
        declared = int(end[zipfile._ECD_ENTRIES_TOTAL])  # type: ignore[attr-defined]
        if size > cap:
            return declared, size
        start = int(end[zipfile._ECD_LOCATION]) - size  # type: ignore[attr-defined]
        if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
            start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
        fh.seek(max(start, 0))
        cd = fh.read(size)
        n = i = 0
        while n < most and cd.startswith(b"PK\x01\x02", i) and i + 46 <= len(cd):
            names, extra, comment = struct.unpack_from("<3H", cd, i + 28)
            i += 46 + names + extra + comment
            n += 1
        return max(n, declared), size
    except (OSError, ValueError, IndexError, TypeError, struct.error):
        return 0, 0
    finally:
        if isinstance(data, str):
            fh.close()
        else:
            fh.seek(0)


class _TarInfo(tarfile.TarInfo):
    """Refuses a long-name or pax header bigger than ``HEADER`` bytes: tarfile reads one whole
    into memory, and a gigabyte of name packs into a few kilobytes of .tgz."""

    HEADER = LIMITS.header
    _EXTENDED = (
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
    )

    def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in self._EXTENDED and self.size > self.HEADER:
            raise ValueError(f"a {self.size}-byte extended header (the limit is {self.HEADER})")
        return super()._proc_member(tarfile)  # type: ignore[misc, no-any-return]


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
    with tarfile.open(mode="r|*", tarinfo=_TarInfo, **kw) as tf:
        for info in tf:
            tf.members = []  # type: ignore[attr-defined]  # a stream lists all it read: 1M add up
            if not _count(budget, path, warn):
                return
            budget.left -= info.size  # a stream is read through, even what it skips
            if budget.left < 0:
                warn(f"{path}: archive total over {lim.total} bytes; rest skipped")
                return
            if not info.isreg():
                continue  # links, devices, directories: nothing to read, nothing to follow
            member = _member_path(path, info.name, warn)
            if info.size > lim.member:
                warn(
                    f"{member}: {info.size} bytes, over the {lim.member}-byte member limit; skipped"
                )
                continue
            fh = tf.extractfile(info)
            if fh is not None:
                yield from _member(fh, info.size, member, warn, prefilter, budget, depth, app)


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


class _Prefixed:
    """A stream whose first bytes were already read (to tell what it holds)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(n)
        out, self.head = (
            (self.head, b"")
            if n < 0 or n >= len(self.head)
            else (
                self.head[:n],
                self.head[n:],
            )
        )
        return out


def _member(
    fh: IO[bytes],
    size: int,
    member: str,
    warn: Warn,
    prefilter: Prefilter,
    budget: _Budget,
    depth: int,
    app: bool,
) -> Iterator[Fragment]:
    """One member, read in chunks like a file: memory does not follow the member's size."""
    inner = member.rsplit("!", 1)[-1]
    head, eof = read_upto(fh, CHUNK)
    if kind(inner, head[:512]) is not None:
        if depth + 1 >= budget.limits.depth:
            warn(f"{member}: archive nested deeper than {budget.limits.depth} levels; skipped")
            return
        # a zip must be read from its end: kept in a temporary file past the first chunk
        with _spooled(head, fh) as spool:
            yield from _archive(spool, member, warn, prefilter, budget, depth + 1, app)
        return
    client = app or is_client_side(member)
    text_kind = sniff(head[:SNIFF])
    if text_kind is not None and is_source_map_path(member) and size > WHOLE:
        with _spooled(head, fh) as spool:  # walked as a stream, read twice
            yield from mapstream.fragments(spool, member, warn, prefilter)
        return
    if text_kind is None:
        frags = _strings(_Prefixed(head, fh), member, prefilter)  # type: ignore[arg-type]
    elif (is_source_map_path(member) or is_script_path(member)) and size <= WHOLE:
        # whole, with no keyword test: an inline map or a map's sources are decoded later
        rest = b"" if eof else read_upto(fh, WHOLE)[0]
        codec, skip = text_kind
        frags = iter([Fragment((head + rest)[skip:].decode(codec, "replace"), member)])
    else:
        frags = read_stream(_Prefixed(head, fh), member, prefilter, warn)  # type: ignore[arg-type]
    for f in frags:
        yield replace(f, client_side=True) if client else f


def _spooled(head: bytes, fh: IO[bytes]) -> IO[bytes]:
    """The rest of a member behind ``head``, in memory up to CHUNK and on disk past it."""
    spool = tempfile.SpooledTemporaryFile(CHUNK)  # noqa: SIM115 - the caller closes it
    spool.write(head)
    shutil.copyfileobj(fh, spool, CHUNK)
    spool.seek(0)
    return spool


def _strings(fh: IO[bytes], member: str, prefilter: Prefilter) -> Iterator[Fragment]:
    """The printable strings of a binary member, chunk by chunk: a string is never cut at a
    chunk's end (up to OVERLAP bytes long), and lines number the strings across chunks."""
    line, carry = 1, b""
    path_low = member.lower()
    while True:
        data, eof = read_upto(fh, CHUNK)
        buf = carry + data
        cut = len(buf)
        if not eof:
            ends = [m.end() for m in _BREAK.finditer(buf, len(buf) - OVERLAP)]
            cut = ends[-1] if ends else len(buf) - OVERLAP
        text, carry = strings_text(buf[:cut]), buf[cut:]
        if text and prefilter(text, path_low):
            yield Fragment(text, member, line, extra={"member_strings": True})
        line += text.count("\n") + 1 if text else 0
        if eof:
            return
