"""Configuration: ``[tool.lekk]`` in pyproject.toml, or a ``.lekk.toml``, or ``--config FILE``.

```toml
[tool.lekk]                       # in .lekk.toml the same keys sit at the top level
rules = ["ci/our-rules.toml"]     # extra rule packs, same format as the built-ins
disable = ["vipps-legacy-api"]    # rule ids to switch off
exclude = ["vendor/**"]           # paths not scanned at all
allowlist.paths = [{ path = "tests/fixtures/**", reason = "fake keys for tests" }]
allowlist.values = [{ regex = "^sps_test_DEMO", reason = "shared demo key" }]
allowlist.hashes = [{ hash = "<fingerprint>", reason = "revoked 2024-03" }]
```

Without ``--config``, the file is found as ruff finds its own: in the scanned path's folder, then
each folder above it, up to the repository root (the folder holding ``.git``) or, outside a
repository, the file system root.  The first folder with a ``.lekk.toml`` or a ``pyproject.toml``
holding ``[tool.lekk]`` wins; both in one folder is an error.  Every key does something: an
unknown key, or a rule id no pack defines, is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import regex

from scanner.errors import ConfigError
from scanner.filters import AllowEntry
from scanner.rules import Rule, known_ids, load_rules

_KEYS = {"rules", "disable", "exclude", "allowlist"}
_ALLOW_KINDS = {"paths": "path", "values": "regex", "hashes": "hash"}
DOT = ".lekk.toml"
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Config:
    source: str | None = None
    """The file used (``pyproject.toml [tool.lekk]`` for the table), or None."""
    rule_packs: tuple[Path, ...] = ()
    disable: frozenset[str] = frozenset()
    exclude: tuple[str, ...] = ()
    allowlist: tuple[AllowEntry, ...] = field(default_factory=tuple)
    searched: str = ""
    """Without a file: the folders searched, for ``-v``."""

    def describe(self) -> str:
        """One line for ``-v``: the file used, or where none was found."""
        if self.source:
            return f"config: {self.source}"
        return f"config: none found ({self.searched})" if self.searched else "config: none"


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
            unknown = set(item) - {field_name, "reason", "rules"}
            if unknown:
                raise ConfigError(
                    f"{ref}: unknown key(s) {', '.join(sorted(unknown))}: an entry takes "
                    f"'{field_name}', 'reason' and optionally 'rules'"
                )
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
    import tomllib  # only when there is a config file to read

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _tool_table(py: Path, *, required: bool) -> dict[str, Any] | None:
    """``[tool.lekk]`` of a pyproject.toml; None when it has none (an error when ``required``).
    A pyproject.toml that never says ``lekk`` is not parsed: another project's broken file
    above the scanned path is none of lekk's business."""
    if not required:
        try:
            if "lekk" not in py.read_text(encoding="utf-8", errors="replace"):
                return None
        except OSError:
            return None
    tool = _read_toml(py).get("tool", {})
    table = tool.get("lekk") if isinstance(tool, dict) else None
    if table is None:
        if required:
            raise ConfigError(f"{py}: has no [tool.lekk] table")
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{py}: [tool.lekk] must be a table")
    return table


def _in(folder: Path) -> Config | None:
    """The config in one folder, if any; both kinds there is an error."""
    dot, py = folder / DOT, folder / PYPROJECT
    table = _tool_table(py, required=False) if py.is_file() else None
    if dot.is_file():
        if table is not None:
            raise ConfigError(
                f"{dot} and {py} [tool.lekk] are both in {folder}: keep one of them "
                "(lekk does not choose between two configs)"
            )
        return parse(_read_toml(dot), str(dot), folder)
    if table is not None:
        return parse(table, f"{py} [tool.lekk]", folder)
    return None


def find(start: Path) -> Config:
    """The config for a scan of ``start``: its folder, then each folder above, up to the
    repository root (the folder holding ``.git``) or the file system root."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    folder = here
    for folder in (here, *here.parents):
        found = _in(folder)
        if found is not None:
            return found
        if (folder / ".git").exists():
            return Config(searched=f"searched {here} up to the repository root {folder}")
    return Config(searched=f"searched {here} up to {folder}")


def load(explicit: str | None, roots: Sequence[Path]) -> Config:
    """``--config FILE`` wins; else the first root's config, found upward (``find``)."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: config file does not exist")
        if path.name == PYPROJECT:
            table = _tool_table(path, required=True)
            assert table is not None
            return parse(table, f"{path} [tool.lekk]", path.parent)
        return parse(_read_toml(path), str(path), path.parent)
    return find(roots[0] if roots else Path.cwd())


def rules_for(cfg: Config) -> tuple[Config, list[Rule]]:
    """The rules a scan runs: the built-ins and the config's packs, less ``disable``.  A rule id
    the config names (``disable``, an allowlist entry's ``rules``) must exist, or it would
    silently do nothing; a test-key id in ``disable`` (``sagapay-api-key.test``) keeps the rule
    and drops its test keys, as an allowlist entry does."""
    every = load_rules(cfg.rule_packs)
    known = known_ids(every)
    named = [("disable", cfg.disable), *(("allowlist rules", e.rules) for e in cfg.allowlist)]
    for key, ids in named:
        unknown = sorted(set(ids) - known)
        if unknown:
            raise ConfigError(
                f"{cfg.source}: '{key}' names unknown rule id(s): {', '.join(unknown)}"
            )
    test_ids = sorted(i for i in cfg.disable if i not in {r.id for r in every})
    if test_ids:
        drops = tuple(
            AllowEntry(reason=f"{rid} is disabled in {cfg.source}", rules=frozenset({rid}))
            for rid in test_ids
        )
        cfg = replace(cfg, allowlist=(*cfg.allowlist, *drops))
    return cfg, [r for r in every if r.id not in cfg.disable]
