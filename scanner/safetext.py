"""Text from scanned input made safe to report: names that are not UTF-8, terminal controls.

A scanned repository, archive or site chooses its file names, its lines, its commit authors and
subjects.  Two things in them must never reach a report or a terminal as they are:

* bytes that are not UTF-8 (a Latin-1 file name on disk, in a tar or in a git tree).  Python
  carries them as lone surrogates, which no report format can encode; ``path_text`` shows each
  as ``\\xNN``, so two such names stay apart and every format can write them;
* control characters: an escape sequence in a file name or a source line can clear the screen
  and print a fake "no leaks found".  ``for_terminal`` shows them as ``\\x1b``, ``\\r``, ``\\u202e``
  in the text report and in every line lekk writes to stderr.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 but TAB, DEL and C1, the bidirectional overrides ("Trojan Source"), lone surrogates
_CONTROL = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escaped(m: re.Match[str]) -> str:
    ch = m.group()
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def path_text(name: str | bytes) -> str:
    """A path as lekk reports it: bytes that are not UTF-8 shown as ``\\xNN``."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    return _SURROGATE.sub(_escaped, name) if _SURROGATE.search(name) else name


_BYTE_ESCAPE = re.compile(r"\\x([89a-f][0-9a-f])")


def path_bytes(path: str) -> bytes:
    """The bytes of a path that ``path_text`` showed (each \\xNN back to its byte), for URIs."""
    raw = _BYTE_ESCAPE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), path)
    return raw.encode("utf-8", "surrogateescape")


def for_terminal(text: str) -> str:
    """``text`` with control characters shown escaped, so it prints as one inert line."""
    return _CONTROL.sub(_escaped, text) if _CONTROL.search(text) else text
