"""Pure detection: rules + one fragment -> findings.  No I/O, no globals.

Speed comes from not looking.  A rule runs on a fragment only when one of its ``keywords`` is in
the lowercased text or path, and its regex runs only on small regions around the occurrences of
its ``anchors``, so a multi-megabyte single line costs a few substring searches, not a regex pass.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import regex

from scanner import fastscan, provider_context
from scanner.allow import allowed_by
from scanner.casefold import fold, spellings
from scanner.finding import Finding
from scanner.globs import GlobSet
from scanner.literals import PatternSet
from scanner.names import another_system, says_whose
from scanner.rules import SEARCH_TIMEOUT, Rule
from scanner.sources import TOKEN_MAX, TOKEN_PUNCT, Fragment, Warn
from scanner.sources.own_report import MARK as OWN_REPORT

if TYPE_CHECKING:
    from scanner.structure import Pair

NEARBY_CHARS = 1500  # "nearby" is capped in characters too, for minified one-line files
REGEX_TIMEOUT = 5.0  # seconds per region; a pathological input warns instead of hanging
MAX_FINDINGS = 1000  # per rule and file; past this a rule's findings are noise or an attack
MAX_ANCHORS = 20_000
LOCATED = 1000  # occurrences of a word located in one pass; past that, str.find goes on
PREFILTER_PROBES = 64  # occurrences of a needle checked in place before one search per keyword
# A region never ends inside a token: a value cut at the region's end would look complete to the
# regex's closing look-ahead (a prefix of a longer blob reported as a secret).
_TOKEN_END = re.compile(rf"[^\w{re.escape(TOKEN_PUNCT)}]")

# a rule id starts with a letter, so the `-->` closing an HTML comment is not read as one; a
# test-key id (`sagapay-api-key.test`, as SARIF shows it) names only the rule's test keys
_RULE_ID = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?:\.test)?"
_IGNORE = re.compile(
    rf"lekk:ignore(-next-line)?(?:[ \t]+({_RULE_ID}(?:[ \t]*,[ \t]*{_RULE_ID})*)(?![\w-]))?"
)
# A Base64 token: 16 or more Base64 characters, then at most two `=`, touching none of
# `[A-Za-z0-9+/=_-]` either side (``b64_tokens``; the regex it stands for is in
# tests/base64_tokens_test.py).  Only a token of a length divisible by four that decodes to
# 8 to DECODED_MAX printable ASCII characters is decoded in place.
B64_MIN = 16
DECODED_MAX = 200
B64_MAX = 4 * (DECODED_MAX + 2) // 3  # a longer token decodes to more than DECODED_MAX
# (the standard library's `re` runs this simple pattern about 4x faster than `regex`)
_PRINTABLE = re.compile(rf"^[\x21-\x7e]{{8,{DECODED_MAX}}}$")
# each character as a token sees it: Base64 ("a"), not Base64 but not to be touched ("="),
# any other (" "; anything past ASCII is encoded as "?")
_B64_CLASSES = bytes(
    ord("a")
    if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "+/")
    else ord("=")
    if chr(c) in "=_-"
    else ord(" ")
    for c in range(256)
)
_NEWLINE = re.compile("\n")
MIN_TRIGGER = 4  # a Base64 form shorter than this would match nearly any Base64 text


def b64_forms(prefix: bytes) -> tuple[str, ...]:
    """What base64 of any text holding ``prefix`` contains, at each of the three alignments:
    the longest run of output characters that no neighbouring byte can change (lowercased)."""
    forms = []
    for a in range(3):
        e1 = base64.b64encode(b"\0" * a + prefix + b"\0" * 3).decode().lower()
        e2 = base64.b64encode(b"\xff" * a + prefix + b"\xff" * 3).decode().lower()
        run = best = ""
        for x, y in zip(e1, e2, strict=True):
            run = run + x if x == y else ""
            best = run if len(run) > len(best) else best
        forms.append(best)
    return tuple(forms)


def b64_triggers(rules: Sequence[Rule]) -> tuple[str, ...]:
    """So that an encoded key with no plain-text hint (a Kubernetes Secret with bland names, a
    base64-encoded .env) still reaches the decoder: the Base64 forms of each secret rule's
    ``decode`` words (by default its value prefixes, else its keywords).  Each form costs the
    pure-Python prefilter one more pass, so a pack names few."""
    words = {w for r in rules if r.is_secret for w in r.decode}
    # text holding `sgs_live_` holds `sgs_`: the shorter word's forms find both
    words = {w for w in words if not any(w != o and w.startswith(o) for o in words)}
    forms = {f for w in words for f in b64_forms(w.encode())}
    return tuple(sorted(f for f in forms if len(f) >= MIN_TRIGGER))


def b64_tokens(text: str) -> Iterator[tuple[int, int]]:
    """The spans of the Base64 tokens in the text, in order, without a regex tried at every
    position: a token is a whole run of the characters it may not touch, Base64 characters
    then at most two ``=``; such a run holds 16 Base64 characters in a row, which one
    ``bytes.find`` over the text's character classes finds."""
    classes = text.encode("ascii", "replace").translate(_B64_CLASSES)
    need = b"a" * B64_MIN
    i = classes.find(need)
    while i >= 0:
        start = classes.rfind(b" ", 0, i) + 1
        end = classes.find(b" ", i)
        end = len(classes) if end < 0 else end
        pad = classes.find(b"=", start, end)
        if pad < 0 or (pad >= start + B64_MIN and text[pad:end] in ("=", "==")):
            yield start, end
        i = classes.find(need, end)


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


