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

import bisect
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

MAX_JSON = 4 << 20  # characters; larger texts are read by the patterns
MAX_SCOPE = 6000  # characters of a JSON structure kept as its scope
MAX_HITS = 20_000  # anchor occurrences whose names are tried
MAX_MEMBERS = 2000  # one-line members read with their block's name, per text (beyond, the
# rules' verdict on the lines stands alone)
NAME_REACH = 100  # characters a name may run before the anchor in it
LINE_REACH = 400  # characters looked along a line for its start or end (minified code is long)
MIN_VALUE = 6  # characters: a shorter value is never a credential (filters.is_obvious_fake)
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


def pairs(
    text: str,
    low: str,
    anchors: Sequence[str],
    qualify: Callable[[str], bool] = bool,
    *,
    colon_blocks: bool = True,
    find: Find | None = None,
) -> list[Pair]:
    """The pairs whose name holds one of the anchors, in text order, none overlapping.
    ``qualify(block)``: whether a block's name says something of whose its members are (a
    one-line member is a pair only then; a block that says nothing is left out of the name).
    ``colon_blocks``: a line ending in ``name:`` opens a block (YAML), as it does not in Python
    (``else:``); the caller tells from the path, so that the engine's ``path_signature`` sees
    everything a path changes.  ``find(anchor, limit)``: where the anchor occurs in ``low``, the
    first ``limit`` occurrences, overlapping ones too (by default ``str.find`` from each on;
    the engine locates all its anchors in one pass)."""
    key = tuple(sorted(set(anchors), key=len, reverse=True))
    found = _json_pairs(text, _anchors(key), qualify)
    if found is None:
        found = _pattern_pairs(text, low, key, qualify, colon_blocks, find or _finder(low))
    out: list[Pair] = []
    for p in sorted(found, key=lambda p: (p.at, p.value)):
        if out and p.at < out[-1].value[1]:
            continue
        if p.at <= p.value[0]:
            out.append(p)
    return out


Find = Callable[[str, int], Sequence[int]]


def _finder(low: str) -> Find:
    def find(word: str, limit: int) -> list[int]:
        out: list[int] = []
        i = low.find(word)
        while i >= 0 and len(out) < limit:
            out.append(i)
            i = low.find(word, i + 1)
        return out

    return find


@lru_cache(maxsize=32)
def _anchors(anchors: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(a) for a in anchors))


def _wanted(name: str, anchors: re.Pattern[str]) -> bool:
    return anchors.search(name.lower()) is not None


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


def _json_pairs(
    text: str, anchors: re.Pattern[str], qualify: Callable[[str], bool]
) -> list[Pair] | None:
    """Pairs from a text that is one JSON document, or None when it is not one."""
    body = text.strip()
    if len(text) > MAX_JSON or not body or body[0] not in "{[" or body[-1] not in "}]":
        return None
    try:
        import json  # only for a text that looks like JSON: the hook's start-up stays small

        doc = json.loads(text, object_pairs_hook=_Obj)
    except (ValueError, RecursionError):
        return None
    # outside its strings JSON has no '"': the n-th string token is the n-th string parsed
    spans = [(m.start() + 1, m.end() - 1) for m in _STRING.finditer(text)]
    walker = _JsonWalk(text, spans, anchors, qualify)
    try:
        walker.node(doc, None, None)
    except RecursionError:
        return None
    return walker.out


class _JsonWalk:
    """Walks a parsed document in text order, counting strings to know where each one is.

    A member's scope is the object it is in; a key/value object's scope is the object around
    it (the request whose headers it is in, the environment whose values it is in)."""

    def __init__(
        self,
        text: str,
        spans: list[tuple[int, int]],
        anchors: re.Pattern[str],
        qualify: Callable[[str], bool],
    ) -> None:
        self.text = text
        self.qualify = qualify
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
        block = key if key is not None and self.qualify(key) else None
        for k, key_span, _, value_span in strings:
            apart = "\n" in self.text[key_span[1] : value_span[0]]
            if (block is not None or apart) and _wanted(k, self.anchors):
                scoped.append(len(self.out))
                self.out.append(Pair(_qualified(block, k), key_span[0], value_span))
        if first < self.i and scoped:
            lo, hi = self.spans[first][0], self.spans[self.i - 1][1]
            for n in scoped:
                p = self.out[n]
                self.out[n] = Pair(p.name, p.at, p.value, (lo, min(hi, lo + MAX_SCOPE)))


