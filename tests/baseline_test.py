"""``lekk baseline`` and ``--baseline FILE``: content-based identity that survives edits and history."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import helpers
from helpers import git, lekk, lekk_json

from scanner.finding import secret_hash


def fake(prefix: str) -> str:
    return helpers.fake(prefix, 24)


def project(tmp_path: Path) -> tuple[Path, str, str]:
    tmp_path.mkdir(exist_ok=True)
    key, secret = fake("spk_live_"), fake("sps_live_")
    (tmp_path / "settings.py").write_text(
        f'# SagaPay\nSAGAPAY_API_KEY = "{key}"\nSAGAPAY_API_SECRET = "{secret}"\n', encoding="utf-8"
    )
    (tmp_path / "orders.js").write_text(
        'const BASE = "http://api.sagapay.no/v1";\n', encoding="utf-8"
    )
    return tmp_path, key, secret


def scan(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return lekk(
        "scan", ".", "--baseline", ".lekk-baseline.json", "--format", "json", *args, cwd=root
    )


def hits(r: subprocess.CompletedProcess[str]) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in json.loads(r.stdout)["findings"]}


def test_create_writes_sorted_hashed_entries_and_nothing_else(tmp_path: Path) -> None:
    root, key, secret = project(tmp_path)
    r = lekk("baseline", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "wrote 3 entries" in r.stderr
    text = (root / ".lekk-baseline.json").read_text(encoding="utf-8")
    assert key not in text and secret not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}", text), "no timestamps"
    data = json.loads(text)
    assert set(data) == {"version", "tool", "salt", "entries"}
    assert data["version"] == 2 and re.fullmatch(r"[0-9a-f]{32}", data["salt"])
    assert data["entries"] == sorted(
        data["entries"], key=lambda e: (e["path"], e["rule"], e["secret_hash"])
    )
    assert {(e["rule"], e["path"]) for e in data["entries"]} == {
        ("sagapay-api-key", "settings.py"),
        ("sagapay-api-secret", "settings.py"),
        ("sagapay-insecure-http", "orders.js"),
    }
    assert all(set(e) == {"rule", "path", "secret_hash"} for e in data["entries"])
    salted = {secret_hash(key, data["salt"]), secret_hash(secret, data["salt"])}
    assert {e["secret_hash"] for e in data["entries"]} >= salted
    assert lekk("baseline", cwd=root).returncode == 0
    assert (root / ".lekk-baseline.json").read_text(encoding="utf-8") == text, "stable output"


def test_each_baseline_has_its_own_salt_and_update_keeps_it(tmp_path: Path) -> None:
    """A public baseline's hashes are not those of the fixed salt every copy of lekk knows, nor
    those of another repository's baseline holding the same value."""
    a, key, secret = project(tmp_path / "a")
    b = tmp_path / "b"
    b.mkdir()
    (b / "settings.py").write_text((a / "settings.py").read_text(encoding="utf-8"))
    for root in (a, b):
        assert lekk("baseline", cwd=root).returncode == 0
    da, db = (json.loads((r / ".lekk-baseline.json").read_text()) for r in (a, b))
    assert da["salt"] != db["salt"]
    ha, hb = ({e["secret_hash"] for e in d["entries"]} for d in (da, db))
    assert not ha & hb, "the same value hashes differently in two repositories"
    assert not ha & {secret_hash(key), secret_hash(secret)}, "not the fixed salt's hashes"
    # --update keeps the salt and the entries that still match
    (a / "orders.js").unlink()
    assert lekk("baseline", "--update", cwd=a).returncode == 0
    du = json.loads((a / ".lekk-baseline.json").read_text())
    assert du["salt"] == da["salt"] and {e["secret_hash"] for e in du["entries"]} < ha
    assert hits(scan(a)) == set()


