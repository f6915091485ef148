"""SARIF output: schema-valid, what GitHub reads, no raw secret, GitHub's limits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import corpus_copy, lekk, lekk_json
from sarif_checks import check, fake, where

from scanner.finding import Finding
from scanner.reporters import ReportContext
from scanner.reporters.sarif import build
from scanner.rules import load_rules


def _sarif(*args: str, cwd: Path | None = None, code: int = 1) -> tuple[dict, bytes]:
    out = (cwd or Path.cwd()) / "out.sarif"
    r = lekk(*args, "--format", "sarif", "-o", str(out), cwd=cwd)
    assert r.returncode == code, r.stderr
    raw = out.read_bytes()
    out.unlink()
    return json.loads(raw), raw


@pytest.fixture
def leaky(tmp_path: Path) -> tuple[Path, str, str]:
    live, test = fake("spk_live_"), fake("spk_test_")
    src = tmp_path / "src"
    src.mkdir()
    (src / "settings.env").write_text(
        f"# SagaPay\nSAGAPAY_API_KEY={live}\nSAGAPAY_TEST_KEY={test}\n", encoding="utf-8"
    )
    (src / "clean.py").write_text("print('hello')\n", encoding="utf-8")
    return tmp_path, live, test


def test_file_scan_with_findings_is_valid_and_complete(leaky: tuple[Path, str, str]) -> None:
    root, live, test = leaky
    doc, raw = _sarif("scan", ".", "--show-secrets", cwd=root)
    run = check(doc, category="lekk/scan")
    assert sorted(where(r) for r in run["results"]) == [
        ("sagapay-api-key", "src/settings.env", 2),
        ("sagapay-api-key", "src/settings.env", 3),
    ]
    by_line = {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in run["results"]
    }
    # Live key: critical rule, level error; test key: its own medium rule, level warning (written
    # out although it is the sarif-om default).
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert by_line[2]["ruleId"] == "sagapay-api-key" and by_line[2]["level"] == "error"
    assert by_line[3]["ruleId"] == "sagapay-api-key.test" and by_line[3]["level"] == "warning"
    assert float(rules["sagapay-api-key"]["properties"]["security-severity"]) >= 9.0
    assert 4.0 <= float(rules["sagapay-api-key.test"]["properties"]["security-severity"]) < 7.0
    assert rules["sagapay-api-key.test"]["defaultConfiguration"]["level"] == "warning"
    assert "sagapay" in rules["sagapay-api-key"]["properties"]["tags"]
    assert "sagapay-docs.pages.dev" in rules["sagapay-api-key"]["help"]["markdown"]
    msg = by_line[2]["message"]["text"]
    assert "SagaPay" in msg and "Revoke" in msg
    assert by_line[2]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "startColumn": 17,
        "endLine": 2,
        "endColumn": 17 + len(live),
    }
    # --show-secrets was given: still no raw secret anywhere in the bytes.
    assert live.encode() not in raw and test.encode() not in raw


def test_clean_scan_has_an_empty_results_array(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    doc, _ = _sarif("scan", ".", cwd=tmp_path, code=0)
    run = check(doc)
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


def test_category_option_sets_automation_details(leaky: tuple[Path, str, str]) -> None:
    doc, _ = _sarif("scan", ".", "--sarif-category", "secrets/tree", cwd=leaky[0])
    check(doc, category="secrets/tree")


def test_fingerprint_is_stable_when_lines_move(leaky: tuple[Path, str, str]) -> None:
    root, live, _ = leaky
    first, _ = _sarif("scan", ".", cwd=root)
    f = root / "src" / "settings.env"
    f.write_text("# moved down\n\n\n" + f.read_text(encoding="utf-8"), encoding="utf-8")
    second, _ = _sarif("scan", ".", cwd=root)

    def fps(doc: dict) -> dict[str, tuple[int, str]]:
        return {
            r["ruleId"]: (where(r)[2], r["partialFingerprints"]["lekk/secretFingerprint/v1"])
            for r in doc["runs"][0]["results"]
        }

    a, b = fps(first), fps(second)
    assert {k: v[1] for k, v in a.items()} == {k: v[1] for k, v in b.items()}
    assert a["sagapay-api-key"][0] == 2 and b["sagapay-api-key"][0] == 5
    assert all(live[9:] not in v[1] for v in a.values())


def test_acceptance_corpus(shared: Path, tmp_path: Path) -> None:
    expected = json.loads((shared / "corpus" / "acceptance.expected.json").read_text())
    corpus, env = corpus_copy(shared, tmp_path / "copy")
    out = tmp_path / "corpus.sarif"
    r = lekk("scan", str(corpus), "--format", "sarif", "--show-secrets", "-o", str(out), env=env)
    assert r.returncode == 1, r.stderr
    raw = out.read_bytes()
    run = check(json.loads(raw))
    # The SARIF holds exactly what the JSON report of the same scan holds (what the corpus must
    # produce is the scanner's test; this one is about the format).
    r = lekk("scan", str(corpus), "--format", "json", "--show-secrets", env=env)
    report = json.loads(r.stdout)
    got = sorted(where(res) for res in run["results"])
    assert got == sorted((f["rule"], f["path"], f["line"]) for f in report["findings"])
    assert len(got) >= 20
    secrets = {e["secret"] for f in expected["files"] for e in f["expect"] if e.get("secret")}
    # a lint finding's "secret" is its flagged span (a variable name, a host), shown as-is
    secrets |= {f["secret"] for f in report["findings"] if f["secret"] and f["kind"] == "secret"}
    assert len(secrets) >= 15
    for secret in secrets:
        assert secret.encode() not in raw, f"raw secret {secret[:4]}… in the SARIF file"
    # A value from a source map points back at its original source.
    mapped = sorted(where(res) for res in run["results"] if res.get("relatedLocations"))
    assert mapped == sorted(
        (f["rule"], f["path"], f["line"]) for f in report["findings"] if f.get("origin")
    )


def test_source_map_origin_becomes_a_related_location() -> None:
    f = _findings(1, 0)[0].with_(
        path="web/app.min.js.map", origin={"path": "src/checkout.ts", "line": 4}
    )
    (res,) = check(json.loads(build([f], ReportContext())[0]))["results"]
    assert where(res) == ("sagapay-api-key", "web/app.min.js.map", 1)
    (rel,) = res["relatedLocations"]
    assert rel["physicalLocation"]["artifactLocation"]["uri"] == "src/checkout.ts"
    assert rel["physicalLocation"]["region"]["startLine"] == 4
    assert "src/checkout.ts:4" in res["message"]["text"]


def _findings(n_live: int, n_test: int) -> list[Finding]:
    rule = next(r for r in load_rules() if r.id == "sagapay-api-key")
    out = []
    for i in range(n_live + n_test):
        test = i >= n_live
        secret = fake("spk_test_" if test else "spk_live_")
        out.append(
            Finding(
                rule=rule,
                path=f"f{i:03}.env",
                line=1,
                column=1,
                end_line=1,
                end_column=1 + len(secret),
                secret=secret,
                severity="warning" if test else "error",
                test=test,
            )
        )
    return out


def test_over_the_result_limit_keeps_the_most_severe_and_says_so() -> None:
    findings = _findings(2, 5)
    findings = findings[2:4] + findings[:2] + findings[4:]  # severe ones not first
    text, dropped = build(findings, ReportContext(), max_results=3)
    run = check(json.loads(text))
    levels = sorted(r["level"] for r in run["results"])
    assert levels == ["error", "error", "warning"] and len(dropped) == 4
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["level"] == "warning"
    assert "4 of 7 findings left out" in notes[0]["message"]["text"]
    assert "sagapay-api-key.test 4" in notes[0]["message"]["text"]
    assert run["properties"]["dropped"] == 4
    assert all(f.secret not in text for f in findings)


def test_over_the_size_limit_shrinks_until_it_fits() -> None:
    findings = _findings(40, 0)
    full, _ = build(findings, ReportContext())
    import gzip

    limit = len(gzip.compress(full.encode())) // 2
    text, dropped = build(findings, ReportContext(), max_gzip_bytes=limit)
    assert len(gzip.compress(text.encode())) <= limit
    assert dropped and len(json.loads(text)["runs"][0]["results"]) == 40 - len(dropped)


def test_a_verified_live_test_key_stays_a_test_key_at_level_error() -> None:
    f = _findings(0, 1)[0]
    f = f.with_(extra={"verification": {"status": "live"}}, severity="error")
    run = check(json.loads(build([f], ReportContext())[0]))
    (res,) = run["results"]
    assert res["ruleId"] == "sagapay-api-key.test" and res["level"] == "error"
    assert "a test key" in res["message"]["text"]
    assert res["properties"]["security-severity"] == "9.8"
    assert run["tool"]["driver"]["rules"][0]["id"] == "sagapay-api-key.test"


def test_history_metadata_goes_to_properties_without_email() -> None:
    f = _findings(1, 0)[0].with_(
        extra={
            "commit": {
                "sha": "a" * 40,
                "author": "Dev",
                "email": "dev@example.invalid",
                "date": "2024-01-01T00:00:00Z",
                "summary": "add config",
            },
            "still_in_head": False,
        }
    )
    text = build([f], ReportContext(command="git"))[0]
    (res,) = check(json.loads(text))["results"]
    assert res["properties"]["commit"]["sha"] == "a" * 40
    assert "aaaaaaaaaaaa" in res["message"]["text"]
    assert "dev@example.invalid" not in text
    assert json.loads(text)["runs"][0]["automationDetails"]["id"] == "lekk/git/"


# -- history and staged scans ----------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.invalid",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.invalid",
        "PATH": os.environ["PATH"],
        "HOME": str(repo),
    }
    r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    _git(r, "init", "-q", "-b", "main")
    (r / "app.py").write_text("print('hi')\n", encoding="utf-8")
    _git(r, "add", "-A")
    _git(r, "commit", "-q", "-m", "clean start")
    return r


def test_history_scan_with_and_without_findings(repo: Path) -> None:
    doc, _ = _sarif("git", ".", cwd=repo, code=0)
    assert check(doc, category="lekk/git")["results"] == []
    secret = fake("spk_live_")
    (repo / "deploy.env").write_text(f"SAGAPAY_API_KEY={secret}\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "add deploy config")
    sha = _git(repo, "rev-parse", "HEAD")
    (repo / "deploy.env").unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "remove it again")
    doc, raw = _sarif("git", ".", "--show-secrets", cwd=repo)
    (res,) = check(doc, category="lekk/git")["results"]
    assert where(res) == ("sagapay-api-key", "deploy.env", 1)
    assert res["properties"]["commit"]["sha"] == sha
    assert res["properties"]["still_in_head"] is False
    assert sha[:12] in res["message"]["text"] and "still in the history" in res["message"]["text"]
    assert secret.encode() not in raw and b"dev@example.invalid" not in raw


def test_staged_scan_with_and_without_findings(repo: Path) -> None:
    doc, _ = _sarif("staged", cwd=repo, code=0)
    assert check(doc, category="lekk/staged")["results"] == []
    secret = fake("sps_live_")
    cfg = repo / "pay.env"
    cfg.write_text(f"# sagapay\nSAGAPAY_API_SECRET={secret}\n", encoding="utf-8")
    _git(repo, "add", "pay.env")
    cfg.write_text("# sagapay\nSAGAPAY_API_SECRET=${FROM_ENV}\n", encoding="utf-8")  # unstaged fix
    doc, raw = _sarif("staged", "--show-secrets", cwd=repo)
    (res,) = check(doc, category="lekk/staged")["results"]
    assert where(res) == ("sagapay-api-secret", "pay.env", 2)
    assert secret.encode() not in raw


def test_shared_history_repository(shared: Path, tmp_path: Path) -> None:
    dest = tmp_path / "history"
    subprocess.run(
        [sys.executable, str(shared / "corpus" / "make_history_repo.py"), str(dest)],
        check=True,
        capture_output=True,
    )
    expected = json.loads((tmp_path / "history.expected.json").read_text(encoding="utf-8"))
    doc, raw = _sarif("git", str(dest), "--show-secrets", cwd=tmp_path)
    run = check(doc, category="lekk/git")
    got = sorted((*where(r), r["properties"]["commit"]["sha"]) for r in run["results"])
    want = sorted((e["rule"], e["path"], e["line"], e["commit"]) for e in expected["findings"])
    assert got == want
    for e in expected["findings"]:
        assert e["secret"].encode() not in raw
    # The same blob at another path is one result that points at the other place.
    assert any(r.get("relatedLocations") for r in run["results"])


def test_uris_are_repository_relative_and_percent_encoded() -> None:
    f = _findings(1, 0)[0].with_(path="conf dir/nøkler#1.env")
    (res,) = check(json.loads(build([f], ReportContext())[0]))["results"]
    assert where(res)[1] == "conf%20dir/n%C3%B8kler%231.env"


def test_a_fetched_url_becomes_a_relative_uri_and_a_property() -> None:
    f = _findings(1, 0)[0].with_(path="https://shop.example/assets/app.js")
    (res,) = check(json.loads(build([f], ReportContext(command="url"))[0]))["results"]
    assert where(res)[1] == "shop.example/assets/app.js"
    assert res["properties"]["url"] == "https://shop.example/assets/app.js"


def _example_findings() -> list[Finding]:
    """What the engine finds in every rule's examples: a finding of every rule."""
    from scanner.engine import Engine
    from scanner.sources import Fragment

    rules = load_rules()
    engine = Engine(rules)
    found = [f for r in rules for e in r.examples for f in engine.scan(Fragment(e.text, e.path))]
    assert {f.rule.id for f in found} == {r.id for r in rules}
    return found