@dataclass
class _Text:
    """One fragment's text with its lowered copy and lazily computed line starts.

    Positions are looked up in a sorted index of line ends, built once on the first finding,
    and a line's ``lekk:ignore`` comments are read once: a finding costs the same on line 1 of
    a 50 MB single-line file as anywhere else (a search from the start of the text for each of
    thousands of findings was quadratic).
    """

    frag: Fragment
    text: str
    low: str
    path_low: str
    # (start, end, text), in order and apart: the structure around start..end, read as nearby
    # text too
    scopes: tuple[tuple[int, int, str], ...] = ()
    # where the engine's located words occur in ``low`` (``Engine._where``), once asked
    where: dict[str, list[int]] | None = None
    _ends: list[int] | None = None
    _ignores: dict[tuple[int, bool], frozenset[str]] = field(default_factory=dict)

    def _line_ends(self) -> list[int]:
        if self._ends is None:
            self._ends = [m.start() for m in _NEWLINE.finditer(self.text)]
        return self._ends

    def line_col(self, pos: int) -> tuple[int, int]:
        ends = self._line_ends()
        i = bisect.bisect_left(ends, pos)  # line ends before pos
        if i:
            return self.frag.line + i, pos - ends[i - 1]
        return self.frag.line, self.frag.column + pos

    def line_bounds(self, pos: int) -> tuple[int, int]:
        ends = self._line_ends()
        i = bisect.bisect_left(ends, pos)
        return (ends[i - 1] + 1 if i else 0), (ends[i] if i < len(ends) else len(self.text))

    def ignores(self, start: int, end: int, previous: bool) -> frozenset[str]:
        """The rule ids a line's ``lekk:ignore`` (or ``-next-line``, for ``previous``) names."""
        key = (start, previous)
        got = self._ignores.get(key)
        if got is None:
            out: set[str] = set()
            line = self.text[start:end]
            for m in _IGNORE.finditer(line) if "lekk:ignore" in line else ():
                if bool(m.group(1)) == previous:
                    ids = m.group(2)
                    out.update(i.strip() for i in ids.split(",")) if ids else out.add("*")
            got = self._ignores[key] = frozenset(out)
        return got

    def nearby(self, start: int, end: int, lines: int) -> str:
        """``lines`` lines either side of ``text[start:end]`` (``nearby_bounds``), and the
        structure around it when a structure says."""
        lo, hi = self.nearby_bounds(start, end, lines)
        return "\n".join([self.text[lo:hi], *self.scope(start, end)])

    def nearby_bounds(self, start: int, end: int, lines: int) -> tuple[int, int]:
        """``lines`` lines either side of ``text[start:end]``, capped at ``NEARBY_CHARS``."""
        lo, hi = start, end
        floor, ceiling = max(0, start - NEARBY_CHARS - 1), end + NEARBY_CHARS + 1
        for _ in range(lines + 1):
            if lo <= 0 or start - lo > NEARBY_CHARS:
                break
            lo = self.text.rfind("\n", floor, lo - 1) + 1
        for _ in range(lines + 1):
            if hi >= len(self.text) or hi - end > NEARBY_CHARS:
                break
            nxt = self.text.find("\n", hi + 1, ceiling)
            hi = len(self.text) if nxt < 0 else nxt
        return max(lo, start - NEARBY_CHARS), min(hi, end + NEARBY_CHARS)

    def scope(self, start: int, end: int) -> list[str]:
        """The text of the structure around start..end, when a structure says (one or none)."""
        i = bisect.bisect_right(self.scopes, (start, len(self.text) + 1, "")) - 1
        if i >= 0 and self.scopes[i][0] <= start and end <= self.scopes[i][1]:
            return [self.scopes[i][2]]
        return []


