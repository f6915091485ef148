"""Rule packs: load TOML, validate, compile.

A pack is a TOML file with an optional ``[pack]`` table (provider name, shared remediation, value
prefixes, allowlists and name words its rules share), an optional ``[patterns]`` table of named
regex pieces that rules reuse as ``{{name}}``, and a ``[[rules]]`` array.  Every problem is
reported as ``file: rule-id: what is wrong``.  ``load_packs`` is the one validation: ``lekk scan``
and ``lekk rules check`` both call it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import regex

from scanner import cache as cache_mod
from scanner.casefold import MAX_SPELLINGS, fold, spelling_count
from scanner.errors import RuleError

SEVERITIES = ("error", "warning", "note")
CONFIDENCES = ("high", "medium", "low")
KINDS = ("secret", "lint")
TEST_SUFFIX = ".test"
"""``<rule-id>.test``: the id SARIF reports a rule's test keys under, accepted wherever rule ids
are (``lekk:ignore``, ``disable``, allowlist ``rules``, ``lekk explain``)."""
# the standard library's `re` for lekk's own simple patterns: compiling them with `regex` at
# import cost start-up several milliseconds
_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
_TEMPLATE = re.compile(r"\{\{([a-z_][a-z0-9_]*)\}\}")
_RULE_KEYS = {
    "id",
    "name",
    "kind",
    "severity",
    "test_severity",
    "confidence",
    "keywords",
    "anchors",
    "region",
    "regex",
    "entropy",
    "context",
    "test",
    "captures",
    "client_side_only",
    "paths",
    "prefixes",
    "decode",
    "allowlists",
    "names",
    "what",
    "why",
    "fix",
    "example",
    "remediation",
    "references",
    "examples",
    "negative_examples",
    "git_tracked",
    "once_per_file",
}
_PACK_KEYS = {"provider", "remediation", "prefixes", "decode", "allowlists", "names"}
# Characters of text around each anchor that a rule's regex runs on: before it (a long variable
# name holding the anchor) and after it (separator, quoting and the value; a postman pair).
REGION = (160, 480)
_CONTEXT_KEYS = {"any", "all", "none", "name_none", "window"}
_TEST_KEYS = {"secret", "name", "nearby", "unless_nearby"}
_REMEDIATION_KEYS = {"url", "action", "steps", "urls"}
_ALLOWLIST_KEYS = {"description", "condition", "paths", "values", "regexes", "stopwords", "nearby"}
_NAMES_KEYS = {"own", "generic"}
_WORD_CHARS = re.compile(r"^[a-zæøåäöü]+$")


@dataclass(frozen=True)
class Remediation:
    url: str
    action: str
    steps: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Example:
    text: str
    path: str = "example.txt"


SEARCH_TIMEOUT = 1.0
"""Seconds one search of a rule's context, test or capture pattern may take."""


class Pattern:
    """A rule's regex, compiled on first use.

    A user's pack is compiled as it loads, so a broken regex is a load error (exit 2).  The
    built-in packs, which the test suite compiles and runs, are compiled only when a rule first
    runs: start-up (``lekk staged`` on every commit) does not pay for rules a scan never needs.
    """

    __slots__ = ("_compiled", "cached", "flags", "source")

    def __init__(self, source: str, flags: int, cached: bool = False) -> None:
        self.source = source
        self.flags = flags
        self.cached = cached  # a built-in pack's: compiled once per machine (scanner.cache)
        self._compiled: regex.Pattern[str] | None = None

    def compile(self) -> regex.Pattern[str]:
        if self._compiled is None:
            if self.cached:
                self._compiled = cache_mod.compiled_regex(self.source, self.flags)
            else:
                self._compiled = regex.compile(self.source, self.flags)
        return self._compiled

    @property
    def groupindex(self) -> Mapping[str, int]:
        return self.compile().groupindex

    def search(self, string: str) -> regex.Match[str] | None:
        """Raises TimeoutError past SEARCH_TIMEOUT (a user's pattern may backtrack forever)."""
        return self.compile().search(string, timeout=SEARCH_TIMEOUT)

    def finditer(
        self, string: str, pos: int, endpos: int, *, timeout: float
    ) -> Iterator[regex.Match[str]]:
        return self.compile().finditer(string, pos, endpos, timeout=timeout)


