"""Baselines: the findings a team has accepted, so a scan reports only what is new.

An entry is content-based: rule id, path and a salted hash of the secret (for a lint rule, of the
flagged span) - never the line, so an entry survives edits, rebases and squash merges, while a
different secret on the same line is a new finding.  The file holds no raw secret and no
timestamps, and its entries are sorted, one a line, so it merges cleanly across branches:

```json
{
  "version": 2,
  "tool": "lekk",
  "salt": "5d0c...",
  "entries": [
    {"rule": "sagapay-api-secret", "path": ".env", "secret_hash": "9c1f..."}
  ]
}
```

The salt is random, made with the baseline and kept by ``--update`` and by a later ``lekk
baseline`` over the same file, so nobody can hash a list of guesses once and look them up in
every public baseline, nor tell that two repositories' baselines hold the same value.  A version 1
file (no salt) still loads, hashed with the fixed salt that fingerprints use (docs/suppressions.md
says what each hash does and does not protect).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import ConfigError
from scanner.finding import Finding, secret_hash

FILENAME = ".lekk-baseline.json"
VERSION = 2
LEGACY_VERSION = 1
"""A baseline without a salt: its hashes use the fixed salt (``finding.SALT``)."""
_SALT_MIN = 16


@dataclass(frozen=True, order=True)
class Entry:
    path: str
    rule: str
    secret_hash: str

    def as_json(self) -> str:
        d = {"rule": self.rule, "path": self.path, "secret_hash": self.secret_hash}
        return json.dumps(d, ensure_ascii=False)


@dataclass(frozen=True)
class Baseline:
    """A baseline's salt (None: a version 1 file) and its entries."""

    salt: str | None = None
    entries: frozenset[Entry] = frozenset()

    @classmethod
    def new(cls) -> Baseline:
        return cls(secrets.token_hex(16))

    def entry(self, f: Finding) -> Entry:
        digest = secret_hash(f.secret, self.salt) if self.salt else f.secret_hash
        return Entry(path=f.path, rule=f.rule.id, secret_hash=digest)

    def of(self, findings: Iterable[Finding]) -> Baseline:
        """The same salt, holding ``findings``."""
        return Baseline(self.salt, frozenset(self.entry(f) for f in findings))


def dumps(bl: Baseline) -> str:
    """Stable text: sorted, de-duplicated, one entry a line, trailing newline."""
    rows = sorted(bl.entries)
    body = ",\n".join(f"    {e.as_json()}" for e in rows)
    head = f'  "version": {VERSION if bl.salt else LEGACY_VERSION},\n  "tool": "lekk",\n'
    if bl.salt:
        head += f'  "salt": {json.dumps(bl.salt)},\n'
    entries = '  "entries": [\n' + body + "\n  ]\n" if rows else '  "entries": []\n'
    return "{\n" + head + entries + "}\n"


def write(path: Path, bl: Baseline) -> None:
    try:
        path.write_text(dumps(bl), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from None


def _entry(item: Any, where: str, i: int) -> Entry:
    if not isinstance(item, dict) or not all(
        isinstance(item.get(k), str) and item.get(k) for k in ("rule", "path", "secret_hash")
    ):
        raise ConfigError(f"{where}: entry {i} needs 'rule', 'path' and 'secret_hash' strings")
    return Entry(path=item["path"], rule=item["rule"], secret_hash=item["secret_hash"].lower())


def _read(path: Path) -> Any:
    where = str(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{where}: baseline file does not exist (create it with `lekk baseline`)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the baseline: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: not a lekk baseline (invalid JSON: {exc})") from None


def load(path: Path) -> Baseline:
    where = str(path)
    data = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ConfigError(f"{where}: not a lekk baseline (no 'entries' list)")
    version = data.get("version")
    if version not in (VERSION, LEGACY_VERSION):
        raise ConfigError(f"{where}: baseline version {version!r} is not {VERSION} (or 1)")
    salt = data.get("salt") if version == VERSION else None
    if version == VERSION and not (isinstance(salt, str) and len(salt) >= _SALT_MIN):
        raise ConfigError(f"{where}: a version {VERSION} baseline needs its 'salt'")
    entries = frozenset(_entry(item, where, i) for i, item in enumerate(data["entries"], 1))
    return Baseline(salt, entries)


def reuse(path: Path) -> Baseline:
    """An empty baseline for a fresh ``lekk baseline`` over ``path``: the salt it already has
    (so rewriting it changes only the entries that changed), else a new one."""
    try:
        salt = load(path).salt
    except ConfigError:
        salt = None
    return Baseline(salt) if salt else Baseline.new()


def split(findings: Sequence[Finding], known: Baseline) -> tuple[list[Finding], list[Finding]]:
    """(new findings, findings already in the baseline)."""
    new: list[Finding] = []
    old: list[Finding] = []
    for f in findings:
        (old if known.entry(f) in known.entries else new).append(f)
    return new, old


def prune(known: Baseline, findings: Iterable[Finding]) -> tuple[Baseline, list[Entry], int]:
    """``--update``: the baseline less the entries no finding matches any more, those entries,
    and how many findings it does not hold (they are not added)."""
    current = known.of(findings).entries
    kept = Baseline(known.salt, known.entries & current)
    return kept, sorted(known.entries - current), len(current - known.entries)
