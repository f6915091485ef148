"""Configuration: ``[tool.lekk]`` in pyproject.toml, or a ``.lekk.toml``, or ``--config FILE``.

```toml
[tool.lekk]                       # in .lekk.toml the same keys sit at the top level
rules = ["ci/our-rules.toml"]     # extra rule packs, same format as the built-ins
disable = ["vipps-legacy-api"]    # rule ids to switch off
exclude = ["vendor/**"]           # paths not scanned at all
allowlist.paths = [{ path = "tests/fixtures/**", reason = "fake keys for tests" }]
allowlist.values = [{ regex = "^sps_test_DEMO", reason = "shared demo key" }]
allowlist.hashes = [{ hash = "<fingerprint or secret hash>", reason = "revoked 2024-03" }]
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from scanner.errors import ConfigError
from scanner.filters import AllowEntry

_KEYS = {"rules", "disable", "exclude", "allowlist", "salt"}
_ALLOW_KINDS = {"paths": "path", "values": "regex", "hashes": "hash"}


@dataclass(frozen=True)
class Config:
    source: str | None = None
    rule_packs: tuple[Path, ...] = ()
    disable: frozenset[str] = frozenset()
    exclude: tuple[str, ...] = ()
    allowlist: tuple[AllowEntry, ...] = field(default_factory=tuple)


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _allow_entries(table: Any, where: str) -> tuple[AllowEntry, ...]:
    if table is None:
        return ()
    if not isinstance(table, dict) or set(table) - set(_ALLOW_KINDS):
        raise ConfigError(f"{where}: 'allowlist' takes only {', '.join(_ALLOW_KINDS)}")
    out = []
    for kind, field_name in _ALLOW_KINDS.items():
        items = table.get(kind, [])
        if not isinstance(items, list):
            raise ConfigError(f"{where}: allowlist.{kind} must be a list")
        for i, item in enumerate(items, 1):
            ref = f"{where}: allowlist.{kind}[{i}]"
            if not isinstance(item, dict):
                raise ConfigError(f"{ref}: must be a table with '{field_name}' and 'reason'")
            value, reason = item.get(field_name), item.get("reason")
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{ref}: '{field_name}' is required")
            if not isinstance(reason, str) or not reason.strip():
                raise ConfigError(f"{ref}: 'reason' is required (say why this is not a leak)")
            rules = frozenset(_strings(item.get("rules"), ref, "rules"))
            if kind == "paths":
                out.append(AllowEntry(reason=reason, path=value, rules=rules))
            elif kind == "values":
                try:
                    out.append(AllowEntry(reason=reason, value=regex.compile(value), rules=rules))
                except regex.error as exc:
                    raise ConfigError(f"{ref}: regex does not compile: {exc}") from None
            else:
                out.append(AllowEntry(reason=reason, hash=value.lower(), rules=rules))
    return tuple(out)


def parse(data: dict[str, Any], where: str, base: Path) -> Config:
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    packs = tuple((base / p) for p in _strings(data.get("rules"), where, "rules"))
    for p in packs:
        if not p.is_file():
            raise ConfigError(f"{where}: rule pack {p} does not exist")
    return Config(
        source=where,
        rule_packs=packs,
        disable=frozenset(_strings(data.get("disable"), where, "disable")),
        exclude=_strings(data.get("exclude"), where, "exclude"),
        allowlist=_allow_entries(data.get("allowlist"), where),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load(explicit: str | None, roots: Sequence[Path]) -> Config:
    """``--config FILE`` wins; else ``.lekk.toml``, then ``pyproject.toml`` in the first root."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: config file does not exist")
        data = _read_toml(path)
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("lekk", {})
        return parse(data, str(path), path.parent)
    for root in roots[:1]:
        base = root if root.is_dir() else root.parent
        dot = base / ".lekk.toml"
        if dot.is_file():
            return parse(_read_toml(dot), str(dot), base)
        py = base / "pyproject.toml"
        if py.is_file():
            tool = _read_toml(py).get("tool", {})
            if isinstance(tool, dict) and "lekk" in tool:
                if not isinstance(tool["lekk"], dict):
                    raise ConfigError(f"{py}: [tool.lekk] must be a table")
                return parse(tool["lekk"], f"{py} [tool.lekk]", base)
    return Config()