def _ci(patterns: Iterable[str], eager: bool) -> tuple[Pattern, ...]:
    out = tuple(Pattern(p, regex.IGNORECASE | regex.VERSION0, not eager) for p in patterns)
    if eager:
        for p in out:
            p.compile()
    return out


@dataclass(frozen=True)
class Allowlist:
    """A rule's own exemption, as gitleaks has them: a finding is allowed when any of the given
    criteria holds (``condition = "and"``: all of them).  ``paths`` are globs on the path,
    ``values`` exact values, ``regexes`` patterns on the value, ``stopwords`` whole words of the
    value (after the rule's prefix), ``nearby`` patterns on the text around the value."""

    description: str
    require_all: bool = False
    paths: tuple[str, ...] = ()
    values: frozenset[str] = frozenset()
    regexes: tuple[Pattern, ...] = ()
    stopwords: frozenset[str] = frozenset()
    nearby: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class NameWords:
    """Whose a variable name is.  A name component holding an ``own`` word (``vipps``) is the
    provider's; one made only of ``generic`` words, in any spelling (``clientSecret``,
    ``CLIENT_SECRET_TEST``, ``ocpapimsubscriptionkey``), is no one's in particular; any other
    word (``DJANGO_SECRET``, ``DB_PASSWORD``) names another system."""

    own: tuple[str, ...]
    generic: frozenset[str]


@dataclass(frozen=True)
class Rule:
    """One detection or lint rule, compiled.  Immutable; compiled regexes live on the rule."""

    id: str
    name: str
    provider: str
    kind: str
    severity: str
    confidence: str
    keywords: tuple[str, ...]
    anchors: tuple[str, ...]
    pattern: Pattern
    region: tuple[int, int]
    what: str
    why: str
    fix: str
    remediation: Remediation
    source: str
    test_severity: str | None = None
    entropy: float | None = None
    context_any: tuple[Pattern, ...] = ()
    context_all: tuple[Pattern, ...] = ()
    context_none: tuple[Pattern, ...] = ()
    name_none: tuple[Pattern, ...] = ()
    window: int = 12
    test_secret: tuple[Pattern, ...] = ()
    test_name: tuple[Pattern, ...] = ()
    test_nearby: tuple[Pattern, ...] = ()
    test_unless_nearby: tuple[Pattern, ...] = ()
    captures: tuple[tuple[str, Pattern], ...] = ()
    paths: tuple[str, ...] = ()
    client_side_only: bool = False
    git_tracked: bool = False
    once_per_file: bool = False
    prefixes: tuple[str, ...] = ()
    decode: tuple[str, ...] = ()
    allowlists: tuple[Allowlist, ...] = ()
    names: NameWords | None = None
    example: str = ""
    references: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()
    negative_examples: tuple[Example, ...] = ()

    @property
    def is_secret(self) -> bool:
        return self.kind == "secret"

    @property
    def test_id(self) -> str | None:
        """``<id>.test`` when the rule's test keys have a severity of their own, else None."""
        if self.test_severity is not None and self.test_severity != self.severity:
            return self.id + TEST_SUFFIX
        return None


def known_ids(rules: Iterable[Rule]) -> set[str]:
    """Every id a user may name: the rules' ids and their test-key ids."""
    out: set[str] = set()
    for r in rules:
        out.add(r.id)
        if r.test_id:
            out.add(r.test_id)
    return out


@dataclass(frozen=True)
class _Pack:
    """What a pack's rules share: its ``[pack]`` table and ``[patterns]``."""

    where: str
    provider: str
    patterns: Mapping[str, str]
    remediation: Remediation | None
    prefixes: tuple[str, ...]
    decode: tuple[str, ...]
    allowlists: tuple[Allowlist, ...]
    names: NameWords | None
    eager: bool


def _fail(where: str, rule_id: str | None, msg: str) -> RuleError:
    return RuleError(f"{where}: {rule_id}: {msg}" if rule_id else f"{where}: {msg}")


def _strings(value: Any, where: str, rid: str | None, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, rid, f"'{key}' must be a string or a list of strings")
    return tuple(value)