def _suppressions(t: _Text, pos: int) -> frozenset[str]:
    """``lekk:ignore [ids]`` on the finding's line, ``lekk:ignore-next-line [ids]`` on the one before."""
    start, end = t.line_bounds(pos)
    out = t.ignores(start, end, False)
    if start > 0:
        prev_start, _ = t.line_bounds(start - 1)
        out |= t.ignores(prev_start, start - 1, True)
    return out


def _snippet(t: _Text, start: int, end: int, width: int = 60) -> str:
    ls, le = t.line_bounds(start)
    lo, hi = max(ls, start - width), min(le, end + width)
    text = t.text[lo:hi].strip()
    return ("…" if lo > ls else "") + text + ("…" if hi < le else "")


def _full_name(t: _Text, m: regex.Match[str]) -> str:
    """The name with the parts a rule's regex leaves off in front: ``Database:`` of
    ``Database:Password``, ``Vipps:`` of ``Vipps:ClientSecret`` (.NET configuration keys)."""
    start = lo = m.start("name")
    while lo > 0 and start - lo < 60 and (t.text[lo - 1].isalnum() or t.text[lo - 1] in "_.:-"):
        lo -= 1
    return t.text[lo : m.end("name")].lstrip(".:-")


def _moved(f: Finding, t: _Text, start: int, end: int) -> Finding:
    """A finding made in a derived copy of the text (decoded, or pairs brought together),
    placed at the span start..end of the text itself."""
    if t.frag.origin_path is not None:  # the container's position stays; the origin's line moves
        origin = {"path": t.frag.origin_path, "line": 1 + t.text.count("\n", 0, start)}
        moves: dict[str, object] = {"origin": origin}
    else:
        line, col = t.line_col(start)
        end_line, end_col = t.line_col(end)
        moves = {"line": line, "column": col, "end_line": end_line, "end_column": end_col}
    return f.with_(snippet=_snippet(t, start, end), suppressions=_suppressions(t, start), **moves)


