"""Files and directories: walk, skip what is not text, and read in bounded chunks.

Symlinks found while walking are never followed (their targets inside the root are scanned at
their real path; targets outside it are not read), so a link loop or a link to ``/`` is harmless.
A path named on the command line is read even when it is a link: the user asked for it.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from scanner.errors import SourceError
from scanner.globs import path_matches
from scanner.safetext import path_text
from scanner.sources import (
    TOKEN_MAX,
    TOKEN_PUNCT,
    Fragment,
    Prefilter,
    Warn,
    line_breaks,
    own_report,
)
from scanner.sources.sniff import SNIFF, declared, looks_binary, sniff

CHUNK = 1 << 20  # bytes decoded and scanned at a time: memory stays bounded on huge files
OVERLAP = 4096  # carried from one chunk into the next, so a match on a boundary is still seen
STDIN_PATH = "<stdin>"  # how findings in standard input are reported
SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class Target:
    """One file to scan: where to read it and the path to report."""

    real: str
    rel: str
    ident: tuple[int, int] | None = None
    """(device of its directory, inode) as the walk saw them; None for a path named on the
    command line (followed).  The walk does not stat each file (a syscall per file, ~25 ms of
    a 200 MB tree's walk): the directory entry gives the inode, the directory the device; the
    size comes from the reader's ``fstat`` (``read_fragments``'s ``sizes``)."""


def walk(
    paths: Sequence[str], excludes: Sequence[str], warn: Warn
) -> Iterator[tuple[Path, Target]]:
    """Yield (root, target) for every regular file under ``paths``, in a stable order."""
    for arg in paths:
        p = Path(arg)
        if not os.path.lexists(p):
            raise SourceError(f"{arg}: no such file or directory")
        if p.is_dir():
            root = p
            for target in _walk_dir(root, excludes, warn):
                yield root, target
        elif p.is_file():
            cwd = Path.cwd()
            try:
                rel = p.resolve().relative_to(cwd.resolve()).as_posix()
            except ValueError:
                rel = p.name
            rel = path_text(rel)
            if not any(path_matches(rel, g) for g in excludes):
                yield p.parent, Target(str(p), rel)
        else:
            warn(f"{arg}: not a regular file or directory; skipped")


def _walk_dir(root: Path, excludes: Sequence[str], warn: Warn) -> Iterator[Target]:
    # plain strings, not Path objects: on a tree of thousands of files, pathlib's parsing cost
    # more than listing the directories
    # a directory, its path relative to the root ("/"-terminated) and its device
    stack = [(str(root), "", -1)]
    while stack:
        d, prefix, dev = stack.pop()
        try:
            if dev < 0:
                dev = os.stat(d).st_dev
            entries = sorted(os.scandir(d), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            where = prefix.rstrip("/") or str(root)
            warn(f"{where}/: cannot list directory: {exc.strerror or exc}; skipped")
            continue
        dirs = []
        for e in reversed(entries):
            rel = prefix + path_text(e.name)  # a name that is not UTF-8 is shown as \xNN
            try:
                if e.is_symlink():
                    continue
                if e.is_dir(follow_symlinks=False):
                    if e.name in SKIP_DIRS or any(path_matches(rel, g) for g in excludes):
                        continue
                    if any(path_matches(rel + "/", g) or g == rel + "/**" for g in excludes):
                        continue
                    dirs.append((e.path, rel + "/", e.stat(follow_symlinks=False).st_dev))
                elif e.is_file(follow_symlinks=False) and not any(
                    path_matches(rel, g) for g in excludes
                ):
                    yield Target(e.path, rel, (dev, e.inode()))
            except OSError as exc:
                warn(f"{rel}: {exc.strerror or exc}; skipped")
        stack.extend(reversed(dirs))


def whole(data: bytes, path: str, prefilter: Prefilter) -> Fragment | None:
    """A whole file's bytes as one fragment; None for binary or keyword-free content."""
    kind = declared(data)
    if kind is None:
        return None
    encoding, skip, unchecked = kind
    if encoding == "utf-8":  # keywords are visible in the raw bytes: decode only on a hit,
        # and count the controls that make text binary only then (most files have no keyword)
        if not prefilter(data, path.lower()) or (unchecked and looks_binary(data)):
            return None
        if own_report.own_pack(data):  # (its examples are fake credentials on purpose)
            return None
        text = data[skip:].decode(encoding, "replace")
        return Fragment(text, path, extra=own_report.mark(data))
    text = data[skip:].decode(encoding, "replace")
    if not prefilter(text, path.lower()):
        return None
    return Fragment(text, path, extra=own_report.mark(data))