def test_a_version_1_baseline_without_a_salt_still_works(tmp_path: Path) -> None:
    root, key, secret = project(tmp_path)
    (root / "orders.js").unlink()
    v1 = {
        "version": 1,
        "tool": "lekk",
        "entries": [
            {"rule": "sagapay-api-key", "path": "settings.py", "secret_hash": secret_hash(key)},
            {
                "rule": "sagapay-api-secret",
                "path": "settings.py",
                "secret_hash": secret_hash(secret),
            },
            {"rule": "sagapay-api-secret", "path": "gone.py", "secret_hash": secret_hash("x" * 20)},
        ],
    }
    (root / ".lekk-baseline.json").write_text(json.dumps(v1), encoding="utf-8")
    r = scan(root)
    assert r.returncode == 0 and hits(r) == set(), r.stderr
    # --update keeps it a version 1 file: the hashes do not change under the team's feet
    assert lekk("baseline", "--update", cwd=root).returncode == 0
    data = json.loads((root / ".lekk-baseline.json").read_text())
    assert set(data) == {"version", "tool", "entries"} and data["version"] == 1
    assert data["entries"] == v1["entries"][:2]
    # a fresh `lekk baseline` writes a salted version 2 file
    assert lekk("baseline", cwd=root).returncode == 0
    data = json.loads((root / ".lekk-baseline.json").read_text())
    assert data["version"] == 2 and data["salt"]
    assert hits(scan(root)) == set()
    # a version 2 file must carry its salt
    del data["salt"]
    (root / ".lekk-baseline.json").write_text(json.dumps(data), encoding="utf-8")
    r = scan(root)
    assert r.returncode == 2
    assert r.stderr == "lekk: error: .lekk-baseline.json: a version 2 baseline needs its 'salt'\n"


def test_rescan_with_the_baseline_is_clean_and_verbose_says_why(tmp_path: Path) -> None:
    root, _, _ = project(tmp_path)
    lekk("baseline", cwd=root)
    r = scan(root)
    assert r.returncode == 0, r.stderr
    assert hits(r) == set()
    assert json.loads(r.stdout)["baseline"] == {"file": ".lekk-baseline.json", "suppressed": 3}
    v = lekk("scan", ".", "--baseline", ".lekk-baseline.json", "-v", cwd=root)
    assert (
        "dropped sagapay-api-secret at settings.py:3: in baseline .lekk-baseline.json" in v.stderr
    )
    assert lekk("scan", ".", cwd=root).returncode == 1, "without --baseline everything is back"


def test_moving_the_line_keeps_it_suppressed(tmp_path: Path) -> None:
    root, _key, _secret = project(tmp_path)
    lekk("baseline", cwd=root)
    p = root / "settings.py"
    p.write_text(
        "import os\n\n\n" + p.read_text(encoding="utf-8") + "\nDEBUG = False\n", encoding="utf-8"
    )
    r = scan(root)
    assert r.returncode == 0, r.stdout
    assert hits(r) == set()


def test_a_second_secret_on_the_same_line_is_reported(tmp_path: Path) -> None:
    root, _key, secret = project(tmp_path)
    lekk("baseline", cwd=root)
    other = fake("sps_live_")
    p = root / "settings.py"
    text = p.read_text(encoding="utf-8").replace(
        f'"{secret}"', f'"{secret}"; SAGAPAY_OLD = "{other}"'
    )
    p.write_text(text, encoding="utf-8")
    r = scan(root, "--show-secrets")
    assert r.returncode == 1
    found = json.loads(r.stdout)["findings"]
    assert [(f["rule"], f["path"], f["line"], f["secret"]) for f in found] == [
        ("sagapay-api-secret", "settings.py", 3, other)
    ]


