"""The optional C prefilter (scanner/_fastscan.c) answers exactly as "is any keyword in the
lowercased data", and it is really built where a C compiler is at hand (as in CI)."""

from __future__ import annotations

import itertools
import os
import random
import shutil
import sysconfig
from collections.abc import Callable, Iterator

import pytest

from scanner import fastscan

needs_extension = pytest.mark.skipif(
    not fastscan.available(),
    reason="the C prefilter is not in use (not built, or LEKK_PURE_PYTHON set)",
)


def _naive(words: list[bytes], data: bytes) -> bool:
    low = data.lower()
    return any(w in low for w in words)


def test_built_where_a_compiler_is_at_hand() -> None:
    cc = (sysconfig.get_config_var("CC") or "").split()
    if not cc or shutil.which(cc[0]) is None:
        pytest.skip(
            f"no C compiler ({cc[0] if cc else 'none configured'}): pure Python is expected"
        )
    if os.environ.get("LEKK_PURE_PYTHON", "") not in ("", "0"):
        pytest.skip("LEKK_PURE_PYTHON is set")
    assert fastscan.available(), (
        "install lekk again: hatch_build.py should have built scanner/_fastscan"
    )


def test_tables_refuse_what_the_scan_cannot_take() -> None:
    with pytest.raises(ValueError, match="bytes long"):
        fastscan.tables([b"abc", b"vipps"])  # shorter than the 4-byte window
    with pytest.raises(ValueError, match="lowercase"):
        fastscan.tables([b"Vipps"])
    with pytest.raises(ValueError):
        fastscan.tables([])


@needs_extension
def test_keywords_shorter_than_the_window_are_found_too() -> None:
    search = fastscan.compile_search([b"ab", b"vipps", b"x"])
    assert search is not None
    assert search(b"..AB..") and search(b"VIPPS") and search(b"X") and not search(b"a b vipp")
    only_short = fastscan.compile_search([b"pay"])
    assert only_short is not None and only_short(b"PayPal") and not only_short(b"pa y")


@needs_extension
def test_malformed_tables_are_an_error_not_a_crash() -> None:
    from scanner import _fastscan

    good = fastscan.tables([b"vipps", b"sgs_"])
    for bad in (b"", good[:100], b"XXXX" + good[4:], good[:-3]):
        with pytest.raises(ValueError, match="malformed"):
            _fastscan.search(bad, b"vipps")
    assert _fastscan.search(good, b"xx VIPPS") == 3


def _words(r: random.Random, longest: int, most: int) -> list[bytes]:
    """A few random keywords made of a few letters (so they overlap and share pairs)."""
    return sorted(
        {
            bytes(r.choice(b"abcdsp_1") for _ in range(r.randint(4, longest)))
            for _ in range(r.randint(1, most))
        }
    )


def _plant(r: random.Random, data: bytearray, words: list[bytes], twice: bool = False) -> None:
    """One of the words, in some letter case, anywhere (the ends included), maybe twice over."""
    w = r.choice(words)
    w = bytes(c - 32 if 97 <= c <= 122 and r.random() < 0.5 else c for c in w)
    at = r.choice([0, len(data), r.randint(0, len(data))])
    data[at:at] = w + (w if twice and r.random() < 0.3 else b"")


def _cases(
    seed: int, alphabet: bytes, size: int, longest: int, plant: Callable[..., None]
) -> Iterator[tuple[list[bytes], list[bytes]]]:
    """Sets of random keywords, each with random data in which ``plant`` put some of them."""
    r = random.Random(seed)
    for _ in range(300):
        words = _words(r, longest, 12)
        datas = []
        for _ in range(15):
            data = bytearray(r.choice(alphabet) for _ in range(r.randint(0, size)))
            plant(r, data, words)
            datas.append(bytes(data))
        yield words, datas


def _plant_or_cut(r: random.Random, data: bytearray, words: list[bytes]) -> None:
    if r.random() < 0.5:
        _plant(r, data, words)
    if r.random() < 0.3:  # a keyword cut short at the end of the data
        data += r.choice(words)[:-1]


def _plant_some(r: random.Random, data: bytearray, words: list[bytes]) -> None:
    for _ in range(r.randint(0, 4)):  # overlapping ones too
        _plant(r, data, words, twice=True)


@needs_extension
def test_same_answer_as_the_naive_test_on_random_data() -> None:
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-/ .\n\xc3\xa6\xff"
    for words, datas in _cases(7, alphabet, 200, 9, _plant_or_cut):
        search = fastscan.compile_search(words)
        assert search is not None
        for data in datas:
            assert search(data) == _naive(words, data), (words, data)


