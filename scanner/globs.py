"""Path globs, as the config, rule packs and ``--exclude`` write them."""

from __future__ import annotations

import fnmatch


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
