"""Rule packs: load TOML, validate, compile.

A pack is a TOML file with an optional ``[pack]`` table (provider name, shared remediation),
an optional ``[patterns]`` table of named regex pieces that rules reuse as ``{{name}}``, and a
``[[rules]]`` array.  Every problem is reported as ``file: rule-id: what is wrong``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

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
    "what",
    "why",
    "fix",
    "example",
    "remediation",
    "references",
    "examples",
    "negative_examples",
    "added_in",
    "git_tracked",
    "once_per_file",
}
# Characters of text around each anchor that a rule's regex runs on: before it (a long variable
# name holding the anchor) and after it (separator, quoting and the value; a postman pair).
REGION = (160, 480)
_CONTEXT_KEYS = {"any", "none", "name_none", "window"}
_TEST_KEYS = {"secret", "name", "nearby", "unless_nearby"}
_REMEDIATION_KEYS = {"url", "action", "steps", "urls"}


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

    __slots__ = ("_compiled", "flags", "source")

    def __init__(self, source: str, flags: int) -> None:
        self.source = source
        self.flags = flags
        self._compiled: regex.Pattern[str] | None = None

    def compile(self) -> regex.Pattern[str]:
        if self._compiled is None:
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
    out = tuple(Pattern(p, regex.IGNORECASE | regex.VERSION0) for p in patterns)
    if eager:
        for p in out:
            p.compile()
    return out


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
    example: str = ""
    references: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()
    negative_examples: tuple[Example, ...] = ()
    added_in: str = "0.1.0"
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

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


def _fail(where: str, rule_id: str | None, msg: str) -> RuleError:
    return RuleError(f"{where}: {rule_id}: {msg}" if rule_id else f"{where}: {msg}")


def _strings(value: Any, where: str, rid: str, key: str) -> tuple[str, ...]:
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


def _compile(src: str, where: str, rid: str, key: str, patterns: Mapping[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in patterns:
            raise _fail(where, rid, f"{key} uses unknown pattern {{{{{m.group(1)}}}}}")
        return patterns[m.group(1)]

    for _ in range(5):  # patterns may use patterns, a few levels deep
        src = _TEMPLATE.sub(sub, src)
    return src


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
        steps=_strings(value.get("steps"), where, rid or "", "remediation.steps"),
        urls=_strings(value.get("urls"), where, rid or "", "remediation.urls"),
    )


def build_rule(
    raw: Mapping[str, Any],
    *,
    where: str,
    provider: str,
    patterns: Mapping[str, str],
    default_remediation: Remediation | None,
    eager: bool = True,
) -> Rule:
    """One rule from its TOML table; ``eager``: compile (and so check) its regexes now."""
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
    keywords = tuple(k.lower() for k in _strings(raw.get("keywords"), where, rid, "keywords"))
    if not keywords:
        raise _fail(where, rid, "'keywords' is required: the prefilter needs at least one")
    anchors = tuple(k.lower() for k in _strings(raw.get("anchors"), where, rid, "anchors"))
    region = raw.get("region", list(REGION))
    if not (
        isinstance(region, list)
        and len(region) == 2
        and all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 100_000 for n in region
        )
    ):
        raise _fail(where, rid, "'region' must be [before, after]: two whole numbers of characters")
    try:
        pattern = Pattern(_compile(raw["regex"], where, rid, "regex", patterns), regex.VERSION0)
        compiled = pattern.compile() if eager else None
    except regex.error as exc:
        raise _fail(where, rid, f"regex does not compile: {exc}") from None
    if compiled is not None and "secret" not in compiled.groupindex and compiled.groups != 1:
        raise _fail(
            where,
            rid,
            f"regex has {compiled.groups} capture groups; expected one, or one named 'secret'",
        )
    context = raw.get("context", {})
    test = raw.get("test", {})
    for key, table, allowed in (("context", context, _CONTEXT_KEYS), ("test", test, _TEST_KEYS)):
        if not isinstance(table, dict):
            raise _fail(where, rid, f"'{key}' must be a table")
        if set(table) - allowed:
            bad = ", ".join(sorted(set(table) - allowed))
            raise _fail(where, rid, f"unknown {key} key(s): {bad}")
    captures_raw = raw.get("captures", {})
    if not isinstance(captures_raw, dict):
        raise _fail(where, rid, "'captures' must be a table of name = regex")
    try:
        ctx = {
            k: _ci(
                (
                    _compile(p, where, rid, f"context.{k}", patterns)
                    for p in _strings(context.get(k), where, rid, f"context.{k}")
                ),
                eager,
            )
            for k in ("any", "none", "name_none")
        }
        tst = {
            k: _ci(
                (
                    _compile(p, where, rid, f"test.{k}", patterns)
                    for p in _strings(test.get(k), where, rid, f"test.{k}")
                ),
                eager,
            )
            for k in _TEST_KEYS
        }
        captures = tuple(
            (name, _ci([_compile(str(p), where, rid, f"captures.{name}", patterns)], eager)[0])
            for name, p in captures_raw.items()
        )
    except regex.error as exc:
        raise _fail(
            where, rid, f"a context, test or captures regex does not compile: {exc}"
        ) from None
    window = context.get("window", 12)
    if not isinstance(window, int) or window < 0:
        raise _fail(where, rid, "context.window must be a whole number of lines")
    entropy = raw.get("entropy")
    if entropy is not None and not isinstance(entropy, int | float):
        raise _fail(where, rid, "'entropy' must be a number")
    remediation = _remediation(raw.get("remediation"), where, rid) or default_remediation
    if remediation is None:
        raise _fail(where, rid, "'remediation' is required (here or in the pack's [pack] table)")
    examples = _examples(raw.get("examples"), where, rid, "examples")
    negatives = _examples(raw.get("negative_examples"), where, rid, "negative_examples")
    if not examples:
        raise _fail(where, rid, "'examples' is required: at least one text the rule must find")
    if not negatives:
        raise _fail(where, rid, "'negative_examples' is required: at least one it must not find")
    return Rule(
        id=rid,
        name=raw["name"],
        provider=provider,
        kind=kind,
        severity=severity,
        test_severity=test_severity,
        confidence=confidence,
        keywords=keywords,
        anchors=anchors or keywords,
        pattern=pattern,
        region=(region[0], region[1]),
        what=raw["what"].strip(),
        why=raw["why"].strip(),
        fix=raw["fix"].strip(),
        remediation=remediation,
        source=where,
        entropy=float(entropy) if entropy is not None else None,
        context_any=ctx["any"],
        context_none=ctx["none"],
        name_none=ctx["name_none"],
        window=window,
        test_secret=tst["secret"],
        test_name=tst["name"],
        test_nearby=tst["nearby"],
        test_unless_nearby=tst["unless_nearby"],
        captures=captures,
        paths=_strings(raw.get("paths"), where, rid, "paths"),
        client_side_only=bool(raw.get("client_side_only", False)),
        example=str(raw.get("example", "")).strip(),
        references=_strings(raw.get("references"), where, rid, "references"),
        examples=examples,
        negative_examples=negatives,
        added_in=str(raw.get("added_in", "0.1.0")),
        git_tracked=_flag(raw, "git_tracked", where, rid),
        once_per_file=_flag(raw, "once_per_file", where, rid),
        raw=dict(raw),
    )


def load_pack(path: Path, *, eager: bool = True) -> list[Rule]:
    """One pack; ``eager``: compile every regex now (a user's pack; see ``Pattern``)."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleError(f"{where}: cannot read rule pack: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleError(f"{where}: not valid TOML: {exc}") from None
    unknown = set(data) - {"pack", "patterns", "rules"}
    if unknown:
        raise RuleError(f"{where}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    pack = data.get("pack", {})
    patterns = data.get("patterns", {})
    if not isinstance(pack, dict) or not isinstance(patterns, dict):
        raise RuleError(f"{where}: [pack] and [patterns] must be tables")
    if not all(isinstance(v, str) for v in patterns.values()):
        raise RuleError(f"{where}: every [patterns] entry must be a string")
    rules_raw = data.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise RuleError(f"{where}: no [[rules]] in the pack")
    provider = str(pack.get("provider", ""))
    default_rem = _remediation(pack.get("remediation"), where, None)
    rules = [
        build_rule(
            r,
            where=where,
            provider=provider,
            patterns=patterns,
            default_remediation=default_rem,
            eager=eager,
        )
        for r in rules_raw
    ]
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


def load_rules(extra: Sequence[Path] = (), disabled: Iterable[str] = ()) -> list[Rule]:
    """Built-in packs, then the user's; rule ids must be unique across all of them."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    builtin = builtin_pack_paths()
    for path in [*builtin, *extra]:
        for rule in load_pack(path, eager=path not in builtin):
            if rule.id in seen:
                raise RuleError(f"{path}: {rule.id}: rule id already defined in {seen[rule.id]}")
            seen[rule.id] = str(path)
            rules.append(rule)
    off = set(disabled)
    return [r for r in rules if r.id not in off]
