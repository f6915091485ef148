"""The prefilter (``Engine.prefilter``, shared by files and git blobs; in C when the extension is
built, else pure Python) answers exactly as the plain test "a keyword is in the text or the path"."""

from __future__ import annotations

import random

import pytest

from scanner.engine import B64_TRIGGERS, Engine, _cover
from scanner.rules import load_rules


def _naive(engine: Engine, low: bytes, path_low: str) -> bool:
    words = [*engine.keywords, *B64_TRIGGERS]
    return any(w.encode() in low for w in words) or any(k in path_low for k in engine.keywords)


def test_needles_cover_every_keyword() -> None:
    engine = Engine(load_rules())
    words = [*engine.keywords, *B64_TRIGGERS]
    found = _cover(words)
    assert len(found) < len(words)
    for w in words:
        assert any(n in w for n in found), w


@pytest.mark.parametrize("extension", [True, False], ids=["C-if-built", "pure-Python"])
def test_same_answer_as_the_plain_keyword_test(extension: bool) -> None:
    engine = Engine(load_rules(), extension=extension)
    r = random.Random(5)
    filler = "def merchant_total(self): return self.amount  # test_ live_ serial number\n"
    samples = [(filler * 3, False)]
    for word in [*engine.keywords, *B64_TRIGGERS]:
        cut = r.randrange(1, len(word))
        samples.append((filler + word.upper() + filler, True))  # whole keyword, any case
        samples.append((filler + word[:cut] + " " + word[cut:] + filler, False))  # broken up
    for text, whole in samples:
        low = text.lower().encode()
        for path in ("src/app.py", "config/VIPPS.env", "mobilepay/x.txt"):
            want = _naive(engine, low, path.lower())
            # raw text in any case, as bytes or str: the prefilter folds case itself
            for data in (text.encode(), text, low):
                assert engine.prefilter(data, path.lower()) == want, (text, path, type(data))
        if whole:
            assert engine.prefilter(text.encode(), "src/app.py"), text
    assert not engine.prefilter((filler * 3).encode(), "src/app.py")
