"""False-positive filters: named predicates over a finding, applied after the engine.

Each ``is_*`` predicate answers one question about a value; ``drop_reason`` runs them in order
and names the first that fires, so ``--verbose`` can say why a candidate was dropped.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import regex

from scanner.allow import body, value_words
from scanner.finding import Finding, secret_hash
from scanner.globs import path_matches

# Words that mark a value as a stand-in, in English and the Nordic languages.  They count only
# as whole words of the value (split at case changes, digits and punctuation), so a random secret
# that happens to contain "fAKe" or "LTODo" is still a secret: no cliff.  Long stems match the
# start of a word ("Hemmeligheten"), short ones the whole word.
_PLACEHOLDER_STEMS = (
    "placeholder",
    "changeme",
    "example",
    "dummy",
    "sample",
    "redacted",
    "replace",
    "insert",
    "fixme",
    "hemmelig",
    "hemlig",
    "nokkel",
    "nøkkel",
    "nyckel",
    "nøgle",
    "noegle",
    "erstatt",
    "ersatt",
    "ersätt",
    "indsaet",
    "indsæt",
    "settinn",
    "salainen",
    "salasana",
    "avain",
)
_PLACEHOLDER_WORDS = frozenset({"your", "here", "todo", "fake", "change", "tahan", "tähän"})
_PLACEHOLDER_MARKS = re.compile(r"x{6,}|X{6,}|\*\*\*|<|>|\$\{|\{\{|%\(|\s")
_KEYBOARD_ROWS = (
    "qwertyuiopasdfghjklzxcvbnm",
    "1234567890",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1q2w3e4r5t6y7u8i9o0p",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
_SEQUENCES = (string.digits + string.ascii_lowercase, string.ascii_lowercase, string.digits)


def is_placeholder(value: str, prefixes: Sequence[str] = ()) -> bool:
    """A stand-in, not a value: template marks, whitespace, stand-in words (``prefixes``: the
    rule's known prefixes, not part of what is judged)."""
    rest = body(value, prefixes)
    if not rest.strip() or _PLACEHOLDER_MARKS.search(rest):
        return True
    for low in value_words(rest):
        if low in _PLACEHOLDER_WORDS or (len(low) > 4 and low.startswith(_PLACEHOLDER_STEMS)):
            return True
    return False


def _has_run(text: str, alphabet: str, length: int) -> bool:
    for i in range(len(alphabet) - length + 1):
        chunk = alphabet[i : i + length]
        if chunk in text or chunk[::-1] in text:
            return True
    return False


def is_obvious_fake(value: str, prefixes: Sequence[str] = ()) -> bool:
    """Repeated characters, short repeating units, sequential digits or letters, keyboard walks."""
    rest = body(value, prefixes).rstrip("=").lower()
    if len(rest) < 6:
        return True
    if len(set(rest)) <= 3:
        return True
    for unit in range(1, len(rest) // 2 + 1):  # "deadbeef" * 4: a random key never repeats
        if rest == (rest[:unit] * (len(rest) // unit + 1))[: len(rest)]:
            return True
    if any(_has_run(rest, seq, 8) for seq in _SEQUENCES):
        return True
    return any(_has_run(rest, row, 8) for row in _KEYBOARD_ROWS)


def inline_ignored(finding: Finding) -> bool:
    s = finding.suppressions
    return "*" in s or not s.isdisjoint(finding.rule_ids)


VALUE_FILTERS: dict[str, Callable[[str, Sequence[str]], bool]] = {
    "placeholder": is_placeholder,
    "obvious fake": is_obvious_fake,
}


def drop_reason(finding: Finding) -> str | None:
    """Why a raw engine finding is not a real leak, or None to keep it."""
    if inline_ignored(finding):
        return "lekk:ignore"
    if finding.allowed:  # one of the rule's own allowlists (its pack's documentation examples)
        return finding.allowed
    if finding.rule.is_secret:
        for name, pred in VALUE_FILTERS.items():
            if pred(finding.secret, finding.rule.prefixes):
                return name
    return None


ALLOW_TIMEOUT = 1.0  # seconds for one allowlist regex on one value


@dataclass(frozen=True)
class AllowEntry:
    """A config allowlist entry: exactly one of path glob, value regex or value hash; or none of
    them, for every finding of ``rules`` (a test-key id in the config's ``disable``)."""

    reason: str
    path: str | None = None
    value: regex.Pattern[str] | None = None
    hash: str | None = None
    rules: frozenset[str] = frozenset()

    def matches(self, finding: Finding, path: str | None = None) -> bool:
        """``path``: the finding's path relative to its root, when that differs."""
        if self.rules and self.rules.isdisjoint(finding.rule_ids):
            return False
        if self.path is not None:
            return path_matches(finding.path if path is None else path, self.path)
        if self.value is not None:  # a user's regex: bounded in time (TimeoutError)
            return bool(self.value.search(finding.secret, timeout=ALLOW_TIMEOUT))
        if self.hash is not None:
            return self.hash in (finding.secret_hash, finding.fingerprint)
        return bool(self.rules)


def apply(
    findings: Iterable[Finding],
    allowlist: Iterable[AllowEntry] = (),
    on_drop: Callable[[Finding, str], None] | None = None,
    local: Callable[[str], str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[Finding]:
    """The findings no filter drops; ``local`` maps a reported path to the one the allowlist's
    globs match (relative to its root).  An allowlist regex that runs out of time does not match
    (the finding is kept, ``warn`` says so) and is not tried again."""
    entries = list(allowlist)
    for f in findings:
        reason = drop_reason(f)
        path = local(f.path) if local is not None and reason is None else None
        for entry in list(entries) if reason is None else ():
            try:
                if entry.matches(f, path):
                    reason = f"allowlisted: {entry.reason}"
                    break
            except TimeoutError:
                entries.remove(entry)
                if warn is not None:
                    pattern = entry.value.pattern if entry.value is not None else "?"
                    warn(
                        f"allowlist regex {pattern!r} took over {ALLOW_TIMEOUT:g}s on a "
                        "value; not applied"
                    )
        if reason is None:
            yield f
        elif on_drop is not None:
            on_drop(f, reason)


def unknown_suppressions(findings: Iterable[Finding], known: set[str]) -> list[str]:
    """One warning per ``lekk:ignore`` naming a rule id that does not exist (a typo silences
    nothing), with the closest real ids."""
    import difflib

    out: dict[tuple[str, int, str], str] = {}
    for f in findings:
        for rid in sorted(f.suppressions - {"*"} - known):
            close = difflib.get_close_matches(rid, sorted(known), n=2, cutoff=0.6)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            out.setdefault(
                (f.path, f.line, rid),
                f"{f.path}:{f.line}: lekk:ignore names unknown rule id {rid!r}{hint}",
            )
    return [out[k] for k in sorted(out)]


__all__ = [
    "AllowEntry",
    "apply",
    "drop_reason",
    "path_matches",
    "secret_hash",
    "unknown_suppressions",
]
