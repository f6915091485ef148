"""The fast ``Engine.path_signature`` (``GlobSet``, ``PatternSet``) says what the slow one said:
every glob through ``path_matches``, every pattern searched, every keyword looked for.

Checked over thousands of generated paths made of the pieces the built-in packs' globs and
patterns look for (and their neighbours: other letter cases, the non-ASCII letters that match
ASCII ones case-insensitively, archive members, a literal ``**``), against every glob and path
pattern of the built-in packs and some odd ones.  ``required``'s strings are checked to be
necessary on every pattern of the built-in packs over their own examples.
"""

from __future__ import annotations

import random
import string
from functools import cache

import pytest
import regex

from scanner.casefold import fold
from scanner.engine import Engine, _colon_blocks
from scanner.globs import GlobSet, path_matches
from scanner.literals import PatternSet, fold_ascii, required
from scanner.rules import Pattern, Rule, load_rules

ODD_GLOBS = (
    "/**",
    "**",
    "*",
    "",
    "a?c",
    "[!a]*.md",
    "x[",
    "[]]x",
    "**/[dt]ocs/**",
    "src/*/api/**",
    "**/**/x",
    "*.zip",
    "doc*/**",
    "?",
)
ODD_PATTERNS = (
    r"(?<![a-z])vipps(?![a-z])",
    r"\bspec\b|^docs?/",
    r"(?:foo){e<=1}",  # fuzzy in `regex`: no requirement
    r"[[:alpha:]]{3}\.md",  # a POSIX class in `regex`
    r"\p{Lu}ipps",  # `regex` syntax only
    r"(?x) mobile \s* pay  # a comment",
    r"KEY|ſecret|İd",
    r"(?:a|b)+(?:cd|ce)?x?",
    r"$^",
)
# the pieces of generated paths (words the globs and patterns look for, and neighbours)
WORDS = (
    "test tests Test TEST spec Spec __tests__ doc docs api server client browser components"
    " frontend dist build public assets _next middleware route +server openapi swagger vipps VIPPS"
    " MobilePay sagapay x-merchant-id merchant_id ecomm v2 accesstoken get epayment v1 sgs_live_"
    " spk_test_ .env envrc src a b http: https: ** ſpec KEY İd ıd ø window import.meta.env"
)
ENDINGS = (
    ".md .MD .mdx .html .htm .tsx .jsx .js .ts .mjs .vue .svelte .map .py .rb _spec.rb _test.go"
    " .test.ts .spec.js .server.ts Spec.java Test.kt Tests.cs .example .local .env .adoc .rst .yaml"
)
PIECES = (*WORDS.split(), "use client")
SUFFIXES = ("", *ENDINGS.split())


def _paths(n: int, seed: int) -> list[str]:
    r = random.Random(seed)
    out = ["", ".env", ".env.example", ".env.local.example", "doc", "docs", "**/api", "a.zip!x.md"]
    for _ in range(n):
        parts = [
            r.choice(PIECES) + r.choice(("", "", "_x", "-1", ".d")) for _ in range(r.randint(0, 4))
        ]
        name = r.choice((*PIECES, "index", "README", "test_main", "x", "")) + r.choice(SUFFIXES)
        path = "/".join([*parts, name])
        roll = r.random()
        if roll < 0.1:
            path += "!" + r.choice(("dist/app.js", "docs/x.md", "a!b"))
        elif roll < 0.15:
            path = path.upper()
        elif roll < 0.2:
            path += "/"
        elif roll < 0.25:
            path = "".join(r.choice(string.printable[:-5]) for _ in range(r.randint(0, 30)))
        out.append(path)
    return out


@cache
def _rules() -> tuple[Rule, ...]:
    return tuple(load_rules())


def _builtin_globs() -> list[str]:
    globs = {g.removeprefix("!") for r in _rules() for g in r.paths}
    globs |= {g for r in _rules() for a in r.allowlists for g in a.paths}
    return sorted(globs)


def _builtin_path_patterns() -> list[Pattern]:
    found = {p.source: p for r in _rules() for p in (*r.context_any, *r.context_all)}
    return [found[s] for s in sorted(found)]


def test_globset_agrees_with_path_matches() -> None:
    globs = [*_builtin_globs(), *ODD_GLOBS]
    assert len(globs) > 60
    fast = GlobSet(globs)
    for path in _paths(4000, 1):
        slow = frozenset(i for i, g in enumerate(globs) if path_matches(path, g))
        assert fast.matching(path) == slow, (path, [globs[i] for i in fast.matching(path) ^ slow])


