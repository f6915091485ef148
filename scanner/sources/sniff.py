"""Text or binary, and in which encoding: decided from a file's first bytes.

git (``buffer_is_binary``), ripgrep, libmagic and noseyparker's ``content_inspector`` call a file
binary when its first few kilobytes hold a NUL.  That hides a whole text file behind one stray
byte (a SQL dump with a NUL in a string, a log that caught a control character) and every UTF-16
or UTF-32 file without a byte-order mark.  Here:

1. A byte-order mark decides (UTF-32 before UTF-16: ``FF FE 00 00`` starts with ``FF FE``).
2. NULs in a pattern are wide text, as libmagic's ``looks_ucs16`` and the Unicode detectors of
   editors read them: ASCII in UTF-16LE puts a NUL in every odd byte and almost none in even
   ones; UTF-32 puts NULs in the top two bytes of every code unit.  The sample must then decode
   to text that is not itself mostly control characters.
3. Otherwise the sample is text unless more than 1 byte in 32 is a control character that text
   does not use (libmagic's "never in text" class: NUL, 0x01-0x08, 0x0E-0x1A, 0x1C-0x1F, DEL).
   Compressed or machine data has about one in ten; a text file with a few NULs far fewer.

Binary members of archives are not skipped: their printable strings are scanned (archives.py).
"""

from __future__ import annotations

import codecs

SNIFF = 8192  # bytes looked at
BINARY_SHARE = 32  # binary when more than 1 byte in this many is a control character
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NEVER_IN_TEXT = bytes([*range(0, 9), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])


_NEVER_IN_STR = dict.fromkeys(_NEVER_IN_TEXT)


def _looks_binary(data: bytes | str) -> bool:
    """More than 1 in BINARY_SHARE of ``data`` (bytes, or decoded text) is a control that
    text never uses."""
    if isinstance(data, str):
        kept = len(data.translate(_NEVER_IN_STR))
    else:
        kept = len(data.translate(None, _NEVER_IN_TEXT))
    return (len(data) - kept) * BINARY_SHARE > len(data)


def _wide(head: bytes) -> str | None:
    """'utf-16-le', 'utf-16-be', 'utf-32-le' or 'utf-32-be' from where the NULs fall."""
    n4 = len(head) // 4
    if n4 == 0 or b"\0" not in head:
        return None
    z = [head[k : n4 * 4 : 4].count(0) for k in range(4)]
    if z[2] + z[3] >= 1.8 * n4 and z[0] <= 0.1 * n4:
        return "utf-32-le"
    if z[0] + z[1] >= 1.8 * n4 and z[3] <= 0.1 * n4:
        return "utf-32-be"
    even, odd = z[0] + z[2], z[1] + z[3]  # NULs at even and at odd offsets
    if odd > n4 and even * 10 <= odd:  # most characters are Latin-1
        return "utf-16-le"
    if even > n4 and odd * 10 <= even:
        return "utf-16-be"
    return None


def declared(data: bytes) -> tuple[str, int, bool] | None:
    """``sniff`` in two steps: ``(codec, bytes of BOM to skip, unchecked)``, None for binary.
    ``unchecked``: the first bytes hold no NUL and no byte-order mark, so the file is UTF-8
    text unless ``looks_binary``; that count (the costly part) is left to the caller, which can
    skip it for content it drops anyway (no keyword in it).  Binary files nearly always have a
    NUL in their first bytes: they are counted here, before anything reads further."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom), False
    if data.find(b"\0", 0, SNIFF) < 0:
        return "utf-8", 0, True
    head = data[:SNIFF]
    wide = _wide(head)
    if wide is not None:
        unit = 4 if wide.startswith("utf-32") else 2
        text = head[: len(head) // unit * unit].decode(wide, "replace")
        return None if _looks_binary(text) else (wide, 0, False)
    return None if _looks_binary(head) else ("utf-8", 0, False)


def looks_binary(data: bytes) -> bool:
    """Binary by the controls in its first bytes (for ``declared``'s unchecked content)."""
    return _looks_binary(data[:SNIFF])


def sniff(head: bytes) -> tuple[str, int] | None:
    """``(codec, bytes of BOM to skip)`` for text, None for binary; ``head``: the first bytes."""
    kind = declared(head)
    if kind is None or (kind[2] and looks_binary(head)):
        return None
    return kind[0], kind[1]


def is_binary(head: bytes) -> bool:
    return sniff(head) is None