def test_a_report_left_in_the_tree_is_not_a_finding(tmp_path: Path) -> None:
    """A report is a file like any other: the next scan reads it.  lekk's JSON and SARIF reports
    (a finding of every rule, so every rule's help) are recognised: no lint rule runs on them,
    and no secret rule finds anything, since no example credential is written into a report."""
    from scanner.reporters import REPORTERS

    findings = _example_findings()
    (tmp_path / "lekk.sarif").write_text(build(findings, ReportContext())[0], encoding="utf-8")
    with (tmp_path / "lekk.json").open("w", encoding="utf-8") as out:
        REPORTERS["json"](findings, out, ReportContext())
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["findings"] == [], r.stdout
    # The same text, no longer a lekk report (pasted into notes): the lint rules see what they
    # look for, but no secret rule finds a credential.
    doc = json.loads((tmp_path / "lekk.sarif").read_text(encoding="utf-8"))
    (tmp_path / "notes.json").write_text(json.dumps({"pasted": doc}, indent=2), encoding="utf-8")
    found = lekk_json("scan", "notes.json", cwd=tmp_path)["findings"]
    assert found and all(f["kind"] == "lint" for f in found), found
    # A file dressed up as a lekk report still has its credentials found.
    secret = fake("spk_live_")
    disguised = {"version": 1, "tool": {"name": "lekk"}, "env": f"SAGAPAY_API_KEY={secret}"}
    (tmp_path / "lekk.json").write_text(json.dumps(disguised, indent=2), encoding="utf-8")
    found = lekk_json("scan", "lekk.json", cwd=tmp_path)["findings"]
    assert [(f["rule"], f["secret"]) for f in found] == [("sagapay-api-key", secret)], found