class Engine:
    """Compiled rule set.  ``scan(fragment)`` returns raw findings (filters come after)."""

    def __init__(self, rules: Sequence[Rule], *, extension: bool = True) -> None:
        self.rules = tuple(rules)
        self.keywords = tuple(sorted({k for r in self.rules for k in r.keywords}))
        self._signals = provider_context.signals(self.rules)
        # the file being scanned (fragments of one path in a row, from its first): findings
        # per rule id, and the rules stopped for it
        self._file: str | None = None
        self._found: Counter[str] = Counter()
        self._stopped: set[str] = set()
        # what of a path can change a rule's verdict (``path_signature``): globs, `!` taken off
        # (a path an exclusion matches must not share a signature with one it does not), and
        # patterns searched in the path, each once however many rules share it
        globs = {g.removeprefix("!") for r in self.rules for g in r.paths}
        globs |= {g for r in self.rules for a in r.allowlists for g in a.paths}
        self._globs = GlobSet(sorted(globs))
        # each rule's ``paths`` as the indexes of its globs there: (wanted, excluded)
        at = {g: i for i, g in enumerate(self._globs.globs)}
        self._rule_paths = tuple(
            (
                frozenset(at[g] for g in r.paths if not g.startswith("!")),
                frozenset(at[g[1:]] for g in r.paths if g.startswith("!")),
            )
            for r in self.rules
        )
        self._matched: tuple[str, frozenset[int]] = ("", self._globs.matching(""))
        self._path_patterns: PatternSet | None = None  # on the first path_signature
        self.triggers = b64_triggers(self.rules)
        # the raw bytes the prefilter looks for, ASCII letters in any case: every spelling of
        # each keyword's other letters (casefold.py), and the Base64 triggers
        words = sorted({w.encode() for k in self.keywords for w in spellings(k)})
        words += sorted({t.encode() for t in self.triggers} - set(words))
        # one pass in C when the extension is built (scanner/fastscan.py) ...
        self._words = words
        self._search = fastscan.compile_search(words) if extension else None
        # ... else needle -> (word, offset of the needle in the word) for the words holding it
        self._needles = () if self._search else _needles(words)
        # where the keywords and anchors are in a folded text: one pass in C for those it can
        # find in the text encoded one byte a character (ASCII, and no `?`, which stands for
        # any other character there), instead of one `str.find` pass each
        located = {k for k in self.keywords if k.isascii() and "?" not in k}
        located |= {a for r in self.rules for a in r.anchors if a.isascii() and "?" not in a}
        located = {w for w in located if len(w) >= fastscan.WINDOW}
        self._extension = extension and fastscan.available()
        self._located = frozenset(located) if self._extension else frozenset()
        # (their tables, and the triggers', are built on first use: a scan in which nothing
        # passes the prefilter, and `lekk staged` on most commits, never needs them)

    @functools.cached_property
    def byte_records(self) -> fastscan.Records | None:
        """``git cat-file --batch`` records parsed and searched in C, the same search as
        ``prefilter``'s over bytes (``blobs.Prefetch.search_with``); None without the
        extension, or when a keyword is too short for that search alone."""
        from scanner.sources.sniff import SNIFF

        return fastscan.compile_records(self._words, SNIFF) if self._search is not None else None

    @functools.cached_property
    def _locate(self) -> fastscan.Locate | None:
        return fastscan.compile_locate(w.encode() for w in self._located)

    @functools.cached_property
    def _triggers(self) -> fastscan.Search | None:
        triggers = [t.encode() for t in self.triggers]
        return fastscan.compile_search(triggers) if self._extension and triggers else None

    def _trigger(self, low: str) -> bool:
        """Is a Base64 trigger in this folded text?  (Either way the same answer.)"""
        if self._triggers is not None:
            return self._triggers(low.encode("utf-8", "surrogatepass"))
        return any(t in low for t in self.triggers)

    def prefilter(self, data: str | bytes, path_low: str = "") -> bool:
        """True when any rule could match: the cheap test run over raw bytes before decoding.

        ``data`` is the raw text (any case); ``path_low`` the folded path.  The hot path of
        a scan.  With the C extension, one pass finds any keyword or Base64 trigger, ASCII
        case-insensitively.  Without it, the data is lowercased and a few needles that between
        them occur in every keyword (e.g. ``_live_`` for all the SagaPay prefixes) are searched,
        one ``bytes.find`` each (not one per keyword and Base64 form); where a needle occurs, the
        keywords that contain it are checked in place.
        """
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        if self.path_keyed(path_low):
            return True
        if self._search is not None:
            return self._search(data)
        return self._prefilter_py(data.lower())

    def _prefilter_py(self, data: bytes) -> bool:
        probes = PREFILTER_PROBES + len(data) // 1024  # in-place checks cost less than a pass
        for needle, words in self._needles:
            i = data.find(needle)
            seen = 0
            while i >= 0 and seen < probes:
                for w, off in words:
                    if i >= off and data.startswith(w, i - off):
                        return True
                seen += 1
                i = data.find(needle, i + 1)
            if i >= 0 and any(w in data for w, _ in words):
                return True
        return False

    def path_keyed(self, path_low: str) -> bool:
        """Is a keyword in this lowercased path?  Then every text passes the prefilter under
        it; under a path without one, a text without a keyword has no finding, whatever the
        rest of the path's signature (every rule has keywords)."""
        return bool(self.keywords) and self._path_keywords.search(path_low) is not None

    @functools.cached_property
    def _path_keywords(self) -> re.Pattern[str]:
        """The keywords as one alternation: one search of a path, not one test per keyword."""
        return re.compile("|".join(map(re.escape, sorted(self.keywords, key=len, reverse=True))))

    def path_signature(self, path: str) -> tuple[object, ...]:
        """What the rules see of a path: the keywords in it, the globs it matches (rules'
        ``paths``, ``!`` exclusions included, and their allowlists' ``paths``), the
        ``context.any`` and ``context.all`` patterns it matches, and whether its language reads
        ``name:`` as a block (the structure step).  These are every use of the path in this
        module, so the same content under two paths with the same signature gives the same
        findings (the history scans a blob once per signature).  Most paths have one signature,
        the empty path's."""
        if self._path_patterns is None:
            found = {p.source: p for r in self.rules for p in (*r.context_any, *r.context_all)}
            self._path_patterns = PatternSet([found[s] for s in sorted(found)])
        low = fold(path)
        return (
            frozenset(filter(low.__contains__, self.keywords)),
            self._globs.matching(path),
            self._path_patterns.matching(path),
            _colon_blocks(low),
        )

    def scan(self, frag: Fragment, warn: Warn | None = None) -> list[Finding]:
        """Raw findings (the filters come after); ``warn`` hears of a rule that timed out or
        was stopped for the file."""
        if frag.path != self._file or (frag.line, frag.column) == (1, 1):
            self._file = frag.path  # a new file (a git blob, a member) starts its own count
            self._found.clear()
            self._stopped.clear()
        say = warn or _ignore
        t = _Text(frag, frag.text, fold(frag.text), fold(frag.path))
        present = self._present(t)
        rules = list(self._active(t, present))
        found = dict(self._scan_text(t, say, rules))
        # where a structure puts a name and its value apart, or a name in a named block, the
        # rules' verdict on the pair replaces theirs on the line
        examined, paired = self._scan_pairs(t, rules, say)
        for key in examined:
            found.pop(key, None)
        found.update(paired)
        # a value that is a credential as written is reported as written, never decoded
        taken = [span for (_, span), f in found.items() if f.rule.is_secret]
        return [*found.values(), *self._scan_decoded(t, bool(present), taken, say)]

    # -- plain text -------------------------------------------------------------------------

    def _present(self, t: _Text) -> set[str]:
        """The keywords in the text or its path."""
        where = self._where(t)
        return {
            k
            for k in self.keywords
            if (k in where if k in self._located else k in t.low) or k in t.path_low
        }

    def _where(self, t: _Text) -> dict[str, list[int]]:
        """Where the located words occur in the folded text (the first LOCATED of each)."""
        if t.where is None:
            t.where = {}
            if self._located and self._locate is not None:
                data = t.low.encode("ascii", "replace")  # one byte a character: same offsets
                for w, at in self._locate(data, LOCATED).items():
                    t.where[w.decode()] = at
        return t.where

    def _occurrences(self, t: _Text, word: str, limit: int) -> list[int]:
        """Where ``word`` occurs in the folded text, overlapping occurrences too: the first
        ``limit``."""
        out: list[int] = []
        if word in self._located:
            out = self._where(t).get(word, [])
            if len(out) < LOCATED or limit <= len(out):  # all of them, or enough
                return out[:limit]
            out = out[:]  # (the rest is found on from the last)
        i = t.low.find(word, out[-1] + 1) if out else t.low.find(word)
        while i >= 0 and len(out) < limit:
            out.append(i)
            i = t.low.find(word, i + 1)
        return out

    def _active(self, t: _Text, present: set[str] | None = None) -> Iterator[Rule]:
        present = self._present(t) if present is None else present
        if not present:
            return
        own_report = t.frag.extra.get(OWN_REPORT, False)  # lekk's report: secret rules only
        for rule, paths in zip(self.rules, self._rule_paths, strict=True):
            if own_report and not rule.is_secret:
                continue
            if rule.client_side_only:
                # a client-side-only rule's ``paths`` name more browser code (components)
                if not t.frag.client_side and not (rule.paths and self._path_ok(t, paths)):
                    continue
            elif rule.paths and not self._path_ok(t, paths):
                continue
            if any(k in present for k in rule.keywords):
                yield rule

    def _path_ok(self, t: _Text, paths: tuple[frozenset[int], frozenset[int]]) -> bool:
        """``globs.path_ok`` of a rule's ``paths``, from the globs the path matches (once)."""
        if self._matched[0] != t.frag.path:
            self._matched = (t.frag.path, self._globs.matching(t.frag.path))
        matched = self._matched[1]
        wanted, excluded = paths
        return not excluded & matched and (not wanted or bool(wanted & matched))

    def _regions(self, t: _Text, rule: Rule) -> list[tuple[int, int]]:
        before, after = rule.region
        hits: list[int] = []
        for a in rule.anchors:
            hits += self._occurrences(t, a, MAX_ANCHORS - len(hits))
        if len(hits) >= MAX_ANCHORS:
            return [(0, len(t.text))]
        hits.sort()
        regions: list[tuple[int, int]] = []
        for h in hits:
            lo, hi = max(0, h - before), min(len(t.text), h + after)
            end = _TOKEN_END.search(t.text, hi, hi + TOKEN_MAX)
            hi = end.start() if end else min(len(t.text), hi + TOKEN_MAX)
            if regions and lo <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(hi, regions[-1][1]))
            else:
                regions.append((lo, hi))
        return regions

    def _scan_text(
        self,
        t: _Text,
        warn: Warn,
        rules: Iterable[Rule] | None = None,
        within: Sequence[tuple[int, int]] | None = None,
    ) -> Iterator[tuple[tuple[str, tuple[int, int]], Finding]]:
        """((rule id, span of the value), finding) for each candidate the rules keep; with
        ``within`` (sorted spans, apart), only in the regions that touch one of them."""
        for rule in self._active(t) if rules is None else rules:
            regions = self._regions(t, rule)
            if within is not None:
                regions = _touching(regions, within)
            for key, f in self._scan_regions(t, rule, regions, warn):
                if f is not None:
                    yield key, f

    def _scan_regions(
        self, t: _Text, rule: Rule, regions: Iterable[tuple[int, int]], warn: Warn
    ) -> Iterator[tuple[tuple[str, tuple[int, int]], Finding | None]]:
        """((rule id, span), the finding, or None for a match its conditions reject); a rule
        that times out in a region is a warning, and the scan goes on.  A rule that reports
        MAX_FINDINGS in one file, or whose context pattern runs past its time limit, is stopped
        for that file with one warning: a hostile file costs time in its size, not in its
        findings."""
        if rule.id in self._stopped:
            return
        seen: set[tuple[int, int]] = set()
        group = "secret" if "secret" in rule.pattern.groupindex else 1
        for lo, hi in regions:
            try:
                matches = list(rule.pattern.finditer(t.text, lo, hi, timeout=REGEX_TIMEOUT))
            except TimeoutError:
                warn(f"{t.frag.path}: rule {rule.id} timed out; skipped")
                continue
            for m in matches:
                span = m.span(group)
                if span in seen or span[0] < 0 or m.end() == hi < len(t.text):
                    continue  # seen, unset, or cut short by a region inside a long token
                seen.add(span)
                try:
                    f = self._candidate(rule, t, m, span)
                except TimeoutError:
                    slow = f"a context, test or capture pattern took over {SEARCH_TIMEOUT:g}s"
                    self._stop(t, rule, slow, warn)
                    return
                if f is not None:
                    self._found[rule.id] += 1
                    if self._found[rule.id] > MAX_FINDINGS:
                        self._stop(t, rule, f"more than {MAX_FINDINGS} findings", warn)
                        return
                yield (rule.id, span), f

    def _stop(self, t: _Text, rule: Rule, why: str, warn: Warn) -> None:
        self._stopped.add(rule.id)
        warn(f"{t.frag.path}: rule {rule.id}: {why}; the rest of the file skipped")

    def _candidate(
        self, rule: Rule, t: _Text, m: regex.Match[str], span: tuple[int, int]
    ) -> Finding | None:
        start, end = span
        written = secret = t.text[start:end]
        if "&" in secret:
            secret = html.unescape(secret)
        name = m.group("name") or "" if "name" in rule.pattern.groupindex else ""
        if rule.entropy is not None and shannon_entropy(secret) < rule.entropy:
            return None
        if any(p.search(name) for p in rule.name_none):
            return None
        if name and rule.names is not None and another_system(_full_name(t, m), rule.names):
            return None
        near = t.nearby(m.start(), m.end(), rule.window)
        # a veto is about this structure when a structure says what it is (one request of a
        # collection); a signal may come from around it
        vetoed = (t.scope(m.start(), m.end()) or [near])[0]
        if any(p.search(vetoed) for p in rule.context_none):
            return None
        if rule.context_any and not any(
            p.search(t.frag.path) or p.search(near) for p in rule.context_any
        ):
            return None
        if not all(p.search(t.frag.path) or p.search(near) for p in rule.context_all):
            return None
        test = rule.test_severity is not None and (
            any(p.search(secret) for p in rule.test_secret)
            or any(p.search(name) for p in rule.test_name)
            or (
                any(p.search(near) for p in rule.test_nearby)
                and not any(p.search(near) for p in rule.test_unless_nearby)
            )
        )
        severity = rule.test_severity if test and rule.test_severity else rule.severity
        if t.frag.client_side and rule.is_secret:
            severity = "error"  # downloaded by every visitor, whatever the key's environment
        found_in = ""
        if rule.is_secret and rule.provider:  # whose value it is: where --verify may send it
            window = t.nearby_bounds(m.start(), m.end(), rule.window)
            found_in = provider_context.found_in(
                self._signals, t.text, span, window, t.frag.path, rule.provider
            )
        context = {}
        for cname, pat in rule.captures:
            cm = pat.search(near)
            if cm:
                context[cname] = cm.group(1)
        origin = None
        if t.frag.origin_path is not None:
            line, col = t.frag.line, t.frag.column
            end_line, end_col = line, col + (end - start)
            origin = {"path": t.frag.origin_path, "line": 1 + t.text.count("\n", 0, start)}
        else:
            line, col = t.line_col(start)
            end_line, end_col = t.line_col(end)
        return Finding(
            rule=rule,
            path=t.frag.path,
            line=line,
            column=col,
            end_line=end_line,
            end_column=end_col,
            secret=secret,
            severity=severity,
            snippet=_snippet(t, start, end),
            test=test,
            found_in=found_in,
            context=context,
            origin=origin,
            client_side=t.frag.client_side,
            suppressions=_suppressions(t, start),
            allowed=allowed_by(rule, t.frag.path, secret, lambda: near) if rule.allowlists else "",
            extra=dict(t.frag.extra),
            written=written if written != secret else "",
        )

    # -- names and values a structure puts apart (structure.py) -----------------------------

    def _scan_pairs(
        self, t: _Text, rules: Sequence[Rule], warn: Warn
    ) -> tuple[set[tuple[str, tuple[int, int]]], dict[tuple[str, tuple[int, int]], Finding]]:
        """The rules run on each pair as one logical line, ``name": "value``, in a copy of the
        text where the pair's name is put right before its value; what they find is reported
        at the value.  Returns the (rule id, value span) of each pair a rule's regex matched
        (whatever its conditions then said), and the findings."""
        from scanner import structure  # on first use: a scan that never needs it never loads it

        secret_rules = [r for r in rules if r.is_secret]
        anchors = sorted({a for r in secret_rules for a in r.anchors})
        words = {r.names for r in secret_rules if r.names is not None}

        if not anchors:
            return set(), {}
        said: dict[str, bool] = {}  # (a dict: an lru_cache made per fragment costs more)

        def qualify(block: str) -> bool:  # whether a block's name changes how a rule reads names
            got = said.get(block)
            if got is None:
                got = any(says_whose(block, w) for w in words)
                if len(said) < 256:
                    said[block] = got
            return got

        colon_blocks = _colon_blocks(t.path_low)
        found = structure.pairs(
            t.text,
            t.low,
            anchors,
            qualify,
            colon_blocks=colon_blocks,
            find=lambda word, limit: self._occurrences(t, word, limit),
        )
        if not found:
            return set(), {}
        pieces: list[str] = []
        placed: list[tuple[Pair, int, int, str]] = []  # pair, at, value end, name
        scopes: list[tuple[int, int, str]] = []
        by_value: dict[tuple[int, int], Pair] = {}
        last = size = 0
        for p in found:
            line = f'{p.name}": "'
            value = t.text[p.value[0] : p.value[1]]
            pieces += [t.text[last : p.at], line, value]
            at = size + p.at - last
            size = at + len(line) + len(value)
            placed.append((p, at, size, fold(p.name)))
            by_value[(size - len(value), size)] = p
            if p.scope is not None:
                scopes.append((at, size, t.text[p.scope[0] : p.scope[1]]))
            last = p.value[1]
        pieces.append(t.text[last:])
        text = "".join(pieces)
        derived = _Text(t.frag, text, fold(text), t.path_low, tuple(scopes))
        examined: set[tuple[str, tuple[int, int]]] = set()
        out: dict[tuple[str, tuple[int, int]], Finding] = {}
        for rule in secret_rules:
            mine = [(p, at, ve) for p, at, ve, low in placed if any(a in low for a in rule.anchors)]
            regions = [(at, min(len(text), ve + 1)) for _, at, ve in mine]
            for (rid, span), f in self._scan_regions(derived, rule, regions, warn):
                if span not in by_value:
                    continue  # not the pair's value: the plain text's business
                p = by_value[span]
                examined.add((rid, p.value))  # the rule read the pair: its verdict stands
                if f is None:
                    continue
                moved = _moved(f, t, *p.value)
                extra = _suppressions(t, p.at)
                out[(rid, p.value)] = moved.with_(suppressions=moved.suppressions | extra)
        return examined, out

    # -- base64-encoded values (Kubernetes Secrets and the like) ----------------------------

    def _scan_decoded(
        self, t: _Text, keyword: bool, taken: Sequence[tuple[int, int]], warn: Warn
    ) -> Iterator[Finding]:
        """Base64 tokens decoded in place, and the rules run again on the result where it was
        decoded; a finding in a decoded token is reported at the token.  ``keyword``: a
        keyword is in the text or its path (else only a Base64 trigger in the text sends it to
        the decoder, as the prefilter would); ``taken``: spans already reported as written (a
        credential that happens to be valid Base64 is not decoded)."""
        if not keyword and not self._trigger(t.low):
            return
        pieces: list[str] = []
        spans: list[tuple[int, int, int, int]] = []  # new start/end, original start/end
        last = 0
        out_len = 0
        for start, end in b64_tokens(t.text):
            if (end - start) % 4 or end - start > B64_MAX:
                continue
            if any(a < end and start < b for a, b in taken):
                continue
            try:
                decoded = binascii.a2b_base64(t.text[start:end], strict_mode=True).decode("ascii")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            if not _PRINTABLE.match(decoded):
                continue
            before = t.text[last:start]
            pieces.append(before)
            out_len += len(before)
            spans.append((out_len, out_len + len(decoded), start, end))
            pieces.append(decoded)
            out_len += len(decoded)
            last = end
            if len(spans) > 1000:
                break
        if not spans:
            return
        pieces.append(t.text[last:])
        derived_text = "".join(pieces)
        derived = _Text(t.frag, derived_text, fold(derived_text), t.path_low)
        # a finding is kept only where its value starts in a decoded token: the regions away
        # from every token were read in the plain text already
        within = [(s, e) for s, e, _, _ in spans]
        for (_, (pos, _)), f in self._scan_text(derived, warn, within=within):
            for new_s, new_e, orig_s, orig_e in spans:
                if new_s <= pos < new_e:
                    moved = _moved(f, t, orig_s, orig_e)
                    yield moved.with_(encoding="base64", written=t.text[orig_s:orig_e])
                    break


