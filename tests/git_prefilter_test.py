"""The byte prefilter used on git blobs answers exactly as ``Engine.prefilter``."""

from __future__ import annotations

import random

from scanner.engine import B64_TRIGGERS, Engine
from scanner.rules import load_rules
from scanner.sources.git.blobs import Prefilter, needles


def test_needles_cover_every_keyword() -> None:
    engine = Engine(load_rules())
    words = [*engine.keywords, *B64_TRIGGERS]
    found = needles(words)
    assert len(found) < len(words)
    for w in words:
        assert any(n.decode() in w for n in found), w


def test_same_answer_as_the_engine() -> None:
    engine = Engine(load_rules())
    pf = Prefilter([*engine.keywords, *B64_TRIGGERS], engine.keywords)
    r = random.Random(5)
    filler = "def merchant_total(self): return self.amount  # test_ live_ serial number\n"
    samples = [filler * 3]
    for word in [*engine.keywords, *B64_TRIGGERS]:
        cut = r.randrange(1, len(word))
        samples.append(filler + word.upper() + filler)  # whole keyword, any case
        samples.append(filler + word[:cut] + " " + word[cut:] + filler)  # broken up: no match
    for text in samples:
        low = text.lower().encode()
        for path in ("src/app.py", "config/VIPPS.env", "mobilepay/x.txt"):
            assert pf(low, path.lower()) == engine.prefilter(low, path.lower()), (text, path)
    assert sum(pf(s.lower().encode(), "src/app.py") for s in samples) == len(samples) // 2
