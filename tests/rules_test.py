"""Rule packs: the built-ins pass their own check; a broken pack fails with one exact line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import lekk

from scanner.errors import RuleError
from scanner.rulecheck import check_packs
from scanner.rules import load_pack, load_rules

DATA = Path(__file__).parent / "testdata" / "rules"
INVALID = sorted((DATA / "invalid").glob("*.toml"))


def _like(text: str, pattern: str) -> bool:
    """Exact match, except that '*' in the pattern stands for any text (e.g. a parser's detail)."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), text) is not None


def _expected(path: Path) -> tuple[bool, str]:
    """First line: '# error: MESSAGE'; 'CHECK ' marks a problem found by running the examples."""
    msg = path.read_text().splitlines()[0].removeprefix("# error: ")
    at_check = msg.startswith("CHECK ")
    return at_check, msg.removeprefix("CHECK ").replace("{path}", str(path))


def test_builtin_rules_have_the_public_ids() -> None:
    ids = [r.id for r in load_rules()]
    assert ids[:4] == [
        "vipps-client-secret",
        "vipps-subscription-key",
        "sagapay-api-key",
        "sagapay-api-secret",
    ]
    assert len(ids) == len(set(ids))
    for r in load_rules():
        assert r.what and r.why and r.fix and r.remediation.url.startswith("https://")


def test_builtin_packs_pass_their_check() -> None:
    rules, problems = check_packs()
    assert problems == [] and len(rules) >= 4
    r = lekk("rules", "check")
    assert r.returncode == 0 and r.stdout.endswith("examples checked)\n"), r.stderr


def test_valid_user_pack() -> None:
    [rule] = load_pack(DATA / "valid.toml")
    assert (rule.id, rule.provider, rule.remediation.action) == (
        "acme-api-key",
        "Acme Pay",
        "Rotate the key in the Acme dashboard.",
    )
    assert check_packs([DATA / "valid.toml"])[1] == []


def test_invalid_packs_are_many() -> None:
    assert len(INVALID) >= 15


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_pack_message(path: Path) -> None:
    at_check, want = _expected(path)
    _, problems = check_packs([path])
    assert len(problems) == 1 and _like(problems[0], want), problems
    if not at_check:  # the function a scan loads packs with says the same
        with pytest.raises(RuleError) as exc:
            load_rules([path])
        assert _like(str(exc.value), want)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_pack_on_the_command_line(path: Path, tmp_path: Path) -> None:
    at_check, want = _expected(path)
    r = lekk("rules", "check", str(path))
    assert r.returncode == 2
    first, *rest = r.stderr.splitlines()
    assert rest == ["lekk: error: 1 problem(s) in the rule packs"]
    assert _like(first, want)
    if at_check:
        return
    # the same pack named in a config: the scan stops before it starts, one line, exit 2
    (tmp_path / ".lekk.toml").write_text(f"rules = [{str(path)!r}]\n")
    (tmp_path / "a.txt").write_text("hello\n")
    r = lekk("scan", str(tmp_path))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert _like(r.stderr.strip(), "lekk: error: " + want)


def test_missing_pack_on_the_command_line(tmp_path: Path) -> None:
    r = lekk("rules", "check", str(tmp_path / "nope.toml"))
    want = f"lekk: error: {tmp_path / 'nope.toml'}: rule pack does not exist\n"
    assert (r.returncode, r.stderr) == (2, want)
