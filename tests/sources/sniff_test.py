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


def test_a_file_read_whole_is_kept_exactly_when_sniff_calls_it_text() -> None:
    """``files.whole`` counts controls only after the prefilter (``declared``): it must keep a
    file exactly when ``sniff`` says text, NUL-free binary-looking text and BOMs included."""
    from scanner.sources.files import whole

    rng = random.Random(7)
    text = TEXT.encode() * 3  # longer than the sniffed head
    controls = bytes([*range(1, 9), *range(0x0E, 0x1B), 0x7F])
    samples = [
        text,
        codecs.BOM_UTF8 + bytes(rng.choice(controls) for _ in range(SNIFF)),  # a BOM decides
        bytes(rng.choice(controls) for _ in range(SNIFF)),  # controls, no NUL: binary
        rng.randbytes(SNIFF * 2),  # compressed-looking, NULs: binary
        TEXT.encode("utf-16-le"),
    ]
    for every in (20, 31, 33, 64):  # around the 1-in-32 line, without NULs
        dirty = bytearray(text[:SNIFF])
        dirty[::every] = bytes(rng.choice(controls) for _ in dirty[::every])
        samples.append(bytes(dirty) + text)
    kept = [whole(data, "a.sql", lambda d, p: True) is not None for data in samples]
    assert kept == [sniff(data) is not None for data in samples]
    assert kept == [True, True, False, False, True, False, False, True, True]
