"""Text or binary, and the encoding: by content, forgiving of a stray NUL, wide text found."""

from __future__ import annotations

import codecs
import random

import pytest

from scanner.sources.sniff import SNIFF, is_binary, sniff

TEXT = "-- dump of the shop\nINSERT INTO settings VALUES ('sagapay', 'blåbær');\n" * 40


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_text_without_a_bom(codec: str) -> None:
    assert sniff(TEXT.encode(codec)) == (codec, 0)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_byte_order_marks(bom: bytes, codec: str) -> None:
    assert sniff(bom + TEXT.encode(codec)) == (codec, len(bom))


def test_a_few_nuls_are_still_text() -> None:
    dump = TEXT.encode()
    dump = dump[:100] + b"\0" + dump[100:2000] + b"\0\0\x01" + dump[2000:]
    assert sniff(dump) == ("utf-8", 0)


def test_binary_data() -> None:
    rng = random.Random(5)
    assert is_binary(rng.randbytes(SNIFF))  # compressed or encrypted data
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + bytes(rng.randrange(0, 40) for _ in range(4000))
    assert is_binary(elf)
    assert is_binary(b"\x00\x01\x02SAGAPAY_KEY=x")  # short and mostly control bytes
    # 16-bit numbers look like UTF-16 by their NULs, but decode to control characters
    assert is_binary(b"".join(i.to_bytes(2, "little") for i in range(1, 20)) * 100)
    assert not is_binary(b"")