@needs_extension
def test_every_keyword_in_every_case_at_every_position() -> None:
    words = [b"vipps", b"mobilepay", b"sgs_", b"_live_", b"/accesstoken/get", b"c3brx2xpdmvf"]
    search = fastscan.compile_search(words)
    assert search is not None
    for w in words:
        for variant in (w, w.upper(), w.title(), w.swapcase()):
            for pad in range(6):
                assert search(b"x" * pad + variant), (w, variant, pad)
                assert search(variant + b"y" * pad), (w, variant, pad)
                assert not search(b"x" * pad + variant[:-1]), (w, variant, pad)
                assert not search(variant[1:] + b"y" * pad), (w, variant, pad)
    # bytes that only look alike after a non-ASCII lowering are not folded (as bytes.lower())
    assert not search("VİPPS".encode())


def _every(word: bytes, data: bytes, limit: int) -> list[int]:
    """What the engine does without the extension: str.find from each hit on (overlaps too)."""
    low, out = data.lower(), []
    i = low.find(word)
    while i >= 0 and len(out) < limit:
        out.append(i)
        i = low.find(word, i + 1)
    return out


@needs_extension
def test_locate_finds_every_occurrence_as_find_does() -> None:
    for words, datas in _cases(11, b"abcdsp_1ABCDSP \n\xff?", 300, 8, _plant_some):
        locate = fastscan.compile_locate(words)
        assert locate is not None
        for limit, data in zip(itertools.cycle((1, 2, 3, 1000)), datas):
            want = {w: _every(w, data, limit) for w in words}
            assert locate(data, limit) == {w: at for w, at in want.items() if at}, (words, data)


@needs_extension
def test_locate_overlapping_and_limited() -> None:
    locate = fastscan.compile_locate([b"aaaa", b"vipps", b"pps_s"])
    assert locate is not None
    assert locate(b"VIPPS_SECRET vipps aaaaaa", 2) == {
        b"vipps": [0, 13],
        b"pps_s": [2],
        b"aaaa": [19, 20],
    }
    assert locate(b"", 5) == {} and locate(b"aaa", 5) == {}
    empty = fastscan.compile_locate([])
    assert empty is not None and empty(b"vipps", 5) == {}
    from scanner import _fastscan

    with pytest.raises(ValueError, match="malformed"):
        _fastscan.occurrences(b"LKF3", b"vipps", 5)


def test_records_never_crash_on_garbage_and_find_what_python_finds() -> None:
    """``records`` parses untrusted git output in C: random and cut records give a result or a
    ValueError, never a crash, and a complete record is parsed as Python parses it."""
    import random

    from scanner.sources.git.blobs import parse_header

    records = fastscan.compile_records([b"secret"], 8192)
    if records is None:
        pytest.skip("the C extension is not built")
    rng = random.Random(5)
    good = b"a" * 40 + b" blob 11 p q\nmy Secret x\n" + b"b" * 40 + b" missing\n"
    for _ in range(3000):
        data = bytearray(good)
        for _ in range(rng.randrange(4)):
            data[rng.randrange(len(data))] = rng.choice(b" \n0123456789az\x00")
        data = data[: rng.randrange(len(data) + 1)]
        try:
            recs, used = records(data, 0, len(data))
        except ValueError:
            continue
        assert 0 <= used <= len(data)
        for line, offset, size, _ in recs:
            if parse_header(line)[1] == "blob":
                assert parse_header(line)[2] == size and data[offset + size] == 10
    recs, used = records(bytearray(good), 0, len(good))
    assert [(r[2], r[3]) for r in recs] == [(11, 3), (0, 0)] and used == len(good)
    huge = bytearray(b"c" * 40 + b" blob 99999999999999999999999 p\n")
    with pytest.raises(ValueError):
        records(huge, 0, len(huge))


@needs_extension
def test_fill_drains_a_pipe_while_it_has_more_and_stops_at_the_buffers_end() -> None:
    import threading
    import time

    fill = fastscan.pipe_filler()
    assert fill is not None
    r, w = os.pipe()
    try:
        os.write(w, b"a" * 1000)
        buf = bytearray(1500)
        assert fill(r, buf, 100) == 1100  # what is there, without waiting for more
        assert buf[100:1100] == b"a" * 1000 and buf[:100] == bytes(100)
        os.write(w, b"b" * 1000)
        assert fill(r, buf, 1100) == 1500  # up to the end of the buffer, not past it
        assert buf[1100:] == b"b" * 400
        buf2 = bytearray(4096)
        assert fill(r, buf2, 0) == 600  # the rest is still in the pipe
        later = threading.Timer(0.2, os.write, (w, b"c" * 10))
        later.start()
        t0 = time.monotonic()
        assert fill(r, buf2, 600) == 610  # waits for the first bytes, as read(2) does
        assert time.monotonic() - t0 > 0.1
        later.join()
        with pytest.raises(ValueError):
            fill(r, buf2, 4096)  # no room
        with pytest.raises(ValueError):
            fill(r, buf2, -1)
        os.close(w)
        w = -1
        assert fill(r, buf2, 610) == 610  # end of file
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
    with pytest.raises(OSError):
        fill(1 << 30, bytearray(10), 0)  # no such descriptor
    with pytest.raises(TypeError):
        fill(0, b"read-only", 0)  # type: ignore[arg-type]