# Words that fill e-commerce code: a needle inside one of them would match nearly every file
# (``merchant`` for merchant-serial-number, ``epay`` of repayment), so the cover avoids them.
_COMMON = (
    "merchant",
    "payment",
    "repayment",
    "prepay",
    "secret",
    "public",
    "client",
    "http",
    "store",
    "order",
    "account",
    "number",
    "string",
    "value",
)


def _needles(words: Sequence[bytes]) -> tuple[tuple[bytes, tuple[tuple[bytes, int], ...]], ...]:
    """The cover of the words (bytes, read one character per byte so offsets are byte offsets),
    each needle with the words that hold it and where."""
    return tuple(
        (n, tuple((w, w.index(n)) for w in words if n in w))
        for n in (c.encode("latin-1") for c in _cover([w.decode("latin-1") for w in words]))
    )


def _cover(words: Sequence[str]) -> list[str]:
    """A few substrings (of 4+ characters) such that every word contains one: greedy set cover
    over needles that are not part of an everyday word (then the widest cover, then longest)."""
    holders: dict[str, set[str]] = {}  # candidate needle -> the words that contain it
    for w in set(words):
        for i in range(len(w)):
            for j in range(i + min(4, len(w)), len(w) + 1):
                holders.setdefault(w[i:j], set()).add(w)
    rare = {c: not any(c in common for common in _COMMON) for c in holders}
    left, out = set(words), []
    while left:
        best = max(
            sorted(c for c, ws in holders.items() if ws & left),
            key=lambda c: (rare[c], len(holders[c] & left), len(c)),
        )
        out.append(best)
        left -= holders[best]
    return out


def _touching(
    regions: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The regions (sorted, apart) in which a value can start inside one of the spans (sorted,
    apart): a region ``lo..hi`` holds values starting from ``lo`` to ``hi``."""
    starts = [s for s, _ in spans]
    out = []
    for lo, hi in regions:
        i = bisect.bisect_right(starts, hi) - 1  # the last span starting by hi ends last
        if i >= 0 and spans[i][1] > lo:
            out.append((lo, hi))
    return out


def _ignore(msg: str) -> None:
    pass


# Languages in which a line ending in `name:` opens no named block (`else:`, `try:`), so the
# structure step does not read one there.  A use of the path: ``path_signature`` includes it.
_NO_COLON_BLOCKS = (".py", ".pyw", ".pyi")


def _colon_blocks(path_low: str) -> bool:
    return not path_low.endswith(_NO_COLON_BLOCKS)