# -- patterns ---------------------------------------------------------------------------------

_QUOTED_OR_BARE = r"""(?:(?P<vq>["'`])(?P<value>[^"'`\n]{0,400})(?P=vq)
                        |(?P<bare>[A-Za-z0-9+/=_~.-]{1,400})(?=[ \t]*(?:$|[,;)\]}#\n]|//)))"""


@dataclass(frozen=True)
class _Form:
    """One way a structure puts a name and a value apart, as a regex from ``lead`` (what comes
    right before the name) on.  ``in_block``: the name is a member of a block, read with the
    block's name (the others are entries of a flat namespace: a Postman environment, a property
    list, settings)."""

    lead: str
    rest: str
    near: tuple[str, ...] = ()  # one of these is in the folded text just before the name
    in_block: bool = False
    ends_line: bool = False  # the name ends its line (the value is on the next)
    flags: int = re.X

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.lead + self.rest, self.flags)

    @functools.cached_property
    def lead_pattern(self) -> re.Pattern[str]:
        return re.compile(f"(?:{self.lead})\\Z", self.flags)


_FORMS = (
    # a key/value object: {"key": "client_secret", ... "value": "…"}, { name: 'X', value: '…' },
    # name = "x" ... value = "…" (Terraform); other members may sit between
    _Form(
        r"""(?<![\w-])["']?(?:key|name|Key|Name)["']?[ \t]*[:=][ \t]*(?P<nq>["'`]?)""",
        r"""(?P<name>[A-Za-z_$/][\w.:/$-]{0,99})(?P=nq)
            [^{}]{0,300}?
            (?<![\w-])["']?(?:value|Value)["']?[ \t]*[:=][ \t]*"""
        + _QUOTED_OR_BARE,
        near=("key", "name"),
    ),
    # a value a formatter wrapped onto the next line: "client_secret": (\n "…", 'api_key' =>\n '…'
    _Form(
        r"""(?<![\w.$-])(?P<nq>["'`]?)""",
        r"""(?P<name>[A-Za-z_$][\w.:$-]{0,99})(?P=nq)
            [ \t]*(?::|=>|:=|=)[ \t]*(?:[(\[][ \t]*)?(?:[>|][-+]?[ \t]*)?(?:(?:\#|//)[^\n]*)?\r?\n
            (?:[ \t]*[(\[][ \t]*\r?\n)?[ \t]*(?:[(\[][ \t]*)?"""
        + _QUOTED_OR_BARE,
        in_block=True,
        ends_line=True,
    ),
    # a call's or an array's next argument: Header.Set(\n "X",\n "…"), define(\n 'X',\n '…')
    _Form(
        r"""(?P<nq>["'`])""",
        r"""(?P<name>[A-Za-z_$][\w.:$-]{0,99})(?P=nq)[ \t]*,[ \t]*\r?\n[ \t]*
            (?P<vq>["'`])(?P<value>[^"'`\n]{0,400})(?P=vq)""",
        ends_line=True,
    ),
    # an Apple property list: <key>X</key> <string>…</string>
    _Form(
        r"<key>\s*",
        r"(?P<name>[^<\s]{1,100})\s*</key>\s*(?:<!--.*?-->\s*)*<string>(?P<value>[^<]{0,400})</string>",
        near=("<key>",),
        flags=re.S,
    ),
    # .NET settings: <setting name="X" serializeAs="String"> <value>…</value>; <add key= value=>
    _Form(
        r"""<setting\s+name=["']""",
        r"""(?P<name>[^"'<>]{1,100})["'][^>]*>\s*<value>(?P<value>[^<]{0,400})</value>""",
        near=("<setting",),
        flags=0,
    ),
    _Form(
        r"""<add\s+key=["']""",
        r"""(?P<name>[^"'<>]{1,100})["']\s+value=["'](?P<value>[^"'<>]{0,400})["']""",
        near=("<add",),
        flags=0,
    ),
    # a Terraform/HCL variable: variable "x" { ... default = "…" }
    _Form(
        r"""\bvariable\s+\"""",
        r"""(?P<name>[^"\n]{1,100})"\s*\{[^{}]{0,400}?\bdefault\s*=\s*"(?P<value>[^"\n]{0,400})\"""",
        near=("variable",),
        flags=0,
    ),
)
LEAD_MAX = 60  # characters before a name its form's lead may take


