"""Path globs, as the config, rule packs and ``--exclude`` write them."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence


def path_matches(path: str, glob: str) -> bool:
    """Glob on a '/'-separated relative path; ``dir/**`` covers everything below, ``*.x`` any depth."""
    path = path.split("!", 1)[0]  # an archive member is allowed by its archive's path
    if fnmatch.fnmatchcase(path, glob):
        return True
    if glob.endswith("/**") and (path + "/").startswith(glob[:-2]):
        return True
    if "/" not in glob:
        return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], glob)
    return glob.startswith("**/") and fnmatch.fnmatchcase(path, glob[3:])


def path_ok(path: str, globs: Sequence[str]) -> bool:
    """Any of the globs matches and no ``!glob`` does (``[".env.*", "!.env.example"]``)."""
    if any(g.startswith("!") and path_matches(path, g[1:]) for g in globs):
        return False
    wanted = [g for g in globs if not g.startswith("!")]
    return not wanted or any(path_matches(path, g) for g in wanted)


def glob_regex(glob: str) -> str:
    """A regular expression that matches a path (its archive member part taken off) exactly
    where ``path_matches`` does: each of its tests, one alternative.  ``fnmatch.translate`` is
    what ``fnmatchcase`` itself compiles, so ``[`` classes and the like mean the same."""
    alternatives = [fnmatch.translate(glob)]
    if glob.endswith("/**"):  # the folder itself, or anything below it
        alternatives.append(re.escape(glob[:-3]) + r"(?s:/.*)?\Z")
    if "/" not in glob:  # the last part of the path: no '/' after where it starts
        alternatives.append(r"(?s:.*/)?(?=[^/]*\Z)" + fnmatch.translate(glob))
    elif glob.startswith("**/"):
        alternatives.append(fnmatch.translate(glob[3:]))
    return "|".join(f"(?:{a})" for a in alternatives)


class GlobSet:
    """Which of many globs a path matches, exactly as ``path_matches`` says, for the cost of a
    few substring tests where it matches none (most paths).  A glob can match only a path that
    holds one of its literal pieces (``_needs``); only those globs' regexes are tried, each
    compiled the first time it is (compiling them all costs more than a small scan)."""

    def __init__(self, globs: Sequence[str]) -> None:
        self.globs = tuple(globs)
        self._match: list[Callable[[str], object] | None] = [None] * len(self.globs)
        by_piece: dict[str, list[int]] = {}
        for i, g in enumerate(self.globs):
            for piece in _needs(g):
                by_piece.setdefault(piece, []).append(i)
        self._pieces = tuple(by_piece)
        self._holders = by_piece

    def matching(self, path: str) -> frozenset[int]:
        """The indexes of the globs the path matches."""
        path = path.split("!", 1)[0]  # an archive member is matched by its archive's path
        candidates = {
            i for piece in filter(path.__contains__, self._pieces) for i in self._holders[piece]
        }
        return frozenset(i for i in candidates if self._matches(i, path))

    def _matches(self, i: int, path: str) -> bool:
        match = self._match[i]
        if match is None:
            match = self._match[i] = re.compile(glob_regex(self.globs[i])).match
        return match(path) is not None


def _needs(glob: str) -> set[str]:
    """Strings of which a path that ``glob`` matches holds one: for each of ``path_matches``'s
    tests, the longest literal piece the test needs (the empty string, which every path holds,
    where a ``[`` class leaves no piece sure)."""
    needs = {_piece(glob)}  # the whole path or its last part matches the glob
    if glob.endswith("/**"):
        needs.add(glob[:-3])  # compared as written, not as a glob
    if glob.startswith("**/"):
        needs.add(_piece(glob[3:]))
    return {n for n in needs if not any(o != n and o in n for o in needs)}


def _piece(glob: str) -> str:
    if "[" in glob:
        return ""
    return max(re.split(r"[*?]+", glob), key=len)
