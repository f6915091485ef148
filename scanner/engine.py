"""Pure detection: rules + one fragment -> findings.  No I/O, no globals.

Speed comes from not looking.  A rule runs on a fragment only when one of its ``keywords`` is in
the lowercased text or path, and its regex runs only on small regions around the occurrences of
its ``anchors``, so a multi-megabyte single line costs a few substring searches, not a regex pass.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import html
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import regex

from scanner import fastscan, provider_context
from scanner.finding import Finding
from scanner.globs import path_matches
from scanner.rules import SEARCH_TIMEOUT, Rule
from scanner.sources import TOKEN_MAX, TOKEN_PUNCT, Fragment, Warn
from scanner.sources.own_report import MARK as OWN_REPORT

NEARBY_CHARS = 1500  # "nearby" is capped in characters too, for minified one-line files
REGEX_TIMEOUT = 5.0  # seconds per region; a pathological input warns instead of hanging
MAX_FINDINGS = 1000  # per rule and file; past this a rule's findings are noise or an attack
MAX_ANCHORS = 20_000
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
# (the standard library's `re` runs these simple patterns about 4x faster than `regex`)
_B64_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_PRINTABLE = re.compile(r"^[\x21-\x7e]{8,200}$")
_NEWLINE = re.compile("\n")
SAGAPAY_PREFIXES = (
    b"spk_live_",
    b"spk_test_",
    b"sps_live_",
    b"sps_test_",
    b"spay_live_",
    b"spay_test_",
    b"sg_live_",
    b"sg_test_",
    b"sgs_",
)


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


# So that an encoded key with no plain-text hint (a Kubernetes Secret with bland names, a
# base64-encoded .env) still reaches the decoder.
B64_TRIGGERS = tuple(f for p in SAGAPAY_PREFIXES for f in b64_forms(p))


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # a few code points (U+0130) lower to two; keep offsets aligned by lowering ASCII only
    return text.translate({c: c + 32 for c in range(65, 91)})


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
        lo, hi = self.nearby_bounds(start, end, lines)
        return self.text[lo:hi]

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


class Engine:
    """Compiled rule set.  ``scan(fragment)`` returns raw findings (filters come after)."""

    def __init__(self, rules: Sequence[Rule], *, extension: bool = True) -> None:
        self.rules = tuple(rules)
        self.keywords = tuple(sorted({k for r in self.rules for k in r.keywords}))
        self._globs = tuple(g for r in self.rules for g in r.paths)
        self._path_contexts = tuple(p for r in self.rules for p in r.context_any)
        self._signals = provider_context.signals(self.rules)
        # the file being scanned (fragments of one path in a row, from its first): findings
        # per rule id, and the rules stopped for it
        self._file: str | None = None
        self._found: Counter[str] = Counter()
        self._stopped: set[str] = set()
        words = (*self.keywords, *B64_TRIGGERS)
        # one pass in C when the extension is built (scanner/fastscan.py) ...
        self._search = fastscan.compile_search(w.encode() for w in words) if extension else None
        # ... else needle -> (word, offset of the needle in the word) for the words holding it
        self._needles = () if self._search else _needles(words)

    def prefilter(self, data: str | bytes, path_low: str = "") -> bool:
        """True when any rule could match: the cheap test run over raw bytes before decoding.

        ``data`` is the raw text (any case); ``path_low`` the lowercased path.  The hot path of
        a scan.  With the C extension, one pass finds any keyword or Base64 trigger, ASCII
        case-insensitively.  Without it, the data is lowercased and a few needles that between
        them occur in every keyword (e.g. ``_live_`` for all the SagaPay prefixes) are searched,
        one ``bytes.find`` each (21 with the built-in packs, not one per keyword and Base64 form:
        54); where a needle occurs, the keywords that contain it are checked in place.
        """
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        for k in self.keywords:
            if k in path_low:
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

    def path_signature(self, path: str) -> tuple[frozenset[object], ...]:
        """What the rules see of a path (the keywords in it, the ``paths`` globs and
        ``context.any`` patterns it matches): content gives the same findings under any two
        paths with the same signature.  Most paths have the empty one."""
        low = path.lower()
        return (
            frozenset(w for w in self.keywords if w in low),
            frozenset(i for i, g in enumerate(self._globs) if path_matches(path, g)),
            frozenset(i for i, p in enumerate(self._path_contexts) if p.search(path)),
        )

    def scan(self, frag: Fragment, warn: Warn | None = None) -> list[Finding]:
        """Raw findings (the filters come after); ``warn`` hears of a rule that timed out or
        was stopped for the file."""
        if frag.path != self._file or (frag.line, frag.column) == (1, 1):
            self._file = frag.path  # a new file (a git blob, a member) starts its own count
            self._found.clear()
            self._stopped.clear()
        t = _Text(frag, frag.text, _lower(frag.text), frag.path.lower())
        say = warn or _ignore
        found = [f for _, f in self._scan_text(t, say)]
        decoded = list(self._scan_decoded(t, say))
        if decoded:  # a Base64 value that decodes to a secret is reported decoded, not as itself
            spots = {(f.line, f.column) for f in decoded}
            found = [f for f in found if (f.line, f.column) not in spots]
        return found + decoded

    # -- plain text -------------------------------------------------------------------------

    def _active(self, t: _Text) -> Iterator[Rule]:
        present = {k for k in self.keywords if k in t.low or k in t.path_low}
        if not present:
            return
        own_report = t.frag.extra.get(OWN_REPORT, False)  # lekk's report: secret rules only
        for rule in self.rules:
            if own_report and not rule.is_secret:
                continue
            if rule.client_side_only:
                # a client-side-only rule's ``paths`` name more browser code (components)
                if not t.frag.client_side and not (
                    rule.paths and _path_ok(t.frag.path, rule.paths)
                ):
                    continue
            elif rule.paths and not _path_ok(t.frag.path, rule.paths):
                continue
            if any(k in present for k in rule.keywords):
                yield rule

    def _regions(self, t: _Text, rule: Rule) -> list[tuple[int, int]]:
        before, after = rule.region
        hits: list[int] = []
        for a in rule.anchors:
            i = t.low.find(a)
            while i >= 0 and len(hits) < MAX_ANCHORS:
                hits.append(i)
                i = t.low.find(a, i + 1)
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

    def _scan_text(self, t: _Text, warn: Warn) -> Iterator[tuple[int, Finding]]:
        for rule in self._active(t):
            if rule.id not in self._stopped:
                yield from self._scan_rule(t, rule, warn)

    def _scan_rule(self, t: _Text, rule: Rule, warn: Warn) -> Iterator[tuple[int, Finding]]:
        """One rule over the regions of its anchors.  A rule that reports MAX_FINDINGS in one
        file, or whose context pattern runs past its time limit, is stopped for that file
        with one warning: a hostile file costs time in its size, not in its findings."""
        seen: set[tuple[int, int]] = set()
        for lo, hi in self._regions(t, rule):
            try:
                matches = list(rule.pattern.finditer(t.text, lo, hi, timeout=REGEX_TIMEOUT))
            except TimeoutError:
                warn(f"{t.frag.path}: rule {rule.id} timed out; skipped")
                continue
            for m in matches:
                group = "secret" if "secret" in rule.pattern.groupindex else 1
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
                if f is None:
                    continue
                self._found[rule.id] += 1
                if self._found[rule.id] > MAX_FINDINGS:
                    self._stop(t, rule, f"more than {MAX_FINDINGS} findings", warn)
                    return
                yield span[0], f

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
        near = t.nearby(m.start(), m.end(), rule.window)
        if any(p.search(near) for p in rule.context_none):
            return None
        if rule.context_any and not any(
            p.search(t.frag.path) or p.search(near) for p in rule.context_any
        ):
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
            extra=dict(t.frag.extra),
            written=written if written != secret else "",
        )

    # -- base64-encoded values (Kubernetes Secrets and the like) ----------------------------

    def _scan_decoded(self, t: _Text, warn: Warn) -> Iterator[Finding]:
        if not self.prefilter(t.low, t.path_low):
            return
        pieces: list[str] = []
        spans: list[tuple[int, int, int, int]] = []  # new start/end, original start/end
        last = 0
        out_len = 0
        for m in _B64_TOKEN.finditer(t.text):
            token = m.group()
            if len(token) % 4:
                continue
            try:
                decoded = base64.b64decode(token, validate=True).decode("ascii")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            if not _PRINTABLE.match(decoded):
                continue
            before = t.text[last : m.start()]
            pieces.append(before)
            out_len += len(before)
            spans.append((out_len, out_len + len(decoded), m.start(), m.end()))
            pieces.append(decoded)
            out_len += len(decoded)
            last = m.end()
            if len(spans) > 1000:
                break
        if not spans:
            return
        pieces.append(t.text[last:])
        derived_text = "".join(pieces)
        derived = _Text(t.frag, derived_text, _lower(derived_text), t.path_low)
        for pos, f in self._scan_text(derived, warn):
            for new_s, new_e, orig_s, orig_e in spans:
                if new_s <= pos < new_e:
                    line, col = t.line_col(orig_s)
                    end_line, end_col = t.line_col(orig_e)
                    yield f.with_(
                        line=line,
                        column=col,
                        end_line=end_line,
                        end_column=end_col,
                        encoding="base64",
                        written=t.text[orig_s:orig_e],
                        snippet=_snippet(t, orig_s, orig_e),
                        suppressions=_suppressions(t, orig_s),
                    )
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


def _needles(words: Sequence[str]) -> tuple[tuple[bytes, tuple[tuple[bytes, int], ...]], ...]:
    return tuple(
        (n.encode(), tuple((w.encode(), w.index(n)) for w in words if n in w))
        for n in _cover(words)
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


def _ignore(msg: str) -> None:
    pass


def _path_ok(path: str, globs: Sequence[str]) -> bool:
    """Any of the globs matches and no ``!glob`` does (``[".env.*", "!.env.example"]``)."""
    if any(g.startswith("!") and path_matches(path, g[1:]) for g in globs):
        return False
    wanted = [g for g in globs if not g.startswith("!")]
    return not wanted or any(path_matches(path, g) for g in wanted)