# A one-line member, read with the name of the block it is in (`vipps:` / `  key: …`).
_MEMBER = re.compile(
    r"""[ \t]*(?:-[ \t]+)?(?P<nq>["'`]?)(?P<name>[A-Za-z_$][\w.$-]{0,99})(?P=nq)[ \t]*
        (?::|=>|:=|=)[ \t]*"""
    + _QUOTED_OR_BARE,
    re.X,
)
# The line that opens a named block: `vipps: {`, `'vipps' => [`, `VIPPS = dict(`, `"Vipps": {`,
# `variable "vipps" {`, `<Vipps>`; and in YAML and the like, `vipps:` alone.  (An INI or TOML
# section, `[vipps]`, is read apart: it is not indented.)
_OPENER = re.compile(
    r"""(?:(?:export|const|let|var|val|public|private|protected|static|readonly|final|my|our)\s+)*
        ["'$:]?(?P<name>[\w.$-]+)["']?\s*(?::|=|=>|:=)\s*
        (?:new\s+[\w.]+(?:<[^>]*>)?\s*|array\s*|dict\s*|[\w.]+\s*)?[\[{(]\s*(?:(?://|\#).*)?$
      | [\w-]+(?P<labels>(?:\s+"[^"\n]+")+)\s*\{\s*$
      | (?P<plainblock>[A-Za-z_][\w-]*)\s*\{\s*$
      | <(?P<element>[A-Za-z][\w.:-]*)(?:\s[^<>]*)?>\s*$""",
    re.X,
)
_YAML_OPENER = re.compile(
    r"""(?:-\s+)?["']?(?P<name>[\w.$-]+)["']?\s*:\s*(?:[&!][\w-]+\s*)?(?:[|>][-+]?)?\s*(?:\#.*)?$"""
)


def _pattern_pairs(
    text: str,
    low: str,
    anchors: tuple[str, ...],
    qualify: Callable[[str], bool],
    colon_blocks: bool,
    find: Find,
) -> list[Pair]:
    """Each name that holds an anchor, tried against each form, anchored where the name is: the
    cost goes with the anchors' occurrences, not the text's length."""
    wanted = _anchors(anchors)
    blocks = _Blocks(text, colon_blocks)
    out: list[Pair] = []
    members = 0
    for start in _name_starts(text, anchors, find):
        before = low[max(0, start - LEAD_MAX) : start]
        ends_line = _ends_line(text, start)
        for form in _FORMS:
            if (form.near and not any(n in before for n in form.near)) or (
                form.ends_line and not ends_line
            ):
                continue
            lead = form.lead_pattern.search(text, max(0, start - LEAD_MAX), start)
            m = form.pattern.match(text, lead.start()) if lead else None
            if m is None or m.start("name") != start:
                continue
            span = _value_span(m)
            name = m.group("name")
            if span is None or not _wanted(name, wanted):
                continue
            block = blocks.name_at(start) if form.in_block else None
            block = block if block and qualify(block) else None
            out.append(Pair(_qualified(block, name), start, span))
            break
        else:
            if members < MAX_MEMBERS and (pair := _member(text, start, wanted, blocks, qualify)):
                out.append(pair)
                members += 1
    return out


def _value_span(m: re.Match[str]) -> tuple[int, int] | None:
    for group in ("value", "bare"):
        if group in m.re.groupindex and m.start(group) >= 0:
            return m.span(group)
    return None


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/$-")


