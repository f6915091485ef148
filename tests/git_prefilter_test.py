"""The prefilter (``Engine.prefilter``, shared by files and git blobs; in C when the extension is
built, else pure Python) answers exactly as the plain test "a keyword is in the text or the path"."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from helpers import lekk

from scanner import filters
from scanner.engine import Engine, _cover
from scanner.rulecheck import check_packs
from scanner.rules import load_rules
from scanner.sources import Fragment


def _naive(engine: Engine, low: bytes, path_low: str) -> bool:
    words = [*engine.keywords, *engine.triggers]
    return any(w.encode() in low for w in words) or any(k in path_low for k in engine.keywords)


def test_needles_cover_every_keyword() -> None:
    engine = Engine(load_rules())
    words = [*engine.keywords, *engine.triggers]
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
    for word in [*engine.keywords, *engine.triggers]:
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


NORDIC_PACK = """
[pack]
provider = "Nordisk Betaling"

[pack.remediation]
url = "https://nordisk.invalid/nokler"
action = "Roter nøkkelen."

[[rules]]
id = "nordisk-nokkel"
name = "Nordisk Betaling key"
severity = "error"
keywords = ["Nøkkel"]
regex = '''(?i)nøkkel[ \\t]*=[ \\t]*'(?P<secret>[a-z0-9]{20})''''
what = "Finds a key."
why = "It moves money."
fix = "Rotate it."
examples = ["NØKKEL = 'k3j9x0qp2m7w4v8t1z5r'"]
negative_examples = ["NOKKEL = 'k3j9x0qp2m7w4v8t1z5r'"]
"""


@pytest.mark.parametrize("pure", ["", "1"], ids=["C-if-built", "pure-Python"])
def test_non_ascii_keyword_in_any_case(tmp_path: Path, pure: str) -> None:
    """One case-folding for the loader, the engine and both prefilters: a file holding only
    NØKKEL is scanned for the keyword written Nøkkel, as `rules check` says it would be."""
    pack = tmp_path / "nordisk.toml"
    pack.write_text(NORDIC_PACK, encoding="utf-8")
    assert check_packs([pack])[1] == []
    engine = Engine(load_rules([pack]), extension=not pure)
    assert "nøkkel" in engine.keywords
    for text in ("NØKKEL = 'k3j9x0qp2m7w4v8t1z5r'\n", "nøkkel = 'k3j9x0qp2m7w4v8t1z5r'\n"):
        assert engine.prefilter(text.encode(), "notes.txt"), text
        assert engine.prefilter(text, "notes.txt"), text
        found = filters.apply(engine.scan(Fragment(text, "notes.txt")))
        assert [(f.rule.id, f.line) for f in found] == [("nordisk-nokkel", 1)]
    assert not engine.prefilter(b"NOKKEL = 1\n", "notes.txt")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "notes.txt").write_text("NØKKEL = 'k3j9x0qp2m7w4v8t1z5r'\n", "utf-8")
    (tmp_path / "tree" / ".lekk.toml").write_text(f"rules = [{str(pack)!r}]\n")
    r = lekk("scan", str(tmp_path / "tree"), env={**os.environ, "LEKK_PURE_PYTHON": pure})
    assert r.returncode == 1 and "nordisk-nokkel" in r.stdout, r.stdout + r.stderr
