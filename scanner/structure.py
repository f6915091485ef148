"""Names and values that a structure puts apart, found in a fragment's text.

Real configuration often puts a credential's name and its value on different lines: a Postman or
Insomnia export (``"key": "client_secret",`` then ``"value": "…"``), a header object
``{ name: 'Ocp-Apim-Subscription-Key', value: '…' }``, a value a formatter wrapped onto the next
line (``"client_secret": (`` / ``"…"``), a property list (``<key>``/``<string>``), .NET settings
(``<setting name>``/``<value>``), a Terraform variable's ``default`` or a resource's
``name``/``value``.  And a generic name inside a named block (``vipps:`` / ``  key: …``,
``Database: { Password: … }``) is read with the block's name.

``pairs`` finds each such name and value and says where they are; the engine presents each pair
to the rules as one logical line, ``name": "value``, and maps what they find back to the value.
JSON is parsed with the standard library (any member order, any distance, exact positions);
everything else, and JSON that does not parse (a chunk of a large file, comments), is read with
the patterns below, only around the rules' anchors.  Nothing here knows a provider: which pairs
are wanted is decided by the anchors the engine passes in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_JSON = 4 << 20  # characters; larger texts are read by the patterns
WINDOW = (300, 700)  # characters around an anchor that the patterns look at
MAX_BLOCK_LINES = 200  # lines walked back to find the block a line is in
MAX_SCOPE = 6000  # characters of a JSON structure kept as its scope
NAME_MAX = 40  # characters of a block's name kept in front of a member's name


@dataclass(frozen=True)
class Pair:
    """A name and its value, apart in the text.  ``name`` is what the rules see (the key, or
    ``block.key`` inside a named block); ``at`` is where the name starts, ``value`` the value's
    span, ``scope`` the span of the structure it belongs to (searched for context too)."""

    name: str
    at: int
    value: tuple[int, int]
    scope: tuple[int, int] | None = None


def pairs(text: str, low: str, path: str, anchors: Sequence[str]) -> list[Pair]:
    """The pairs whose name holds one of the anchors, in text order, none overlapping."""
    found = _json_pairs(text, anchors)
    if found is None:
        found = _pattern_pairs(text, low, path, anchors)
    out: list[Pair] = []
    for p in sorted(found, key=lambda p: (p.at, p.value)):
        if out and p.at < out[-1].value[1]:
            continue
        if p.at <= p.value[0]:
            out.append(p)
    return out


def _wanted(name: str, anchors: Sequence[str]) -> bool:
    low = name.lower()
    return any(a in low for a in anchors)


def _qualified(block: str | None, name: str) -> str:
    """``block.name``, each part reduced to the characters a name is made of."""
    leaf = re.sub(r"[^\w.-]", "_", name)
    if not block:
        return leaf
    return re.sub(r"[^\w-]", "_", block)[-NAME_MAX:].lstrip("_-") + "." + leaf


# -- JSON -------------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NAME_KEYS = frozenset({"key", "name", "parameterkey", "variable"})
_VALUE_KEYS = frozenset(
    {"value", "parametervalue", "current_value", "currentvalue", "initial_value", "default"}
)


class _Obj(list):  # type: ignore[type-arg]
    """A JSON object as its members in order (duplicate keys kept, positions countable)."""


def _json_pairs(text: str, anchors: Sequence[str]) -> list[Pair] | None:
    """Pairs from a text that is one JSON document, or None when it is not one."""
    body = text.strip()
    if len(text) > MAX_JSON or not body or body[0] not in "{[" or body[-1] not in "}]":
        return None
    try:
        doc = json.loads(text, object_pairs_hook=_Obj)
    except (ValueError, RecursionError):
        return None
    # outside its strings JSON has no '"': the n-th string token is the n-th string parsed
    spans = [(m.start() + 1, m.end() - 1) for m in _STRING.finditer(text)]
    walker = _JsonWalk(text, spans, anchors)
    try:
        walker.node(doc, None, None)
    except RecursionError:
        return None
    return walker.out


class _JsonWalk:
    """Walks a parsed document in text order, counting strings to know where each one is.

    A member's scope is the object it is in; a key/value object's scope is the object around
    it (the request whose headers it is in, the environment whose values it is in)."""

    def __init__(self, text: str, spans: list[tuple[int, int]], anchors: Sequence[str]) -> None:
        self.text = text
        self.spans = spans
        self.anchors = anchors
        self.i = 0  # index of the next string token
        self.out: list[Pair] = []

    def node(self, node: object, key: str | None, around: list[int] | None) -> None:
        if isinstance(node, _Obj):
            self.obj(node, key, around)
        elif isinstance(node, list):
            for item in node:
                self.node(item, key, around)
        elif isinstance(node, str):
            self.i += 1

    def obj(self, members: _Obj, key: str | None, around: list[int] | None) -> None:
        first = self.i
        scoped: list[int] = []  # pairs whose scope is this object
        strings: list[tuple[str, tuple[int, int], str, tuple[int, int]]] = []
        for k, v in members:
            key_span = self.spans[self.i]
            self.i += 1
            if isinstance(v, str):
                strings.append((k, key_span, v, self.spans[self.i]))
                self.i += 1
            else:
                self.node(v, k, scoped)
        names = [s for s in strings if s[0].lower() in _NAME_KEYS]
        values = [s for s in strings if s[0].lower() in _VALUE_KEYS]
        if names and values:  # a key/value object: {"key": "client_secret", "value": "…"}
            (_, _, name, name_span), (_, value_key, _, value_span) = names[0], values[0]
            if _wanted(name, self.anchors):
                # "value" before "key": the name is shown where "value" is
                at = name_span[0] if name_span[0] < value_span[0] else value_key[0]
                (around if around is not None else scoped).append(len(self.out))
                self.out.append(Pair(_qualified(None, name), at, value_span))
            strings = [s for s in strings if s is not names[0] and s is not values[0]]
        for k, key_span, _, value_span in strings:
            apart = "\n" in self.text[key_span[1] : value_span[0]]
            if _wanted(k, self.anchors) and (key is not None or apart):
                scoped.append(len(self.out))
                self.out.append(Pair(_qualified(key, k), key_span[0], value_span))
        if first < self.i and scoped:
            lo, hi = self.spans[first][0], self.spans[self.i - 1][1]
            for n in scoped:
                p = self.out[n]
                self.out[n] = Pair(p.name, p.at, p.value, (lo, min(hi, lo + MAX_SCOPE)))


# -- patterns ---------------------------------------------------------------------------------

_QUOTED_OR_BARE = r"""(?:(?P<vq>["'`])(?P<value>[^"'`\n]{0,400})(?P=vq)
                        |(?P<bare>[A-Za-z0-9+/=_~.-]{1,400})(?=[ \t]*(?:$|[,;)\]}#\n]|//)))"""
# Which patterns find a member of a block, read with the block's name (the wrapped value); the
# others find entries of a flat namespace (a Postman environment, a property list, settings).
_PATTERNS = [
    # a key/value object: {"key": "client_secret", ... "value": "…"}, { name: 'X', value: '…' },
    # name = "x" ... value = "…" (Terraform); other members may sit between
    re.compile(
        r"""(?<![\w-])["']?(?:key|name|Key|Name)["']?[ \t]*[:=][ \t]*
            (?P<nq>["'`]?)(?P<name>[A-Za-z_$/][\w.:/$-]{0,99})(?P=nq)
            [^{}]{0,300}?
            (?<![\w-])["']?(?:value|Value)["']?[ \t]*[:=][ \t]*"""
        + _QUOTED_OR_BARE,
        re.X,
    ),
    # a value a formatter wrapped onto the next line: "client_secret": (\n "…", 'api_key' =>\n '…'
    re.compile(
        r"""(?<![\w.$-])(?P<nq>["'`]?)(?P<name>[A-Za-z_$][\w.:$-]{0,99})(?P=nq)
            [ \t]*(?::|=>|:=|=)[ \t]*(?:[(\[][ \t]*)?(?:[>|][-+]?[ \t]*)?(?:(?:\#|//)[^\n]*)?\r?\n
            (?:[ \t]*[(\[][ \t]*\r?\n)?[ \t]*(?:[(\[][ \t]*)?"""
        + _QUOTED_OR_BARE,
        re.X,
    ),
    # a call's or an array's next argument: Header.Set(\n "X",\n "…"), define(\n 'X',\n '…')
    re.compile(
        r"""(?P<nq>["'`])(?P<name>[A-Za-z_$][\w.:$-]{0,99})(?P=nq)[ \t]*,[ \t]*\r?\n[ \t]*
            (?P<vq>["'`])(?P<value>[^"'`\n]{0,400})(?P=vq)""",
        re.X,
    ),
    # an Apple property list: <key>X</key> <string>…</string>
    re.compile(
        r"<key>\s*(?P<name>[^<\s]{1,100})\s*</key>\s*(?:<!--.*?-->\s*)*"
        r"<string>(?P<value>[^<]{0,400})</string>",
        re.S,
    ),
    # .NET settings: <setting name="X" serializeAs="String"> <value>…</value>; <add key= value=>
    re.compile(
        r"""<setting\s+name=["'](?P<name>[^"'<>]{1,100})["'][^>]*>\s*<value>(?P<value>[^<]{0,400})</value>""",
    ),
    re.compile(
        r"""<add\s+key=["'](?P<name>[^"'<>]{1,100})["']\s+value=["'](?P<value>[^"'<>]{0,400})["']"""
    ),
    # a Terraform/HCL variable: variable "x" { ... default = "…" }
    re.compile(
        r"""\bvariable\s+"(?P<name>[^"\n]{1,100})"\s*\{[^{}]{0,400}?\bdefault\s*=\s*"(?P<value>[^"\n]{0,400})\"""",
    ),
]
_IN_BLOCK = 1  # the wrapped value
# A one-line member, read with the name of the block it is in (`vipps:` / `  key: …`).
_MEMBER = re.compile(
    r"""[ \t]*(?:-[ \t]+)?(?P<nq>["'`]?)(?P<name>[A-Za-z_$][\w.$-]{0,99})(?P=nq)[ \t]*
        (?::|=>|:=|=)[ \t]*"""
    + _QUOTED_OR_BARE,
    re.X,
)
# The line that opens a named block: `vipps: {`, `'vipps' => [`, `VIPPS = dict(`, `"Vipps": {`,
# `[vipps]`, `variable "vipps" {`, `<Vipps>`; and in YAML and the like, `vipps:` alone.
_OPENER = re.compile(
    r"""(?:(?:export|const|let|var|val|public|private|protected|static|readonly|final|my|our)\s+)*
        ["'$:]?(?P<name>[\w.$-]+)["']?\s*(?::|=|=>|:=)\s*
        (?:new\s+[\w.]+(?:<[^>]*>)?\s*|array\s*|dict\s*|[\w.]+\s*)?[\[{(]\s*(?:(?://|\#).*)?$
      | \[\s*(?P<section>[A-Za-z][\w .:-]*)\]\s*$
      | [\w-]+(?P<labels>(?:\s+"[^"\n]+")+)\s*\{\s*$
      | (?P<plainblock>[A-Za-z_][\w-]*)\s*\{\s*$
      | <(?P<element>[A-Za-z][\w.:-]*)(?:\s[^<>]*)?>\s*$""",
    re.X,
)
_YAML_OPENER = re.compile(
    r"""(?:-\s+)?["']?(?P<name>[\w.$-]+)["']?\s*:\s*(?:[&!][\w-]+\s*)?(?:[|>][-+]?)?\s*(?:\#.*)?$"""
)
_CODE_WITH_COLON_BLOCKS = (".py", ".pyw", ".pyi")  # `else:` and `try:` are not names


def _pattern_pairs(text: str, low: str, path: str, anchors: Sequence[str]) -> list[Pair]:
    windows = _windows(text, low, anchors)
    if not windows:
        return []
    yaml_blocks = not path.lower().endswith(_CODE_WITH_COLON_BLOCKS)
    blocks = _Blocks(text, yaml_blocks)
    out: list[Pair] = []
    for n, pattern in enumerate(_PATTERNS):
        for lo, hi in windows:
            for m in pattern.finditer(text, lo, hi):
                name = m.group("name")
                span = _value_span(m)
                if span is None or not _wanted(name, anchors):
                    continue
                block = blocks.name_at(m.start("name")) if n == _IN_BLOCK else None
                out.append(Pair(_qualified(block, name), m.start("name"), span))
    out.extend(_members(text, low, windows, anchors, blocks))
    return out


def _value_span(m: re.Match[str]) -> tuple[int, int] | None:
    for group in ("value", "bare"):
        if group in m.re.groupindex and m.start(group) >= 0:
            return m.span(group)
    return None


def _windows(text: str, low: str, anchors: Sequence[str]) -> list[tuple[int, int]]:
    hits = sorted(i for a in anchors for i in _find_all(low, a))
    out: list[tuple[int, int]] = []
    for h in hits:
        lo, hi = max(0, h - WINDOW[0]), min(len(text), h + WINDOW[1])
        lo = text.rfind("\n", 0, lo) + 1  # whole lines: the patterns look behind the name
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _find_all(low: str, word: str, limit: int = 10_000) -> list[int]:
    out: list[int] = []
    i = low.find(word)
    while i >= 0 and len(out) < limit:
        out.append(i)
        i = low.find(word, i + 1)
    return out


def _members(
    text: str, low: str, windows: list[tuple[int, int]], anchors: Sequence[str], blocks: _Blocks
) -> list[Pair]:
    """One-line members whose name holds an anchor, inside a named block."""
    out = []
    seen: set[int] = set()
    for a in anchors:
        for lo, hi in windows:
            i = low.find(a, lo, hi)
            while i >= 0:
                start = text.rfind("\n", 0, i) + 1
                if start not in seen:
                    seen.add(start)
                    m = _MEMBER.match(text, start)
                    span = _value_span(m) if m else None
                    if m and span and _wanted(m.group("name"), anchors):
                        block = blocks.name_at(start)
                        if block:
                            name = _qualified(block, m.group("name"))
                            out.append(Pair(name, m.start("name"), span))
                i = low.find(a, i + 1, hi)
    return out


class _Blocks:
    """The name of the block a line is in: the nearest less-indented line that opens a named
    block (lines that open an unnamed one, `return {`, are passed over)."""

    def __init__(self, text: str, yaml: bool) -> None:
        self.text = text
        self.yaml = yaml
        self.cache: dict[int, str | None] = {}

    def name_at(self, pos: int) -> str | None:
        start = self.text.rfind("\n", 0, pos) + 1
        if start not in self.cache:
            self.cache[start] = self._find(start)
        return self.cache[start]

    def _find(self, start: int) -> str | None:
        text = self.text
        line = text[start : text.find("\n", start) if "\n" in text[start:] else len(text)]
        indent = len(line) - len(line.lstrip(" \t"))
        pos = start
        for _ in range(MAX_BLOCK_LINES):
            if pos == 0:
                return None
            prev = text.rfind("\n", 0, pos - 1) + 1
            raw = text[prev : pos - 1]
            pos = prev
            body = raw.strip()
            if not body or body.startswith(("#", "//", "/*", "*", "<!--", ";")):
                continue
            ind = len(raw) - len(raw.lstrip(" \t"))
            section = _OPENER.match(body)
            if section and section.group("section") and ind <= indent:
                return section.group("section")  # an INI or TOML section holds what follows
            if ind >= indent:
                continue
            indent = ind
            name = _opener_name(body, self.yaml)
            if name:
                return name
        return None


def _opener_name(body: str, yaml: bool) -> str | None:
    m = _OPENER.match(body)
    if m:
        if m.group("labels"):
            return ".".join(re.findall(r'"([^"\n]+)"', m.group("labels")))
        return m.group("name") or m.group("plainblock") or m.group("element")
    if yaml:
        y = _YAML_OPENER.match(body)
        if y:
            return y.group("name")
    return None