def _flag(raw: Mapping[str, Any], key: str, where: str, rid: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _fail(where, rid, f"'{key}' must be true or false")
    return value


def _table(value: Any, where: str, rid: str | None, key: str, allowed: set[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(where, rid, f"'{key}' must be a table")
    if set(value) - allowed:
        raise _fail(where, rid, f"unknown {key} key(s): {', '.join(sorted(set(value) - allowed))}")
    return value


def _examples(value: Any, where: str, rid: str, key: str) -> tuple[Example, ...]:
    if value is None:
        return ()  # a missing list is reported as required, below
    if not isinstance(value, list):
        raise _fail(where, rid, f"'{key}' must be a list")
    out = []
    for i, item in enumerate(value, 1):
        if isinstance(item, str):
            out.append(Example(item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append(Example(item["text"], str(item.get("path", "example.txt"))))
        else:
            raise _fail(where, rid, f"'{key}' entry {i} must be a string or {{text, path}}")
    return tuple(out)


def _expand(src: str, where: str, rid: str | None, key: str, patterns: Mapping[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in patterns:
            raise _fail(where, rid, f"{key} uses unknown pattern {{{{{m.group(1)}}}}}")
        return patterns[m.group(1)]

    for _ in range(5):  # patterns may use patterns, a few levels deep
        src = _TEMPLATE.sub(sub, src)
    return src


def _patterns(
    value: Any, where: str, rid: str | None, key: str, pack: _Pack
) -> tuple[Pattern, ...]:
    """A list of case-insensitive regexes, ``{{pattern}}``s expanded."""
    sources = (_expand(p, where, rid, key, pack.patterns) for p in _strings(value, where, rid, key))
    try:
        return _ci(sources, pack.eager)
    except regex.error as exc:
        raise _fail(where, rid, f"a {key} regex does not compile: {exc}") from None


def _remediation(value: Any, where: str, rid: str | None) -> Remediation | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        raise _fail(where, rid, "'remediation' must be a table with at least 'url' and 'action'")
    unknown = set(value) - _REMEDIATION_KEYS
    if unknown:
        raise _fail(where, rid, f"unknown remediation key(s): {', '.join(sorted(unknown))}")
    if not isinstance(value.get("action"), str) or not value["action"].strip():
        raise _fail(where, rid, "'remediation.action' must be a non-empty string")
    return Remediation(
        url=value["url"],
        action=value["action"],
        steps=_strings(value.get("steps"), where, rid, "remediation.steps"),
        urls=_strings(value.get("urls"), where, rid, "remediation.urls"),
    )


def _allowlists(value: Any, where: str, rid: str | None, pack: _Pack) -> tuple[Allowlist, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(where, rid, "'allowlists' must be an array of tables ([[...allowlists]])")
    out = []
    for i, raw in enumerate(value, 1):
        key = f"allowlists[{i}]"
        table = _table(raw, where, rid, key, _ALLOWLIST_KEYS)
        description = table.get("description")
        if not isinstance(description, str) or not description.strip():
            raise _fail(where, rid, f"{key} needs a 'description' (it is the reason shown)")
        condition = table.get("condition", "or")
        if condition not in ("or", "and"):
            raise _fail(where, rid, f"{key}.condition must be 'or' or 'and'")
        stopwords = _strings(table.get("stopwords"), where, rid, f"{key}.stopwords")
        if not all(_WORD_CHARS.match(fold(w)) for w in stopwords):
            raise _fail(where, rid, f"{key}.stopwords must be words (letters only)")
        entry = Allowlist(
            description=description.strip(),
            require_all=condition == "and",
            paths=_strings(table.get("paths"), where, rid, f"{key}.paths"),
            # compared without Base64 padding, which documentation pages write either way
            values=frozenset(
                v.rstrip("=") for v in _strings(table.get("values"), where, rid, f"{key}.values")
            ),
            regexes=_patterns(table.get("regexes"), where, rid, f"{key}.regexes", pack),
            stopwords=frozenset(fold(w) for w in stopwords),
            nearby=_patterns(table.get("nearby"), where, rid, f"{key}.nearby", pack),
        )
        if not (entry.paths or entry.values or entry.regexes or entry.stopwords or entry.nearby):
            raise _fail(where, rid, f"{key} has no criterion (paths, values, regexes, ...)")
        out.append(entry)
    return tuple(out)


def _names(value: Any, where: str, rid: str | None) -> NameWords | None:
    if value is None:
        return None
    table = _table(value, where, rid, "names", _NAMES_KEYS)
    own = tuple(fold(w) for w in _strings(table.get("own"), where, rid, "names.own"))
    generic = tuple(fold(w) for w in _strings(table.get("generic"), where, rid, "names.generic"))
    if not own or not generic:
        raise _fail(where, rid, "'names' needs both 'own' and 'generic' word lists")
    if not all(_WORD_CHARS.match(w) for w in (*own, *generic)):
        raise _fail(where, rid, "'names' words must be letters only (names are split into words)")
    return NameWords(own=own, generic=frozenset(generic))


# -- one rule ----------------------------------------------------------------------------------


def _rule_id(raw: Mapping[str, Any], where: str) -> str:
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise _fail(where, None, f"a rule has no 'id' (name: {raw.get('name', '?')!r})")
    if not _ID.match(rid):
        raise _fail(where, rid, "id must be kebab-case (lowercase words joined by '-')")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise _fail(where, rid, f"unknown key(s): {', '.join(sorted(unknown))}")
    for key in ("name", "regex", "what", "why", "fix"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(where, rid, f"'{key}' is required and must be a non-empty string")
    return rid


def _levels(raw: Mapping[str, Any], where: str, rid: str) -> dict[str, Any]:
    """kind, severity, test_severity and confidence, each one of its allowed words."""
    kind = raw.get("kind", "secret")
    if kind not in KINDS:
        raise _fail(where, rid, f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise _fail(where, rid, f"severity must be one of {', '.join(SEVERITIES)}")
    test_severity = raw.get("test_severity")
    if test_severity is not None and test_severity not in SEVERITIES:
        raise _fail(where, rid, f"test_severity must be one of {', '.join(SEVERITIES)}")
    confidence = raw.get("confidence", "high")
    if confidence not in CONFIDENCES:
        raise _fail(where, rid, f"confidence must be one of {', '.join(CONFIDENCES)}")
    return {
        "kind": kind,
        "severity": severity,
        "test_severity": test_severity,
        "confidence": confidence,
    }


def _keywords(value: Any, where: str, rid: str, key: str) -> tuple[str, ...]:
    words = tuple(fold(k) for k in _strings(value, where, rid, key))
    for w in words:
        if spelling_count(w) > MAX_SPELLINGS:
            raise _fail(where, rid, f"{key} entry {w!r} has too many non-ASCII letters (at most 6)")
    return words


def _where_it_runs(raw: Mapping[str, Any], where: str, rid: str) -> dict[str, Any]:
    """keywords (the prefilter), anchors and region (where the regex runs), paths, and where a
    finding stands (``git_tracked``, ``once_per_file``)."""
    keywords = _keywords(raw.get("keywords"), where, rid, "keywords")
    if not keywords:
        raise _fail(where, rid, "'keywords' is required: the prefilter needs at least one")
    anchors = _keywords(raw.get("anchors"), where, rid, "anchors")
    region = raw.get("region", list(REGION))
    if not (
        isinstance(region, list)
        and len(region) == 2
        and all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 100_000 for n in region
        )
    ):
        raise _fail(where, rid, "'region' must be [before, after]: two whole numbers of characters")
    return {
        "keywords": keywords,
        "anchors": anchors or keywords,
        "region": (region[0], region[1]),
        "paths": _strings(raw.get("paths"), where, rid, "paths"),
        "client_side_only": bool(raw.get("client_side_only", False)),
        "git_tracked": _flag(raw, "git_tracked", where, rid),
        "once_per_file": _flag(raw, "once_per_file", where, rid),
    }


def _pattern(raw: Mapping[str, Any], where: str, rid: str, pack: _Pack) -> Pattern:
    try:
        pattern = Pattern(
            _expand(raw["regex"], where, rid, "regex", pack.patterns),
            regex.VERSION0,
            not pack.eager,
        )
        compiled = pattern.compile() if pack.eager else None
    except regex.error as exc:
        raise _fail(where, rid, f"regex does not compile: {exc}") from None
    if compiled is not None and "secret" not in compiled.groupindex and compiled.groups != 1:
        raise _fail(
            where,
            rid,
            f"regex has {compiled.groups} capture groups; expected one, or one named 'secret'",
        )
    return pattern


def _conditions(raw: Mapping[str, Any], where: str, rid: str, pack: _Pack) -> dict[str, Any]:
    """context, test and captures: the regexes around a candidate that keep, drop or grade it."""
    context = _table(raw.get("context"), where, rid, "context", _CONTEXT_KEYS)
    test = _table(raw.get("test"), where, rid, "test", _TEST_KEYS)
    captures_raw = raw.get("captures", {})
    if not isinstance(captures_raw, dict):
        raise _fail(where, rid, "'captures' must be a table of name = regex")
    window = context.get("window", 12)
    if not isinstance(window, int) or window < 0:
        raise _fail(where, rid, "context.window must be a whole number of lines")
    entropy = raw.get("entropy")
    if entropy is not None and not isinstance(entropy, int | float):
        raise _fail(where, rid, "'entropy' must be a number")
    return {
        "context_any": _patterns(context.get("any"), where, rid, "context.any", pack),
        "context_all": _patterns(context.get("all"), where, rid, "context.all", pack),
        "context_none": _patterns(context.get("none"), where, rid, "context.none", pack),
        "name_none": _patterns(context.get("name_none"), where, rid, "context.name_none", pack),
        "window": window,
        "test_secret": _patterns(test.get("secret"), where, rid, "test.secret", pack),
        "test_name": _patterns(test.get("name"), where, rid, "test.name", pack),
        "test_nearby": _patterns(test.get("nearby"), where, rid, "test.nearby", pack),
        "test_unless_nearby": _patterns(
            test.get("unless_nearby"), where, rid, "test.unless_nearby", pack
        ),
        "captures": tuple(
            (name, _patterns(str(p), where, rid, f"captures.{name}", pack)[0])
            for name, p in captures_raw.items()
        ),
        "entropy": float(entropy) if entropy is not None else None,
    }


def _documentation(raw: Mapping[str, Any], where: str, rid: str) -> dict[str, Any]:
    """what, why, fix, example, references and the examples the rule must (not) find."""
    examples = _examples(raw.get("examples"), where, rid, "examples")
    negatives = _examples(raw.get("negative_examples"), where, rid, "negative_examples")
    if not examples:
        raise _fail(where, rid, "'examples' is required: at least one text the rule must find")
    if not negatives:
        raise _fail(where, rid, "'negative_examples' is required: at least one it must not find")
    return {
        "name": raw["name"],
        "what": raw["what"].strip(),
        "why": raw["why"].strip(),
        "fix": raw["fix"].strip(),
        "example": str(raw.get("example", "")).strip(),
        "references": _strings(raw.get("references"), where, rid, "references"),
        "examples": examples,
        "negative_examples": negatives,
    }


def build_rule(raw: Mapping[str, Any], pack: _Pack) -> Rule:
    """One rule from its TOML table and what its pack gives every rule."""
    where = pack.where
    rid = _rule_id(raw, where)
    remediation = _remediation(raw.get("remediation"), where, rid) or pack.remediation
    if remediation is None:
        raise _fail(where, rid, "'remediation' is required (here or in the pack's [pack] table)")
    prefixes = _strings(raw.get("prefixes"), where, rid, "prefixes") or pack.prefixes
    levels, runs = _levels(raw, where, rid), _where_it_runs(raw, where, rid)
    # what, Base64-encoded, sends a text to the decoder: the value's prefixes, else the keywords
    decode = _keywords(raw.get("decode"), where, rid, "decode") or pack.decode
    return Rule(
        id=rid,
        provider=pack.provider,
        pattern=_pattern(raw, where, rid, pack),
        remediation=remediation,
        source=where,
        prefixes=tuple(sorted(prefixes, key=len, reverse=True)),
        decode=decode or tuple(p.lower() for p in prefixes) or runs["keywords"],
        allowlists=pack.allowlists + _allowlists(raw.get("allowlists"), where, rid, pack),
        names=_names(raw.get("names"), where, rid) or pack.names,
        **levels,
        **runs,
        **_conditions(raw, where, rid, pack),
        **_documentation(raw, where, rid),
    )


# -- packs -------------------------------------------------------------------------------------


def _read(path: Path, cache: bool = False) -> dict[str, Any]:
    """A pack's tables; ``cache``: a built-in pack, parsed once per content (``scanner.cache``)."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = cache_mod.parsed_toml(text) if cache else _toml(text)
    except OSError as exc:
        raise RuleError(f"{where}: cannot read rule pack: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:  # (tomllib.TOMLDecodeError is one)
        raise RuleError(f"{where}: not valid TOML: {exc}") from None
    unknown = set(data) - {"pack", "patterns", "rules"}
    if unknown:
        raise RuleError(f"{where}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    return data


def _toml(text: str) -> dict[str, Any]:
    import tomllib  # (not at start-up: a built-in pack comes from the cache, scanner.cache)

    return tomllib.loads(text)


def _pack(data: Mapping[str, Any], where: str, eager: bool) -> _Pack:
    table = data.get("pack", {})
    patterns = data.get("patterns", {})
    if not isinstance(table, dict) or not isinstance(patterns, dict):
        raise RuleError(f"{where}: [pack] and [patterns] must be tables")
    if not all(isinstance(v, str) for v in patterns.values()):
        raise RuleError(f"{where}: every [patterns] entry must be a string")
    unknown = set(table) - _PACK_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown [pack] key(s): {', '.join(sorted(unknown))}")
    pack = _Pack(
        where=where,
        provider=str(table.get("provider", "")),
        patterns=patterns,
        remediation=_remediation(table.get("remediation"), where, None),
        prefixes=_strings(table.get("prefixes"), where, None, "pack.prefixes"),
        decode=tuple(fold(w) for w in _strings(table.get("decode"), where, None, "pack.decode")),
        allowlists=(),
        names=_names(table.get("names"), where, None),
        eager=eager,
    )
    return replace(pack, allowlists=_allowlists(table.get("allowlists"), where, None, pack))


def load_pack(path: Path, *, eager: bool = True, builtin: bool = False) -> list[Rule]:
    """One pack; ``eager``: compile every regex now (a user's pack; see ``Pattern``);
    ``builtin``: one of lekk's own, whose parsed tables may come from the cache."""
    where = str(path)
    data = _read(path, cache=builtin)
    pack = _pack(data, where, eager)
    rules_raw = data.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise RuleError(f"{where}: no [[rules]] in the pack")
    rules = [build_rule(r, pack) for r in rules_raw]
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RuleError(f"{where}: {r.id}: duplicate rule id")
        seen.add(r.id)
    return rules


def builtin_dir() -> Path:
    """The built-in packs: ``scanner/_rules`` in a wheel, the top-level ``rules/`` in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


BUILTIN_PACKS = ("vipps.toml", "sagapay.toml", "lint.toml")


def builtin_pack_paths() -> list[Path]:
    base = builtin_dir()
    return [base / name for name in BUILTIN_PACKS if (base / name).exists()]


@dataclass(frozen=True)
class Loaded:
    """The rules of the built-in packs and a user's, and every problem found loading them."""

    rules: tuple[Rule, ...]
    problems: tuple[str, ...]
    packs: Mapping[str, tuple[Rule, ...]]  # path -> the rules loaded from it


def load_packs(extra: Sequence[Path] = (), *, compile_builtins: bool = False) -> Loaded:
    """The one validation: the built-in packs, then the user's; each pack must load and rule ids
    must be unique across all of them.  A pack that fails contributes no rules.  A user's pack
    is compiled as it loads; the built-ins only with ``compile_builtins`` (``rules check``)."""
    builtin = builtin_pack_paths()
    rules: list[Rule] = []
    problems: list[str] = []
    packs: dict[str, tuple[Rule, ...]] = {}
    seen: dict[str, str] = {}
    for path in [*builtin, *(p for p in extra if p not in builtin)]:
        try:
            own = path in builtin
            pack = load_pack(path, eager=compile_builtins or not own, builtin=own)
        except RuleError as exc:
            problems.append(str(exc))
            continue
        clashes = [r for r in pack if r.id in seen]
        for r in clashes:
            problems.append(f"{path}: {r.id}: rule id already defined in {seen[r.id]}")
        if clashes:
            continue
        for r in pack:
            seen[r.id] = str(path)
        packs[str(path)] = tuple(pack)
        rules.extend(pack)
    return Loaded(tuple(rules), tuple(problems), packs)


def load_rules(extra: Sequence[Path] = (), disabled: Iterable[str] = ()) -> list[Rule]:
    """Built-in packs, then the user's; the first problem ``load_packs`` finds is an error."""
    loaded = load_packs(extra)
    if loaded.problems:
        raise RuleError(loaded.problems[0])
    off = set(disabled)
    return [r for r in loaded.rules if r.id not in off]
