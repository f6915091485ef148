"""Path globs, as the config, rule packs and ``--exclude`` write them."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence


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
