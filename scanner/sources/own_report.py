"""lekk's own files in a scanned tree: its reports, and its rule packs.

A JSON or SARIF report that lekk wrote is not code.

Left in a tree (``lekk scan . -o lekk.sarif``, then ``lekk scan .``), a report quotes what the
lint rules look for (variable names, endpoints: in its findings and in the rules' help) and the
next scan would report the report.  A source marks a file that starts with a lekk report's header
(``extra["lekk_report"]``); the engine then runs only the secret rules on it.  The secret rules
still run: a report holds no credential unless it was written with ``--show-secrets`` (then it is
a leak), and a file dressed up as a report cannot hide one.  (No example credential is written
into a report: ``reporters.sarif_rules.help_text``.)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

MARK = "lekk_report"
HEAD = 1024  # the header is within the first bytes, whatever the indentation
_REPORT = re.compile(
    rb"""\A \s* \{ \s*
    (?: "version" \s*:\s* \d+ \s*,\s* "tool" \s*:\s* \{                     # --format json
      | "\$schema" \s*:\s* "[^"\n]{0,200}" \s*,\s* "version" \s*:\s* "2\.1\.0" \s*,\s*
        "runs" \s*:\s* \[ \s* \{ \s* "tool" \s*:\s* \{ \s* "driver" \s*:\s* \{    # --format sarif
    ) \s* "name" \s*:\s* "lekk" \s* [,}]""",
    re.VERBOSE,
)


def mark(head: bytes) -> Mapping[str, bool]:
    """The Fragment ``extra`` for a file whose first bytes are ``head``."""
    return {MARK: True} if _REPORT.match(head[:HEAD]) else {}


def own_pack(data: bytes) -> bool:
    """Are these bytes one of this lekk's built-in rule packs, to the byte?  Their examples are
    fake credentials made to fire the rules, and lekk installed in a virtualenv inside a scanned
    tree (``venv/lib/.../scanner/_rules/vipps.toml``, not ignored by git) reported 115 of them
    (gitleaks leaves its own ``gitleaks.toml`` out the same way).  Only an exact copy is left
    out: a pack with one byte changed, or another version's, is scanned like any file."""
    sizes, packs = _packs()
    return len(data) in sizes and data in packs


@functools.cache
def _packs() -> tuple[frozenset[int], frozenset[bytes]]:
    from scanner.rules import builtin_pack_paths

    packs: set[bytes] = set()
    for path in builtin_pack_paths():
        try:
            packs.add(path.read_bytes())
        except OSError:
            continue
    return frozenset(map(len, packs)), frozenset(packs)
