"""What lekk can keep between runs: the built-in rule packs, parsed and compiled.

Every command, the pre-commit hook at each commit included, used to parse the built-in packs'
TOML (10-20 ms with ``tomllib``'s import) and compile, with ``regex``'s parser written in Python,
the regexes of the rules a file wakes (33 ms of a 125 ms ``lekk staged``; 11 ms for
``vipps-client-secret`` alone).  Both are pure functions of their input, so their results are
kept in the user's cache folder (``$XDG_CACHE_HOME/lekk``, else ``~/.cache/lekk``) under a hash
of that input (and of the Python and ``regex`` versions): the tables as ``marshal`` data, a
regex as the arguments ``regex`` itself pickles a compiled pattern with (its ``copyreg``
reducer), handed back to the same C constructor.  Only lekk's own packs are cached, never a
user's.  The cache is only ever a copy: a missing, unwritable or damaged entry, or one that
does not give back the expected object, and the work is done as before (and the entry
rewritten).  ``LEKK_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from typing import Any

_VERSION = f"{sys.version_info[:2]}{marshal.version}"


def _where(kind: str, key: str) -> str | None:
    if os.environ.get("LEKK_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # no home (expanduser gave "~" back), a relative setting: never
        return None  # a folder in the current directory, which may be the scanned repository
    digest = hashlib.blake2b(f"{_VERSION}\0{key}".encode(), digest_size=20).hexdigest()
    return os.path.join(base, "lekk", f"{kind}-{digest}.marshal")


def load(kind: str, key: str) -> Any:
    """The value kept for ``key``, or None."""
    where = _where(kind, key)
    if where is None:
        return None
    try:
        with open(where, "rb") as fh:
            return marshal.loads(fh.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def store(kind: str, key: str, value: Any) -> None:
    """Keep ``value`` for ``key`` (written whole or not at all; any problem: not kept)."""
    where = _where(kind, key)
    if where is None:
        return
    try:
        data = marshal.dumps(value)
        os.makedirs(os.path.dirname(where), mode=0o700, exist_ok=True)
        tmp = f"{where}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, where)
    except (OSError, ValueError):  # a read-only home; a value marshal cannot hold
        pass


def parsed_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads(text)``, from the cache when it holds it."""
    got = load("pack", text)
    if isinstance(got, dict):
        return got
    import tomllib

    data = tomllib.loads(text)
    store("pack", text, data)
    return data


def compiled_regex(source: str, flags: int) -> Any:
    """``regex.compile(source, flags)``, from the cache when it holds it."""
    import copyreg

    import regex

    key = f"{regex.__version__}\0{flags}\0{source}"
    reduce: Any = copyreg.dispatch_table.get(regex.Pattern)
    args = load("regex", key)
    if reduce is not None and isinstance(args, tuple):
        try:
            build = reduce(regex.compile("x"))[0]  # regex's own C constructor (what unpickles)
            got = build(*args)
            if isinstance(got, regex.Pattern) and got.pattern == source:
                return got
        except Exception:  # a damaged entry: compiled again below
            pass
    compiled = regex.compile(source, flags)
    if reduce is not None:
        store("regex", key, reduce(compiled)[1])
    return compiled