def _name_starts(text: str, anchors: tuple[str, ...], find: Find) -> list[int]:
    """Where the names holding an anchor start (the run of name characters around each
    occurrence; at most ``MAX_HITS`` occurrences), in order; only names followed as a name
    is in a structure (a quote, `<`, or a separator: not `dict.keys()`)."""
    starts: set[int] = set()
    hits = 0
    for a in anchors:
        for i in find(a, MAX_HITS - hits):
            hits += 1
            j, floor = i, max(0, i - NAME_REACH)
            while j > floor and text[j - 1] in _NAME_CHARS:
                j -= 1
            k, ceiling = i + len(a), min(len(text), i + NAME_REACH)
            while k < ceiling and text[k] in _NAME_CHARS:
                k += 1
            while k > i + len(a) and text[k - 1] in ":.":  # `name:`: the colon separates
                k -= 1
            if _NAME_END.match(text, k):
                starts.add(j)
    return sorted(starts)


_NAME_END = re.compile(r"""["'`<]|[ \t]*(?::|=|,|\r?\n)""")


_LINE_END = re.compile(
    r"""[\w.:$-]*["'`]?[ \t]*(?::|=>|:=|=|,)[ \t]*[(\[>|+-]*[ \t]*(?:(?:\#|//).*)?$"""
)


def _ends_line(text: str, start: int) -> bool:
    """The name at ``start`` and its separator end the line: the value is on the next one."""
    end = text.find("\n", start, start + LINE_REACH)
    if end < 0 and start + LINE_REACH < len(text):
        return False  # a long line (minified code) goes on
    return _LINE_END.fullmatch(text, start, end if end >= 0 else len(text)) is not None


def _member(
    text: str, start: int, anchors: re.Pattern[str], blocks: _Blocks, qualify: Callable[[str], bool]
) -> Pair | None:
    """A one-line member named at ``start`` (`  key: …`), when its block's name says whose it is."""
    line = text.rfind("\n", max(0, start - LINE_REACH), start) + 1
    if line == 0 and start > LINE_REACH:
        return None  # far into a long line (minified code): not a member at a line's start
    m = _MEMBER.match(text, line)
    if m is None or m.start("name") != start or not _wanted(m.group("name"), anchors):
        return None
    span = _value_span(m)
    # a value shorter than an obvious fake's minimum is no credential: its block is not looked for
    block = blocks.name_at(line) if span and span[1] - span[0] >= MIN_VALUE else None
    if span is None or not block or not qualify(block):
        return None
    return Pair(_qualified(block, m.group("name")), start, span)


class _Blocks:
    """The name of the block each line is in: the nearest enclosing line, less indented, that
    opens a named block (`vipps:`, `"Vipps": {`, `'vipps' => [`, `variable "vipps" {`); lines
    that open an unnamed one (`return {`) are passed through; an INI or TOML section holds the
    lines after it.  Worked out for every line in one pass over the text, the first time one
    is asked for."""

    def __init__(self, text: str, yaml: bool) -> None:
        self.text = text
        self.yaml = yaml
        self.starts: list[int] = []
        self.names: list[str | None] = []

    def name_at(self, pos: int) -> str | None:
        if not self.starts:
            self._read()
        return self.names[bisect.bisect_right(self.starts, pos) - 1]

    def _read(self) -> None:
        stack: list[tuple[int, str | None]] = []  # (indentation, name) of the open blocks
        start = 0
        for raw in self.text.split("\n"):
            body = raw.strip()
            self.starts.append(start)
            start += len(raw) + 1
            if not body or body.startswith(("#", "//", "/*", "*", "<!--", ";")):
                self.names.append(next((n for _, n in reversed(stack) if n), None))
                continue
            indent = len(raw) - len(raw.lstrip(" \t"))
            section = _SECTION.fullmatch(body) if body[0] == "[" and body[-1] == "]" else None
            if section:
                stack = [(-1, section.group(1))]
                self.names.append(None)
                continue
            while stack and stack[-1][0] >= indent:
                stack.pop()
            self.names.append(next((n for _, n in reversed(stack) if n), None))
            if body[-1] in _OPENER_ENDS:
                name = _opener_name(body, self.yaml)
                if name or body[-1] in "{[(":
                    stack.append((indent, name))


_SECTION = re.compile(r"\[[ \t]*([A-Za-z][\w .:-]*?)[ \t]*\]")
_OPENER_ENDS = frozenset("{[(:>|-+]")  # a line that opens a block ends with one of these


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
