"""Whose a variable name is: the provider's, no one's in particular, or another system's.

A rule's ``names`` (see ``rules.NameWords``) give the provider's ``own`` words and the
``generic`` words that name no system (credential, environment and code-structure words).  A
name is read from its innermost part outwards (``Database.Password`` is ``Password`` inside
``Database``; ``process.env.VIPPS_SECRET`` is ``VIPPS_SECRET`` in ``env`` in ``process``): the
first part that is not generic decides, and a generic name in a generic place is no one's in
particular, left to the rule's context.  Parts are read as one run of letters (``clientSecret``,
``CLIENT_SECRET``, ``client-secret`` and ``clientsecret`` alike) that must split into generic
words; any other word names another system (``DJANGO_SECRET``, ``DB_PASSWORD``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from scanner.casefold import fold
from scanner.rules import NameWords

_PARTS = re.compile(r"__|[.:/\[\]]")
_NOT_LETTER = re.compile(r"[^a-zæøåäöü]+")


def another_system(name: str, words: NameWords) -> bool:
    """True when the name, read innermost part first, names a system other than the provider."""
    for part in reversed(_PARTS.split(name)):
        verdict = _part(fold(part), words)
        if verdict == "own":
            return False
        if verdict == "other":
            return True
    return False


def says_whose(name: str, words: NameWords) -> bool:
    """True when some part of the name is the provider's or another system's: a block with such
    a name changes how the names inside it are read (``Vipps``, ``Database``; not ``settings``)."""
    return any(_part(fold(part), words) != "generic" for part in _PARTS.split(name))


@lru_cache(maxsize=4096)
def _part(part: str, words: NameWords) -> str:
    if any(w in part for w in words.own):
        return "own"
    letters = _NOT_LETTER.sub("", part)
    return "generic" if _splits(letters, words.generic) else "other"


def _splits(letters: str, generic: frozenset[str]) -> bool:
    """Whether the letters are a run of generic words (``ocpapimsubscriptionkey``)."""
    longest = max(map(len, generic), default=0)
    ends = [True] + [False] * len(letters)  # ends[i]: letters[:i] splits into generic words
    for i in range(1, len(letters) + 1):
        for j in range(max(0, i - longest), i):
            if ends[j] and letters[j:i] in generic:
                ends[i] = True
                break
    return ends[-1]