def test_squashing_history_keeps_it_suppressed(tmp_path: Path) -> None:
    root, _key, _secret = project(tmp_path)
    git(root, "init", "-q")
    git(root, "add", "settings.py", "orders.js")
    git(root, "commit", "-qm", "one")
    (root / "README").write_text("shop\n", encoding="utf-8")
    git(root, "add", "README")
    git(root, "commit", "-qm", "two")
    assert lekk("baseline", cwd=root).returncode == 0
    git(root, "add", ".lekk-baseline.json")
    git(root, "commit", "-qm", "baseline")
    first = git(root, "rev-list", "--max-parents=0", "HEAD").strip()
    git(root, "reset", "-q", "--soft", first)
    git(root, "commit", "-q", "--amend", "-m", "squashed")
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    r = scan(root)
    assert r.returncode == 0, r.stdout
    assert hits(r) == set()
    # the history scan of the squashed repository: the same values, in a commit the baseline
    # never saw, are still known; a value only history holds is not
    r = lekk("git", "--baseline", ".lekk-baseline.json", "--format", "json", cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["baseline"]["suppressed"] == 3
    gone = fake("sps_live_")
    (root / "old.py").write_text(f'SAGAPAY_API_SECRET = "{gone}"\n', encoding="utf-8")
    git(root, "add", "old.py")
    git(root, "commit", "-qm", "old")
    git(root, "rm", "-q", "old.py")
    git(root, "commit", "-qm", "rm old")
    r = lekk("git", "--baseline", ".lekk-baseline.json", "--format", "json", cwd=root)
    assert r.returncode == 1
    assert hits(r) == {("sagapay-api-secret", "old.py", 1)}


def test_update_drops_entries_that_no_longer_match_and_adds_nothing(tmp_path: Path) -> None:
    root, _key, _secret = project(tmp_path)
    lekk("baseline", cwd=root)
    (root / "orders.js").write_text('const BASE = "https://api.sagapay.no/v1";\n', encoding="utf-8")
    new_secret = fake("sps_live_")
    (root / "more.py").write_text(f'SAGAPAY_API_SECRET = "{new_secret}"\n', encoding="utf-8")
    r = lekk("baseline", "--update", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "kept 2 entries, dropped 1; 1 new finding(s) not added" in r.stderr
    data = json.loads((root / ".lekk-baseline.json").read_text(encoding="utf-8"))
    assert {(e["rule"], e["path"]) for e in data["entries"]} == {
        ("sagapay-api-key", "settings.py"),
        ("sagapay-api-secret", "settings.py"),
    }
    r = scan(root)
    assert r.returncode == 1
    assert hits(r) == {("sagapay-api-secret", "more.py", 1)}


def test_baseline_of_given_paths_and_explicit_file(tmp_path: Path) -> None:
    root, _, _ = project(tmp_path / "app")
    r = lekk("baseline", "app", "-f", "bl.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "bl.json").is_file() and not (root / ".lekk-baseline.json").exists()
    r = lekk("scan", "app", "--baseline", "bl.json", cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    r = lekk("baseline", "app", cwd=tmp_path)  # default: inside the first PATH
    assert (root / ".lekk-baseline.json").is_file()


def test_a_broken_or_missing_baseline_is_one_line_exit_2(tmp_path: Path) -> None:
    root, _, _ = project(tmp_path)
    r = lekk("scan", ".", "--baseline", "nope.json", cwd=root)
    assert r.returncode == 2
    assert (
        r.stderr.strip().count("\n") == 0 and "nope.json: baseline file does not exist" in r.stderr
    )
    (root / "bad.json").write_text("{not json", encoding="utf-8")
    r = lekk("scan", ".", "--baseline", "bad.json", cwd=root)
    assert r.returncode == 2 and "bad.json: not a lekk baseline" in r.stderr
    assert "Traceback" not in r.stderr
    r = lekk("baseline", "--update", cwd=root)
    assert r.returncode == 2 and "baseline file does not exist" in r.stderr


def test_every_scanning_command_takes_baseline() -> None:
    for cmd in ("scan", "web"):
        r = lekk(cmd, "--help")
        assert "--baseline" in r.stdout, cmd


def test_lint_findings_are_baselined_by_their_span(tmp_path: Path) -> None:
    (tmp_path / ".env.production").write_text("NEXT_PUBLIC_SAGAPAY_API_SECRET=\n", encoding="utf-8")
    lekk("baseline", cwd=tmp_path)
    (tmp_path / ".env.production").write_text(
        "NEXT_PUBLIC_SAGAPAY_API_SECRET=\nVITE_VIPPS_CLIENT_SECRET=\n", encoding="utf-8"
    )
    report = lekk_json("scan", ".", "--baseline", ".lekk-baseline.json", cwd=tmp_path)
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("public-env-secret", 2)]
