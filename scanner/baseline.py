"""Baselines: the findings a team has accepted, so a scan reports only what is new.

An entry is content-based: rule id, path and the salted hash of the secret (for a lint rule, of
the flagged span) - never the line, so an entry survives edits, rebases and squash merges, while a
different secret on the same line is a new finding.  The file holds no raw secret and no
timestamps, and its entries are sorted, one a line, so it merges cleanly across branches:

```json
{
  "version": 1,
  "tool": "lekk",
  "entries": [
    {"rule": "sagapay-api-secret", "path": ".env", "secret_hash": "9c1f..."}
  ]
}
```
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import ConfigError
from scanner.finding import Finding

FILENAME = ".lekk-baseline.json"
VERSION = 1


@dataclass(frozen=True, order=True)
class Entry:
    path: str
    rule: str
    secret_hash: str

    @classmethod
    def of(cls, f: Finding) -> Entry:
        return cls(path=f.path, rule=f.rule.id, secret_hash=f.secret_hash)

    def as_json(self) -> str:
        d = {"rule": self.rule, "path": self.path, "secret_hash": self.secret_hash}
        return json.dumps(d, ensure_ascii=False)


def entries(findings: Iterable[Finding]) -> list[Entry]:
    return sorted({Entry.of(f) for f in findings})


def dumps(items: Iterable[Entry]) -> str:
    """Stable text: sorted, de-duplicated, one entry a line, trailing newline."""
    rows = sorted(set(items))
    body = ",\n".join(f"    {e.as_json()}" for e in rows)
    return (
        "{\n"
        f'  "version": {VERSION},\n'
        '  "tool": "lekk",\n'
        + ('  "entries": [\n' + body + "\n  ]\n" if rows else '  "entries": []\n')
        + "}\n"
    )


def write(path: Path, items: Iterable[Entry]) -> None:
    try:
        path.write_text(dumps(items), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from None


def _entry(item: Any, where: str, i: int) -> Entry:
    if not isinstance(item, dict) or not all(
        isinstance(item.get(k), str) and item.get(k) for k in ("rule", "path", "secret_hash")
    ):
        raise ConfigError(f"{where}: entry {i} needs 'rule', 'path' and 'secret_hash' strings")
    return Entry(path=item["path"], rule=item["rule"], secret_hash=item["secret_hash"].lower())


def load(path: Path) -> frozenset[Entry]:
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{where}: baseline file does not exist (create it with `lekk baseline`)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the baseline: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: not a lekk baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ConfigError(f"{where}: not a lekk baseline (no 'entries' list)")
    if data.get("version") != VERSION:
        raise ConfigError(f"{where}: baseline version {data.get('version')!r} is not {VERSION}")
    return frozenset(_entry(item, where, i) for i, item in enumerate(data["entries"], 1))


def split(
    findings: Sequence[Finding], known: frozenset[Entry]
) -> tuple[list[Finding], list[Finding]]:
    """(new findings, findings already in the baseline)."""
    new: list[Finding] = []
    old: list[Finding] = []
    for f in findings:
        (old if Entry.of(f) in known else new).append(f)
    return new, old


def prune(known: frozenset[Entry], findings: Iterable[Finding]) -> tuple[list[Entry], list[Entry]]:
    """``--update``: (entries that still match a finding, entries that no longer do)."""
    current = {Entry.of(f) for f in findings}
    return sorted(known & current), sorted(known - current)
