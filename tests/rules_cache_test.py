"""The built-in packs' parsed tables are cached per content (``rules._parsed``): the cache only
ever saves the TOML parse, so a missing, damaged, foreign or unwritable cache changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
