"""Files and directories: walk, skip what is not text, and read in bounded chunks.

Symlinks found while walking are never followed (their targets inside the root are scanned at
their real path; targets outside it are not read), so a link loop or a link to ``/`` is harmless.
A path named on the command line is read even when it is a link: the user asked for it.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import SourceError
from scanner.globs import path_matches
from scanner.sources import TOKEN_MAX, TOKEN_PUNCT, Fragment, Prefilter, Warn, own_report

CHUNK = 1 << 20  # bytes decoded and scanned at a time: memory stays bounded on huge files
OVERLAP = 4096  # carried from one chunk into the next, so a match on a boundary is still seen
SNIFF = 8192  # bytes looked at to tell text from binary
STDIN_PATH = "<stdin>"  # how findings in standard input are reported
SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class Target:
    """One file to scan: where to read it and the path to report."""

    real: str
    rel: str


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
            if not any(path_matches(rel, g) for g in excludes):
                yield p.parent, Target(str(p), rel)
        else:
            warn(f"{arg}: not a regular file or directory; skipped")


def _walk_dir(root: Path, excludes: Sequence[str], warn: Warn) -> Iterator[Target]:
    # plain strings, not Path objects: on a tree of thousands of files, pathlib's parsing cost
    # more than listing the directories
    stack = [(str(root), "")]  # a directory and its path relative to the root, "/"-terminated
    while stack:
        d, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            where = prefix.rstrip("/") or str(root)
            warn(f"{where}/: cannot list directory: {exc.strerror or exc}; skipped")
            continue
        dirs = []
        for e in reversed(entries):
            rel = prefix + e.name
            try:
                if e.is_symlink():
                    continue
                if e.is_dir(follow_symlinks=False):
                    if e.name in SKIP_DIRS or any(path_matches(rel, g) for g in excludes):
                        continue
                    if any(path_matches(rel + "/", g) or g == rel + "/**" for g in excludes):
                        continue
                    dirs.append((e.path, rel + "/"))
                elif e.is_file(follow_symlinks=False) and not any(
                    path_matches(rel, g) for g in excludes
                ):
                    yield Target(e.path, rel)
            except OSError as exc:
                warn(f"{rel}: {exc.strerror or exc}; skipped")
        stack.extend(reversed(dirs))


def is_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\0" in head


def _decoder(head: bytes) -> tuple[str, int]:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 0
    return "utf-8", 0


def read_fragments(
    target: Target, prefilter: Prefilter, warn: Warn, *, chunk: int = CHUNK
) -> Iterator[Fragment]:
    """The text of one file as fragments; binary files yield nothing, bad bytes become U+FFFD."""
    try:
        # unbuffered, and no bigger a read than the file: a 1 MiB buffer per small file costs
        # more than reading it (the hot path of a tree scan)
        fh = open(target.real, "rb", buffering=0)  # noqa: SIM115 - closed below; read in chunks
    except OSError as exc:
        warn(f"{target.rel}: cannot read: {exc.strerror or exc}; skipped")
        return
    with fh:
        try:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                warn(f"{target.rel}: not a regular file; skipped")
                return
            want = min(chunk, st.st_size + 1) if st.st_size else chunk  # +1: sees EOF at once
            parts, got, eof = [], 0, False
            while got < want:
                part = fh.read(want - got)
                if not part:
                    eof = True
                    break
                parts.append(part)
                got += len(part)
            head = b"".join(parts)
        except OSError as exc:
            warn(f"{target.rel}: cannot read: {exc.strerror or exc}; skipped")
            return
        if is_binary(head[:SNIFF]):
            return
        path_low = target.rel.lower()
        encoding, skip = _decoder(head)
        extra = own_report.mark(head)
        if eof:  # the common case: the whole file in one read, one fragment
            if encoding == "utf-16":  # keywords are not visible in the raw bytes: decode first
                text = head.decode(encoding, "replace")
                if prefilter(text, path_low):
                    yield Fragment(text, target.rel, extra=extra)
            elif prefilter(head, path_low):
                yield Fragment(head[skip:].decode(encoding, "replace"), target.rel, extra=extra)
            return
        yield from _chunked(fh, head[skip:], target, encoding, prefilter, warn, chunk, extra)


def _chunked(
    fh: object,
    first: bytes,
    target: Target,
    encoding: str,
    prefilter: Prefilter,
    warn: Warn,
    chunk: int,
    extra: Mapping[str, Any],
) -> Iterator[Fragment]:
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    read = fh.read  # type: ignore[attr-defined]
    path_low = target.rel.lower()
    line, column = 1, 1  # position of the first character of `carry + text`
    carry = ""
    data = first
    while data:
        text = decoder.decode(data)
        try:
            data = read(chunk)
        except OSError as exc:
            warn(f"{target.rel}: read error: {exc.strerror or exc}; rest of file skipped")
            data = b""
        if not data:
            text += decoder.decode(b"", final=True)
        piece = carry + text
        keep = piece[-OVERLAP:] if data else ""
        # a fragment never ends inside a token (a value cut in two would look complete); the
        # cut-off tail is in `keep` and scanned whole with the next chunk
        seen = piece[: len(piece) - token_tail(keep)] if data else piece
        if prefilter(seen, path_low):
            yield Fragment(seen, target.rel, line=line, column=column, extra=extra)
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


def read_stdin(prefilter: Prefilter) -> Iterator[Fragment]:
    data = sys.stdin.buffer.read()
    if not is_binary(data[:SNIFF]) and prefilter(data, STDIN_PATH):
        yield Fragment(data.decode("utf-8", "replace"), STDIN_PATH)
