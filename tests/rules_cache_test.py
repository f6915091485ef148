"""The built-in packs' parsed tables and compiled regexes are cached per content
(``scanner.cache``): the cache only ever saves the work, so a missing, damaged, foreign or
unwritable cache changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner import cache as cache_mod
from scanner import rules


def _summary() -> list[tuple[str, str, tuple[str, ...]]]:
    return [(r.id, r.pattern.source, r.keywords) for r in rules.load_rules()]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "lekk"


def test_the_packs_load_the_same_from_toml_and_from_the_cache(cache: Path) -> None:
    first = _summary()
    files = sorted(cache.glob("pack-*.marshal"))
    assert len(files) == len(rules.builtin_pack_paths())
    stamps = [f.stat().st_mtime_ns for f in files]
    assert _summary() == first
    assert [f.stat().st_mtime_ns for f in files] == stamps  # read back, not written again


def test_a_damaged_cache_entry_is_parsed_again_and_replaced(cache: Path) -> None:
    first = _summary()
    for f in cache.glob("pack-*.marshal"):
        f.write_bytes(b"\x00garbage")
    assert _summary() == first
    for f in cache.glob("pack-*.marshal"):
        f.write_bytes(b"")
    assert _summary() == first
    for f in cache.glob("pack-*.marshal"):  # valid marshal data, not a pack's tables
        f.write_bytes(b"N")
    assert _summary() == first


def test_an_unwritable_cache_changes_nothing(cache: Path) -> None:
    cache.parent.mkdir(exist_ok=True)
    cache.write_text("a file where the folder should be")
    assert _summary()
    os.environ["XDG_CACHE_HOME"] = "/proc/no-such-place"
    assert _summary()


def test_a_user_pack_is_never_cached(cache: Path, tmp_path: Path) -> None:
    pack = tmp_path / "mine.toml"
    pack.write_text(
        '[[rules]]\nid = "mine"\nname = "Mine"\nprovider = "x"\nkind = "secret"\n'
        'severity = "error"\nconfidence = "high"\nkeywords = ["mine_"]\n'
        'pattern = "mine_(?P<secret>[a-z]{8})"\nreferences = ["https://example.com"]\n'
        'remediation = {url = "https://example.com", action = "Revoke it."}\n'
    )
    rules.load_packs([pack])
    assert len(list(cache.glob("pack-*.marshal"))) == len(rules.builtin_pack_paths())


def _compiled_all() -> list[tuple[str, object, dict[str, int], list[str]]]:
    """Every built-in pattern compiled, with what it matches in its rule's examples."""
    out = []
    for r in rules.load_rules():
        for p in (r.pattern, *r.context_any, *r.context_all, *r.context_none):
            c = p.compile()
            texts = [e.text for e in (*r.examples, *r.negative_examples)]
            out.append(
                (
                    p.source,
                    c.flags,
                    dict(c.groupindex),
                    [m.group(0) for t in texts for m in c.finditer(t, timeout=5)],
                )
            )
    return out


def test_a_cached_regex_matches_as_the_compiled_one(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _compiled_all()  # compiled, and kept
    kept = sorted(cache.glob("regex-*.marshal"))
    assert kept
    stored: list[str] = []
    real_store = cache_mod.store
    monkeypatch.setattr(cache_mod, "store", lambda *a: stored.append(a[0]) or real_store(*a))
    assert _compiled_all() == first  # from the cache: the same flags, groups and matches
    assert stored == []  # every entry read back, none compiled and written again
    for f in kept:  # damaged entries: compiled again, the same
        f.write_bytes(b"\x00garbage")
    assert _compiled_all() == first
    for f in kept:  # valid data that is no compiled pattern's
        f.write_bytes(b"N")
    assert _compiled_all() == first


def test_lekk_no_cache_keeps_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEKK_NO_CACHE", "1")
    assert _compiled_all()
    assert not cache.exists()


def test_a_relative_cache_setting_writes_nothing_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The current directory may be the scanned repository: lekk writes nothing there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    assert _compiled_all()
    assert list(tmp_path.iterdir()) == []