def open_regular(
    real: str, ident: tuple[int, int] | None = None, *, follow: bool = False
) -> tuple[BinaryIO, int]:
    """``(file, size)`` when ``real`` is a regular file, else OSError with the reason.

    A file can be swapped between the walk that listed it and the read: for a symlink to
    ``/etc/shadow``, a FIFO that blocks forever, a device.  So the path is opened without
    blocking and, unless ``follow`` (a path the user named), without following a symlink; the
    opened descriptor itself must be a regular file and, when ``ident`` (the device and inode
    the walk saw) is given, that very file: a parent directory swapped for a link to elsewhere
    leads to another inode.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise OSError(exc.errno, "became a symbolic link during the scan") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if ident is not None and (st.st_dev, st.st_ino) != ident:
            _still_in_place(real, st, ident)
        # unbuffered, and no bigger a read than the file: a 1 MiB buffer per small file costs
        # more than reading it (the hot path of a tree scan)
        return os.fdopen(fd, "rb", buffering=0), st.st_size
    except BaseException:
        os.close(fd)
        raise


def _still_in_place(real: str, st: os.stat_result, ident: tuple[int, int]) -> None:
    """OSError unless the opened file is the walked one.  The walk noted its inode and its
    directory's device: a file mounted over its name (a container's bind-mounted
    ``/etc/hosts``) has the inode on another device, and is accepted when the directory is
    still on the walked device and the name still leads to this very file; a parent directory
    swapped for a link to elsewhere fails the first test."""
    try:
        here = os.lstat(real)
        same = (
            st.st_ino == ident[1]
            and os.stat(os.path.dirname(real) or ".").st_dev == ident[0]
            and (here.st_dev, here.st_ino) == (st.st_dev, st.st_ino)
        )
    except OSError:
        same = False
    if not same:
        raise OSError(errno.ESTALE, "replaced during the scan")


def open_target(target: Target) -> tuple[BinaryIO, int]:
    """``open_regular`` for a walked file (that very inode) or a named one (links followed)."""
    return open_regular(target.real, target.ident, follow=target.ident is None)


def open_or_warn(target: Target, warn: Warn) -> tuple[BinaryIO, int] | None:
    """``open_target``, or a warning naming the file and the reason."""
    try:
        return open_target(target)
    except OSError as exc:
        warn(f"{target.rel}: cannot read: {exc.strerror or exc}; skipped")
        return None


def read_fragments(
    target: Target,
    prefilter: Prefilter,
    warn: Warn,
    *,
    chunk: int = CHUNK,
    sizes: list[int] | None = None,
) -> Iterator[Fragment]:
    """The text of one file as fragments; binary files yield nothing, bad bytes become U+FFFD.
    ``sizes`` gets the file's size once it is open (the bytes a scan reports)."""
    opened = open_or_warn(target, warn)
    if opened is not None:
        if sizes is not None:
            sizes.append(opened[1])
        with opened[0] as fh:
            yield from read_stream(fh, target.rel, prefilter, warn, chunk=chunk, size=opened[1])


def read_stream(
    fh: IO[bytes], rel: str, prefilter: Prefilter, warn: Warn, *, chunk: int = CHUNK, size: int = 0
) -> Iterator[Fragment]:
    """A file, stdin or an archive member as fragments of at most ``chunk`` bytes each, with
    their true line and column; ``size`` (when known) lets a small file be read in one call."""
    want = min(chunk, size + 1) if size else chunk  # +1: sees EOF at once
    try:
        head = fh.read(want)
        # a regular file returns less than asked only at its end: the size fstat gave, read
        # in one call, is the whole file (no second read to see EOF: one syscall per file)
        eof = len(head) == size < want
        if not eof and head:
            rest, eof = read_upto(fh, want - len(head))
            head += rest
        eof = eof or not head
    except OSError as exc:
        warn(f"{rel}: cannot read: {exc.strerror or exc}; skipped")
        return
    if eof:  # the common case: the whole file in one read, one fragment
        frag = whole(head, rel, prefilter)
        if frag is not None:
            yield frag
        return
    kind = sniff(head[:SNIFF])
    if kind is not None:
        extra = own_report.mark(head)
        yield from _chunked(fh, head[kind[1] :], rel, kind[0], prefilter, warn, chunk, extra)


def read_upto(fh: IO[bytes], want: int) -> tuple[bytes, bool]:
    """Up to ``want`` bytes (a pipe or an unbuffered file may return less per call), and
    whether the end was reached first."""
    parts: list[bytes] = []
    got = 0
    while got < want:
        part = fh.read(want - got)
        if not part:
            return b"".join(parts), True
        parts.append(part)
        got += len(part)
    return b"".join(parts), False


def _chunked(
    fh: IO[bytes],
    first: bytes,
    rel: str,
    encoding: str,
    prefilter: Prefilter,
    warn: Warn,
    chunk: int,
    extra: Mapping[str, Any],
) -> Iterator[Fragment]:
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    path_low = rel.lower()
    line, column = 1, 1  # position of the first character of `carry + text`
    carry = ""
    data = first
    while data:
        text = decoder.decode(data)
        try:
            data = read_upto(fh, chunk)[0]
        except OSError as exc:
            warn(f"{rel}: read error: {exc.strerror or exc}; rest of file skipped")
            data = b""
        if not data:
            text += decoder.decode(b"", final=True)
        # a lone CR ends a line too; one at the very end waits: a LF may follow in the next read
        piece = line_breaks(carry + text, final=not data)
        keep = piece[-OVERLAP:] if data else ""
        # a fragment never ends inside a token (a value cut in two would look complete); the
        # cut-off tail is in `keep` and scanned whole with the next chunk
        seen = piece[: len(piece) - token_tail(keep)] if data else piece
        if prefilter(seen, path_low):
            yield Fragment(seen, rel, line=line, column=column, extra=extra)
        line, column = advance(line, column, piece[: len(piece) - len(keep)])
        carry = keep


def advance(line: int, column: int, done: str) -> tuple[int, int]:
    """The line and column just after ``done``, which starts at ``line``/``column``."""
    nl = done.count("\n")
    if nl:
        return line + nl, len(done) - done.rfind("\n")
    return line, column + len(done)


def token_tail(text: str) -> int:
    """Length of the unbroken run of token characters at the end of ``text`` (capped)."""
    n = 0
    for ch in reversed(text[-TOKEN_MAX:]):
        if not (ch.isalnum() or ch in TOKEN_PUNCT):
            break
        n += 1
    return n


def read_stdin(prefilter: Prefilter, warn: Warn) -> Iterator[Fragment]:
    """Standard input, streamed in chunks like a file (``cat BIG | lekk scan -``)."""
    yield from read_stream(sys.stdin.buffer, STDIN_PATH, prefilter, warn)
