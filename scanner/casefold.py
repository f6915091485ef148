"""One letter-case folding for keywords, shared by the rule loader, the engine and the prefilter.

A keyword is stored folded (``fold``); the engine folds the text the same way before it looks
for keywords; the prefilter, which runs on raw bytes and folds only ASCII letters itself, is
given every spelling of a keyword's other letters (``spellings``), so ``NØKKEL`` in a file is
found by the keyword ``nøkkel`` in both prefilter modes, as the engine would find it.
"""

from __future__ import annotations

import itertools

MAX_SPELLINGS = 64
"""Most spellings a keyword may have (six non-ASCII letters with two cases each); the rule loader
rejects a keyword with more."""


def fold(text: str) -> str:
    """``str.lower``, kept to the same length so that offsets in the folded text are offsets in
    the text (only U+0130, capital I with dot, lowers to two code points: it folds to ``i``)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return text.replace("\u0130", "i").lower()


def _cases(c: str) -> list[str]:
    """The single code points whose fold is ``c`` (``ø`` -> ``ø``, ``Ø``)."""
    out = [c]
    for x in (c.upper(), c.title(), c.casefold()):
        if len(x) == 1 and x not in out and fold(x) == c:
            out.append(x)
    return out


def spellings(word: str) -> tuple[str, ...]:
    """Every spelling of a folded keyword in its non-ASCII letters (ASCII letters are folded by
    the byte search itself).  An ASCII keyword is its own only spelling."""
    if word.isascii():
        return (word,)
    options = [[c] if c.isascii() else _cases(c) for c in word]
    return tuple("".join(p) for p in itertools.product(*options))


def spelling_count(word: str) -> int:
    count = 1
    for c in word:
        count *= 1 if c.isascii() else len(_cases(c))
    return count