def test_globset_matches_what_the_packs_mean() -> None:
    """Not only the same as path_matches, but what a reader of the packs expects."""
    s = GlobSet(["docs/**", "*.md", "**/test/**", ".env.*"])
    assert s.matching("docs") == s.matching("docs/a/b.txt") == {0}
    assert s.matching("a/b/README.md") == s.matching("README.md") == {1}
    assert s.matching("src/test/x.py") == s.matching("test/x.py") == {2}
    assert s.matching("app.zip!docs/x.md") == frozenset()  # a member goes by its archive
    assert s.matching("docs.zip!x") == frozenset() and s.matching("docs/a.zip!x") == {0}
    assert s.matching(".env.local") == {3} and s.matching("a/.env") == frozenset()


def test_patternset_agrees_with_searching_each() -> None:
    patterns = [
        *_builtin_path_patterns(),
        *(Pattern(p, regex.IGNORECASE | regex.VERSION0) for p in ODD_PATTERNS),
        Pattern("vipps", regex.IGNORECASE | regex.VERSION0 | regex.FULLCASE),
    ]
    fast = PatternSet(patterns)
    for path in _paths(4000, 2):
        slow = frozenset(i for i, p in enumerate(patterns) if p.search(path))
        assert fast.matching(path) == slow, (path, fast.matching(path) ^ slow)


def test_required_strings_are_in_every_match_of_the_packs_patterns() -> None:
    """Every regex of the built-in packs, on every example text: where it matches, one of its
    required strings is in the folded text (a requirement that is not one would make the
    signature miss a pattern)."""
    texts = [ex.text for r in _rules() for ex in (*r.examples, *r.negative_examples)]
    texts += [ex.path for r in _rules() for ex in (*r.examples, *r.negative_examples)]
    checked = 0
    for r in _rules():
        pats = [r.pattern, *r.context_any, *r.context_all, *r.context_none, *r.test_nearby]
        for p in pats:
            needs = required(p.source)
            if needs is None:
                continue
            for text in texts:
                m = p.compile().search(text)
                if m is not None:
                    checked += 1
                    assert any(n in fold_ascii(m.group()) for n in needs), (r.id, p.source, text)
    assert checked > 100


@pytest.mark.parametrize(
    ("source", "needs"),
    [
        ("vipps|mobilepay", ("mobilepay", "vipps")),
        ("spk_(?:live|test)_[a-z]{8}", ("spk_live_", "spk_test_")),
        ("(?<![a-z])x[_-]?y", ("x",)),
        ("x[_-]y|z", ("x-y", "x_y", "z")),
        ("(?:a|)vipps", ("avipps", "vipps")),
        (r"\bsgs_(?:live_|test_)?[A-Z]{4}", ("sgs_",)),
        ("(?i)Sagapay[_-]?key", ("sagapay",)),
        ("(?:vipps)?x", ("x",)),
        ("(?:vipps)?", None),
        ("a*", None),
        ("(?:foo){e<=1}", None),
        ("[[:alpha:]]x", None),
        (r"\p{L}vipps", None),
        ("(?V1)vipps", None),
        ("é|vipps", None),
        ("vipps(", None),
    ],
)
def test_required(source: str, needs: tuple[str, ...] | None) -> None:
    assert required(source) == needs


def test_fold_ascii_covers_every_case_insensitive_match_of_an_ascii_letter() -> None:
    """``regex`` with IGNORECASE matches an ASCII letter with these code points and no others;
    ``fold_ascii`` must fold each to the letter's lowercase."""
    every = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    for a in string.ascii_letters + string.digits + string.punctuation:
        pat = regex.compile(regex.escape(a), regex.IGNORECASE | regex.VERSION0)
        for m in pat.finditer(every):
            assert fold_ascii(m.group()) == a.lower(), (a, hex(ord(m.group())))


def test_path_signature_is_the_slow_one() -> None:
    """The whole signature against one computed the slow way, as it was before the fast one."""
    engine = Engine(_rules())
    globs = _builtin_globs()
    patterns = _builtin_path_patterns()
    for path in _paths(3000, 3):
        low = fold(path)
        slow = (
            frozenset(w for w in engine.keywords if w in low),
            frozenset(i for i, g in enumerate(globs) if path_matches(path, g)),
            frozenset(i for i, p in enumerate(patterns) if p.search(path)),
            _colon_blocks(low),
        )
        assert engine.path_signature(path) == slow, path
