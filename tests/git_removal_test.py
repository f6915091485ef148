"""``removed_in``: the commit that took a leaked value off the default branch."""

from __future__ import annotations

import json
from pathlib import Path

from git_builder import Repo, fake_secret
from helpers import lekk, lekk_json


def _by_secret(report: dict) -> dict[str, dict]:
    return {f["secret"]: f for f in report["findings"]}


def _removed(f: dict) -> str | None:
    return f["removed_in"]["sha"] if f["removed_in"] else None


def test_removed_still_in_head_and_unmerged(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    gone, kept, side = fake_secret(), fake_secret(), fake_secret()
    repo.commit("init", {"README.md": "x\n"})
    repo.commit(
        "add keys",
        {"prod.env": f"SAGAPAY_API_SECRET={gone}\n", "keep.env": f"SAGAPAY_API_SECRET={kept}\n"},
    )
    repo.commit("unrelated", {"notes.txt": "n\n"})
    removing = repo.commit("read the key from the environment", {"prod.env": "X=${X}\n"})
    repo.commit("later", {"notes.txt": "m\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("wip", {"f.env": f"SAGAPAY_API_SECRET={side}\n"})
    repo.git("checkout", "-q", "main")
    found = _by_secret(lekk_json("git", str(repo.path)))
    assert found[gone]["removed_in"] == {
        "sha": removing,
        "author": "Kari Nordmann",
        "email": "kari@example.no",
        "date": "2024-02-04T12:00:00+00:00",
        "summary": "read the key from the environment",
    }
    assert found[kept]["still_in_head"] is True and found[kept]["removed_in"] is None
    # never on the default branch: nothing removed it from there
    assert found[side]["still_in_head"] is False and found[side]["removed_in"] is None
    text = lekk("git", str(repo.path)).stdout
    assert f"removed_in: sha={removing}" in text
    assert text.count("removed_in:") == 1


def test_merged_branch_then_removed_on_main(tmp_path: Path) -> None:
    """A value that came in with a merge leaves with the commit on main that deletes it, not
    with anything on the merged branch."""
    repo = Repo(tmp_path / "r")
    secret = fake_secret()
    repo.commit("init", {"README.md": "x\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("bundle", {"dist/app.js": f'const k = "{secret}"; // sagapay\n'})
    repo.commit("feature goes on", {"dist/app.js": "const k = process.env.K;\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main goes on", {"a.txt": "a\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "feature~1")
    removing = repo.commit("drop the bundle", delete=("dist/app.js",))
    [f] = lekk_json("git", str(repo.path))["findings"]
    assert f["path"] == "dist/app.js" and f["still_in_head"] is False
    assert _removed(f) == removing


def test_copies_and_a_value_that_comes_back(tmp_path: Path) -> None:
    """Removed when the last copy goes; a value that comes back and goes again was removed by
    the last commit that took it away."""
    repo = Repo(tmp_path / "r")
    twice, copied = fake_secret(), fake_secret()
    repo.commit("add", {"a.env": f"SAGAPAY_API_SECRET={twice}\n"})
    repo.commit("remove", delete=("a.env",))
    repo.commit("back again", {"b.env": f"# again\nSAGAPAY_API_SECRET={twice}\n"})
    last = repo.commit("remove again", {"b.env": "# gone\n"})
    repo.commit("one copy", {"c.env": f"SAGAPAY_API_SECRET={copied}\n"})
    repo.commit("two copies", {"d/c.env": f"SAGAPAY_API_SECRET={copied}\n"})
    repo.commit("one copy gone", delete=("c.env",))
    both_gone = repo.commit("both gone", delete=("d/c.env",))
    found = _by_secret(lekk_json("git", str(repo.path)))
    assert _removed(found[twice]) == last
    assert _removed(found[copied]) == both_gone


def test_range_scan_and_no_removal_outside_history(tmp_path: Path) -> None:
    """A range scan still names the removal; a tag-only value has none."""
    repo = Repo(tmp_path / "r")
    secret = fake_secret()
    base = repo.commit("init", {"README.md": "x\n"})
    repo.commit("add", {"k.env": f"SAGAPAY_API_SECRET={secret}\n"})
    removing = repo.commit("remove", delete=("k.env",))
    [f] = lekk_json("git", str(repo.path), f"{base}..HEAD")["findings"]
    assert _removed(f) == removing


def test_sarif_carries_removed_in_without_email(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("add", {"k.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
    removing = repo.commit("remove", delete=("k.env",))
    r = lekk("git", str(repo.path), "--format", "sarif")
    assert r.returncode == 1, r.stderr
    [result] = json.loads(r.stdout)["runs"][0]["results"]
    assert result["properties"]["removed_in"] == {
        "sha": removing,
        "author": "Kari Nordmann",
        "date": "2024-02-02T12:00:00+00:00",
        "summary": "remove",
    }