def test_rule_help_in_a_report_has_no_example_credential(tmp_path: Path) -> None:
    """Every rule's help (live and test variants, text and Markdown) holds no credential a scan
    would find; the documentation's own examples (``lekk explain``) would be found.  Both are
    scanned as plain text: in a Markdown file a value presented as an example is a documentation
    example (docs/detection.md), which would hide what this test looks for."""
    from scanner import docs
    from scanner.reporters.sarif_rules import Variant, descriptor

    rules = load_rules()
    variants = [descriptor(Variant(r, test)) for r in rules for test in (False, True)]
    helps = [v[k] for v in variants for k in ("help_text", "help_markdown")]
    (tmp_path / "help.txt").write_text("\n".join(helps), encoding="utf-8")
    found = lekk_json("scan", "help.txt", cwd=tmp_path)["findings"]
    assert all(f["kind"] == "lint" for f in found), [f["rule"] for f in found]
    # The trap is armed: the documentation, examples included, is full of credentials.
    (tmp_path / "docs.txt").write_text(
        "\n".join(docs.render_markdown(r) for r in rules), encoding="utf-8"
    )
    found = lekk_json("scan", "docs.txt", cwd=tmp_path)["findings"]
    assert len({f["rule"] for f in found if f["kind"] == "secret"}) >= 4, found
