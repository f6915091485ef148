"""What every scanning command shares through ``scanner.pipeline``: excludes, several roots,
warnings printed once."""

from __future__ import annotations

import json
from pathlib import Path

from git_builder import Repo, fake_secret
from helpers import lekk, lekk_json
from web_test import Site


def _found(report: dict) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in report["findings"]}


def test_exclude_applies_to_history_and_staged_scans(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit(
        "keys",
        {
            "vendor/sdk/test.env": f"SAGAPAY_API_SECRET={fake_secret()}\n",
            "app/prod.env": f"SAGAPAY_API_SECRET={fake_secret()}\n",
        },
    )
    everything = lekk_json("git", str(repo.path))
    assert _found(everything) == {
        ("sagapay-api-secret", "vendor/sdk/test.env", 1),
        ("sagapay-api-secret", "app/prod.env", 1),
    }
    flag = lekk_json("git", str(repo.path), "--exclude", "vendor/**")
    assert _found(flag) == {("sagapay-api-secret", "app/prod.env", 1)}
    # the config's exclude too, for `lekk git` and `lekk staged`
    (repo.path / ".lekk.toml").write_text('exclude = ["vendor/**"]\n')
    assert _found(lekk_json("git", str(repo.path))) == {("sagapay-api-secret", "app/prod.env", 1)}
    repo.stage(
        {
            "vendor/sdk/prod.env": f"SAGAPAY_API_SECRET={fake_secret()}\n",
            "app/more.env": f"SAGAPAY_API_SECRET={fake_secret()}\n",
        }
    )
    staged = lekk_json("staged", str(repo.path))
    assert _found(staged) == {("sagapay-api-secret", "app/more.env", 1)}
    r = lekk("staged", str(repo.path), "-e", "app/**", "-v", "--format", "json")
    assert json.loads(r.stdout)["findings"] == []
    assert "dropped sagapay-api-secret at app/more.env:1: excluded (app/**)" in r.stderr


def test_exclude_applies_to_web_scans(tmp_path: Path) -> None:
    site = Site()
    try:
        secret = fake_secret()
        site.add("/", '<script src="/vendor/widget.js"></script><script src="/app.js"></script>')
        for name in ("vendor/widget.js", "app.js"):
            site.add(
                f"/{name}", f'const h={{"X-API-Secret":"{secret}"}};// sagapay', "text/javascript"
            )
        base = site.url
        both = lekk_json("web", f"{base}/", cwd=tmp_path)
        assert {f["path"] for f in both["findings"]} == {
            f"{base}/vendor/widget.js",
            f"{base}/app.js",
        }
        one = lekk_json("web", f"{base}/", "--exclude", "*/vendor/*", cwd=tmp_path)
        assert {f["path"] for f in one["findings"]} == {f"{base}/app.js"}
    finally:
        site.close()


def test_several_roots_say_which_root_a_path_is_in(tmp_path: Path) -> None:
    secrets = {}
    for shop in ("shop-a", "shop-b"):
        secrets[shop] = fake_secret()
        d = tmp_path / "shops" / shop / "src"
        d.mkdir(parents=True)
        (d / "keys.env").write_text(f"# sagapay\nSAGAPAY_API_SECRET={secrets[shop]}\n")
        (d / "vendored.env").write_text(f"SAGAPAY_API_SECRET={fake_secret()}\n")
    (tmp_path / "shops" / ".lekk.toml").write_text(
        'allowlist.paths = [{ path = "src/vendored.env", reason = "a vendored sample" }]\n'
    )
    cwd = tmp_path / "shops"
    report = lekk_json("scan", "shop-a", "shop-b", "-c", ".lekk.toml", cwd=cwd)
    # the same file in two roots is two findings, each named by its root; the config's globs
    # stay relative to each root
    assert _found(report) == {
        ("sagapay-api-secret", "shop-a/src/keys.env", 2),
        ("sagapay-api-secret", "shop-b/src/keys.env", 2),
    }
    text = lekk("scan", "shop-a", "shop-b", "-c", ".lekk.toml", cwd=cwd).stdout
    assert "shop-a/src/keys.env:2:" in text and "shop-b/src/keys.env:2:" in text
    sarif = json.loads(
        lekk("scan", "shop-a", "shop-b", "-c", ".lekk.toml", "--format", "sarif", cwd=cwd).stdout
    )
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert uris == {"shop-a/src/keys.env", "shop-b/src/keys.env"}
    r = lekk("baseline", "shop-a", "shop-b", "-c", ".lekk.toml", "-f", "base.json", cwd=cwd)
    assert r.returncode == 0, r.stderr
    entries = json.loads((cwd / "base.json").read_text())["entries"]
    assert {e["path"] for e in entries} == {"shop-a/src/keys.env", "shop-b/src/keys.env"}
    r = lekk("scan", "shop-a", "shop-b", "-c", ".lekk.toml", "--baseline", "base.json", cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    # one root: paths stay relative to it, as before (the config in the folder above is found
    # by the upward search, its globs relative to the root)
    one = lekk_json("scan", "shop-a", cwd=cwd)
    assert {f["path"] for f in one["findings"]} == {"src/keys.env"}


def test_a_warning_is_printed_once(tmp_path: Path) -> None:
    (tmp_path / "a.js.map").write_text('{"version": 3, "sources": [}')
    for args in ([], ["-v"]):
        r = lekk("scan", str(tmp_path), *args)
        assert (r.stdout + r.stderr).count("malformed source map") == 1, (args, r.stdout, r.stderr)
