"""What a rule's pack says is not a leak: its allowlists, and the words of a value.

The engine asks ``allowed_by`` for each candidate (an allowlist may look at the text around the
value, which only the engine has); a finding it names is marked, and the filters drop it with
the allowlist's description as the reason, so ``--verbose`` can say why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from scanner.casefold import fold
from scanner.globs import path_ok
from scanner.rules import Allowlist, Rule

# A value's words: split at case changes, digits and punctuation ("DinHemmeligeNokkel" ->
# Din, Hemmelige, Nokkel), so a random secret that happens to hold "fAKe" has no word "fake".
_WORD = re.compile(r"[A-Z]?[a-zæøåäö]+|[A-ZÆØÅÄÖ]+(?![a-zæøåäö])")


def body(value: str, prefixes: Sequence[str]) -> str:
    """The value without the rule's known, non-secret prefix (``spk_live_``)."""
    for p in prefixes:  # longest first (rules.py sorts them)
        if value.startswith(p):
            return value[len(p) :]
    return value


def value_words(value: str) -> list[str]:
    """The whole words of a value, folded."""
    return [fold(w) for w in _WORD.findall(value)]


def allowed_by(rule: Rule, path: str, value: str, nearby: Callable[[], str]) -> str:
    """The description of the first of the rule's allowlists that allows this value, or ''."""
    for entry in rule.allowlists:
        if _allows(entry, rule, path, value, nearby):
            return entry.description
    return ""


def _allows(entry: Allowlist, rule: Rule, path: str, value: str, nearby: Callable[[], str]) -> bool:
    tests: list[Callable[[], bool]] = []
    if entry.paths:
        tests.append(lambda: path_ok(path, entry.paths))
    if entry.values:
        tests.append(lambda: value.rstrip("=") in entry.values)
    if entry.regexes:
        tests.append(lambda: any(p.search(value) for p in entry.regexes))
    if entry.stopwords:
        tests.append(
            lambda: any(w in entry.stopwords for w in value_words(body(value, rule.prefixes)))
        )
    if entry.nearby:
        tests.append(lambda: any(p.search(nearby()) for p in entry.nearby))
    if entry.require_all:
        return all(t() for t in tests)
    return any(t() for t in tests)
