"""Strings a regex cannot match without: a cheap test that most texts match none of a few
patterns, before any of them is searched.

``required(source)`` reads a pattern with the standard library's parser (the rules' patterns
are written for ``regex``, whose syntax is a superset of ``re``'s: a pattern the standard parser
does not accept gets no requirement, and so is always searched; so does one in which the
standard parser reads a ``{`` or ``]`` as a literal, which ``regex`` may read as a fuzzy
constraint or the end of a POSIX class) and returns lowercase ASCII
strings of which every match holds one, in the text as ``fold_ascii`` folds it.  It is a
necessary condition, never a sufficient one: the pattern itself still decides.

The letter case: the patterns are searched with ``IGNORECASE`` (``VERSION0``, simple case
folding), under which an ASCII letter matches, besides its other case, only U+0130 (``İ``, for
``i``), U+0131 (``ı``, for ``I``), U+017F (``ſ``, for ``s``) and U+212A (the Kelvin sign, for
``k``); ``fold_ascii`` maps those to the ASCII letter (tests/literals_test.py checks the list
against ``regex`` over every code point).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from typing import Any

import regex

from scanner.casefold import fold

_NON_ASCII_CASES = str.maketrans({"\u0131": "i", "\u017f": "s"})  # fold does İ and the Kelvin sign


def fold_ascii(text: str) -> str:
    """``text`` folded so that an ASCII literal matched case-insensitively is a substring."""
    low = fold(text)
    return low if low.isascii() else low.translate(_NON_ASCII_CASES)


def _parser() -> tuple[Any, Any] | None:
    try:  # the standard library's own parser; private, so lekk does without it if it moves
        return importlib.import_module("re._parser"), importlib.import_module("re._constants")
    except ImportError:
        return None


def required(source: str) -> tuple[str, ...] | None:
    """Lowercase ASCII strings one of which every match of the pattern holds (in the text as
    ``fold_ascii`` folds it), or None when the parser cannot say (any text may match)."""
    std = _parser()
    if std is None:
        return None
    parser, constants = std
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = parser.parse(source, 0)
        found = _sequence(list(tree), constants)
    except Exception:  # syntax of `regex` only, or a parser that changed
        return None
    if found is None or "" in found:
        return None
    return tuple(sorted(found))


_AMBIGUOUS = (ord("{"), ord("]"))
MAX_STRINGS = 64  # exact strings a stretch of a pattern is spelled out as, at most
MAX_CLASS = 16  # characters of a class spelled out one by one, at most


def _sequence(items: Sequence[tuple[Any, Any]], c: Any) -> frozenset[str] | None:
    """The best requirement of a sequence: the strings one of its stretches of exact parts is
    spelled as (``spk_(?:live|test)_``: ``spk_live_`` or ``spk_test_``), or one of its other
    parts' requirement; the one whose shortest string is longest, then the fewest."""
    options: list[frozenset[str]] = []
    run = {""}  # the strings the current stretch of exact parts spells
    for op, av in [*items, (None, None)]:
        exact = _exact(op, av, c) if op is not None else None
        if exact is not None and len(run) * len(exact) <= MAX_STRINGS:
            run = {a + b for a in run for b in exact}
            continue
        options.append(frozenset(run))
        run = set(exact) if exact is not None else {""}
        if exact is None and op is not None:
            inner = _item(op, av, c)
            if inner is not None:
                options.append(inner)
    options = [o for o in options if "" not in o and all(s.isascii() for s in o)]
    if not options:
        return None
    best = max(options, key=lambda o: (min(map(len, o)), -len(o)))
    return frozenset(s.lower() for s in best)


def _exact(op: Any, av: Any, c: Any) -> frozenset[str] | None:
    """Every string one part of a pattern matches, when they are few (None otherwise)."""
    if op is c.LITERAL:
        if av in _AMBIGUOUS:
            raise ValueError("a literal that `regex` may read otherwise")
        return frozenset({chr(av)})
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return frozenset({""})  # matches no character: the strings either side are adjacent
    if op is c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is c.LITERAL:
                chars.add(chr(value))
            elif kind is c.RANGE and value[1] - value[0] < MAX_CLASS:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:
                return None
        return frozenset(chars) if len(chars) <= MAX_CLASS else None
    if op is c.SUBPATTERN:
        return _spelled(list(av[-1]), c)
    if op is c.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            got = _spelled(list(branch), c)
            if got is None or len(out | got) > MAX_STRINGS:
                return None
            out |= got
        return frozenset(out)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] == av[1] == 1:
        return _spelled(list(av[2]), c)
    return None


def _spelled(items: Sequence[tuple[Any, Any]], c: Any) -> frozenset[str] | None:
    """Every string a sequence matches, when each part is exact and they are few."""
    out = {""}
    for op, av in items:
        exact = _exact(op, av, c)
        if exact is None or len(out) * len(exact) > MAX_STRINGS:
            return None
        out = {a + b for a in out for b in exact}
    return frozenset(out)


def _item(op: Any, av: Any, c: Any) -> frozenset[str] | None:
    """The requirement of a part that is not exact."""
    if op is c.SUBPATTERN:
        return _sequence(list(av[-1]), c)
    if op is c.ATOMIC_GROUP:
        return _sequence(list(av), c)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _sequence(list(av[2]), c)
    if op is c.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            got = _sequence(list(branch), c)
            if got is None:
                return None
            out |= got
        return frozenset(out)
    return None


class PatternSet:
    """Which of some patterns a path holds a match of (``search``), as searching each would
    say: a pattern whose ``required`` strings are all missing from the path is not searched.

    ``patterns`` are the rules' ``Pattern`` objects, searched with ``IGNORECASE`` and
    ``VERSION0`` as ``scanner.rules`` compiles them; one compiled with other flags (full case
    folding) is always searched."""

    def __init__(self, patterns: Sequence[Any]) -> None:
        self.patterns = tuple(patterns)
        self._always: list[int] = []
        by_piece: dict[str, list[int]] = {}
        for i, p in enumerate(self.patterns):
            needs = required(p.source) if p.flags == regex.IGNORECASE | regex.VERSION0 else None
            if needs is None:
                self._always.append(i)
            for piece in needs or ():
                by_piece.setdefault(piece, []).append(i)
        self._pieces = tuple(by_piece)
        self._holders = by_piece

    def matching(self, path: str) -> frozenset[int]:
        low = fold_ascii(path)
        candidates = {
            i for piece in filter(low.__contains__, self._pieces) for i in self._holders[piece]
        }
        candidates.update(self._always)
        return frozenset(i for i in candidates if self.patterns[i].search(path))
