"""The Base64 step of the engine: which tokens it decodes, and what it reads again.

``b64_tokens`` finds the tokens without a regex tried at every position of the text; it must
find exactly what the regex that defines a token finds, on any text.  The rules then read the
decoded copy of the text only around the decoded tokens: a value written plainly is found once,
by the plain pass, and one encoded is found at its token, in both prefilter modes.
"""

from __future__ import annotations

import base64
import random
import re

import keygen
import pytest

from scanner import filters
from scanner.engine import B64_MAX, DECODED_MAX, Engine, _touching, b64_tokens
from scanner.rules import load_rules
from scanner.sources import Fragment

# what a token is: 16+ Base64 characters and at most two `=`, touching none of these either side
TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
RNG = random.Random(20261204)


def _spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(text)]


def test_the_same_tokens_as_the_regex_on_random_text() -> None:
    r = random.Random(5)
    # Base64 characters, the ones a token may not touch, others, and past ASCII (one code
    # point each, as a surrogate and an astral one)
    rare = "=_-=.: \n\t\"'\u00e9\u0130\ud800\U0001f600"
    common = "AbC9+/xyZ0"
    found = 0
    for _ in range(20_000):
        text = "".join(
            r.choice(rare) if r.random() < r.choice((0.02, 0.1, 0.3)) else r.choice(common)
            for _ in range(r.randint(0, 90))
        )
        assert list(b64_tokens(text)) == _spans(text), text
        found += len(_spans(text))
    assert found > 3000  # the texts hold tokens of every kind, not only none


@pytest.mark.parametrize(
    "text",
    [
        "",
        "A" * 15,
        "A" * 16,
        "A" * 16 + "=",
        "A" * 16 + "==",
        "A" * 16 + "===",
        "A" * 16 + "=A",
        "_" + "A" * 16,
        "A" * 16 + "-",
        "x=" + "A" * 16,
        "é" + "A" * 16 + "é",
        "A" * 15 + "=" + "A" * 16,
        "AAAA_" + "B" * 20 + " " + "C" * 16 + "==\n" + "D" * 40,
    ],
)
def test_the_same_tokens_as_the_regex_at_the_edges(text: str) -> None:
    assert list(b64_tokens(text)) == _spans(text)


def test_a_token_left_undecoded_for_its_length_could_not_be_read_again() -> None:
    """Tokens longer than B64_MAX are not decoded: none of them decodes to DECODED_MAX
    characters or fewer (and the next longer token length, 272, never does)."""
    longest = max(len(base64.b64encode(b"a" * n)) for n in range(DECODED_MAX + 1))
    assert longest <= B64_MAX < longest + 4


def test_touching() -> None:
    spans = [(10, 20), (40, 50)]
    regions = [(0, 9), (0, 10), (15, 16), (20, 39), (21, 30), (45, 100), (50, 60), (60, 70)]
    assert _touching(regions, spans) == [(0, 10), (15, 16), (45, 100)]
    assert _touching(regions, []) == []


@pytest.mark.parametrize("extension", [True, False], ids=["C-if-built", "pure-Python"])
def test_a_plain_and_an_encoded_value_in_one_file_each_once(extension: bool) -> None:
    """The decoded copy is read only around its tokens: the plain key is found by the plain
    pass alone (not a second time), the encoded one at its token, far apart or side by side."""
    engine = Engine(load_rules(), extension=extension)
    plain, encoded = keygen.sagapay_key(RNG), keygen.sagapay_key(RNG)
    token = base64.b64encode(f"SAGAPAY_API_KEY={encoded}".encode()).decode()
    for gap in ("\n", "\n" * 40 + "x = 1\n" * 200):
        text = f"SAGAPAY_API_KEY={plain}\n{gap}data:\n  config: {token}\n"
        found = sorted(
            (f.rule.id, f.secret, f.encoding, f.line)
            for f in filters.apply(engine.scan(Fragment(text, "deploy/values.yaml")))
        )
        line = text[: text.index(token)].count("\n") + 1
        assert found == sorted(
            [("sagapay-api-key", plain, None, 1), ("sagapay-api-key", encoded, "base64", line)]
        ), gap


@pytest.mark.parametrize("extension", [True, False], ids=["C-if-built", "pure-Python"])
def test_only_a_trigger_sends_a_text_without_keywords_to_the_decoder(extension: bool) -> None:
    """No keyword in the text or its path: an encoded key is still decoded (its Base64 holds a
    trigger), and a text of tokens with no trigger is not decoded at all."""
    engine = Engine(load_rules(), extension=extension)
    key = keygen.sagapay_key(RNG)
    token = base64.b64encode(f"SAGAPAY_API_KEY={key}".encode()).decode()
    [f] = filters.apply(engine.scan(Fragment(f"blob: {token}\n", "blob.yaml")))
    assert (f.rule.id, f.secret, f.encoding) == ("sagapay-api-key", key, "base64")
    bland = base64.b64encode(b"nothing to see here at all").decode()
    assert engine.scan(Fragment(f"blob: {bland}\n", "blob.yaml")) == []
