"""``lekk explain``, the generated docs/rules.md, and the remediation every finding carries."""

from __future__ import annotations

import json
from pathlib import Path

import helpers
from helpers import ROOT, lekk

from scanner import docs
from scanner.rules import load_rules


def test_explain_prints_ruff_shaped_sections_for_a_secret_rule() -> None:
    r = lekk("explain", "sagapay-api-secret")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("sagapay-api-secret: SagaPay API secret\n")
    order = ["What it finds", "Why is this bad?", "Example", "How to fix", "Regenerate or revoke"]
    positions = [out.index(f"\n{h}\n") for h in order]
    assert positions == sorted(positions)
    assert "1. Open Key Management" in out
    assert "Link: https://sagapay-docs.pages.dev/guides/getting-started/authentication" in out


def test_explain_several_ids_and_markdown() -> None:
    r = lekk("explain", "vipps-client-secret", "public-env-secret", "--format", "markdown")
    assert r.returncode == 0, r.stderr
    assert "## `vipps-client-secret`: " in r.stdout and "## `public-env-secret`: " in r.stdout
    assert "### Regenerate or revoke" in r.stdout and "### What to do now" in r.stdout


def test_unknown_rule_id_is_one_line_exit_2_with_close_ids() -> None:
    r = lekk("explain", "sagapay-api-secrt")
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "unknown rule id 'sagapay-api-secrt'" in lines[0]
    assert "did you mean sagapay-api-secret" in lines[0]
    assert "Traceback" not in r.stderr


def test_explain_without_an_id_is_a_usage_error() -> None:
    r = lekk("explain")
    assert r.returncode == 2
    assert "--all" in r.stderr


def test_docs_rules_md_is_generated_and_current() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == docs.render_page(load_rules()), (
        "docs/rules.md is stale: run `lekk explain --all --format markdown > docs/rules.md`"
    )
    r = lekk("explain", "--all", "--format", "markdown")
    assert r.returncode == 0 and r.stdout == page


def test_every_rule_renders_its_remediation_link_and_action_for_sarif() -> None:
    for rule in load_rules():
        text, md = docs.render_text(rule), docs.render_markdown(rule)
        for out in (text, md):
            assert rule.remediation.url in out, rule.id
            assert (
                rule.remediation.action in out.replace("\n", " ") or rule.remediation.action in out
            )
            assert rule.why.split(".")[0] in " ".join(out.split()), rule.id
        assert "```" in md if rule.example else True


def _fake(prefix: str) -> str:
    return helpers.fake(prefix, 24)


def test_every_finding_in_every_format_carries_link_and_action(tmp_path: Path) -> None:
    (tmp_path / ".env.production").write_text(
        f"NEXT_PUBLIC_SAGAPAY_API_SECRET={_fake('sps_live_')}\n", encoding="utf-8"
    )
    (tmp_path / "orders.js").write_text('const B = "http://api.sagapay.no/v1";\n', encoding="utf-8")
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    findings = json.loads(r.stdout)["findings"]
    assert {(f["rule"], f["path"], f["line"]) for f in findings} == {
        ("public-env-secret", ".env.production", 1),
        ("sagapay-api-secret", ".env.production", 1),
        ("sagapay-insecure-http", "orders.js", 1),
    }
    rules = {r.id: r for r in load_rules()}
    for f in findings:
        rem = rules[f["rule"]].remediation
        assert f["remediation"]["url"] == rem.url and f["remediation"]["action"] == rem.action
    text = lekk("scan", ".", "--no-color", cwd=tmp_path).stdout
    for f in findings:
        rem = rules[f["rule"]].remediation
        assert f"    fix: {rem.action}\n" in text and f"    see: {rem.url}\n" in text
    sarif = json.loads(lekk("scan", ".", "--format", "sarif", cwd=tmp_path).stdout)
    run = sarif["runs"][0]
    assert len(run["results"]) == len(findings)
    for res in run["results"]:
        rem = rules[res["ruleId"]].remediation
        assert rem.action in res["message"]["text"] and rem.url in res["message"]["text"]
    lint = [r for r in run["results"] if r["ruleId"] == "public-env-secret"]
    assert "NEXT_PUBLIC_SAGAPAY_API_SECRET" in lint[0]["message"]["text"]
    for rule in run["tool"]["driver"]["rules"]:  # the docs, less the example (its fake key)
        r = rules[rule["id"]]
        assert rule["help"]["text"].startswith(docs.render_text(r, example=False))
        assert rule["help"]["markdown"].startswith(docs.render_markdown(r, example=False))
        assert r.example and f"lekk explain {r.id}` shows an example" in rule["help"]["markdown"]


def test_a_lint_span_is_shown_as_is_and_the_value_beside_it_is_not(tmp_path: Path) -> None:
    value, other = _fake("sps_live_"), _fake("Ab1") + "-x1"  # `other` fits no secret rule
    (tmp_path / ".env.production").write_text(
        f"NEXT_PUBLIC_SAGAPAY_API_SECRET={value}\nVITE_VIPPS_CLIENT_SECRET={other}\n",
        encoding="utf-8",
    )
    report = json.loads(lekk("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    lint = [f for f in report["findings"] if f["kind"] == "lint"]
    assert [(f["line"], f["secret"]) for f in lint] == [
        (1, "NEXT_PUBLIC_SAGAPAY_API_SECRET"),
        (2, "VITE_VIPPS_CLIENT_SECRET"),
    ]
    text = lekk("scan", ".", "--no-color", cwd=tmp_path).stdout
    assert "flagged: NEXT_PUBLIC_SAGAPAY_API_SECRET" in text
    assert "| NEXT_PUBLIC_SAGAPAY_API_SECRET=sps_live_********" in text
    assert "| VITE_VIPPS_CLIENT_SECRET=Ab1" in text
    assert [f["rule"] for f in report["findings"] if f["line"] == 2] == ["public-env-secret"]
    for raw in (value, other):  # `other` was taken by no secret rule, and is masked all the same
        assert raw not in text and raw not in json.dumps(report)


def test_explain_knows_the_rules_of_the_configs_own_packs(tmp_path: Path) -> None:
    pack = (ROOT / "rules" / "lint.toml").read_text(encoding="utf-8")
    pack = pack.replace('id = "secret-in-log"', 'id = "acme-secret-in-log"')
    start = pack.index('[[rules]]\nid = "acme-secret-in-log"')
    (tmp_path / "acme.toml").write_text(
        pack[: pack.index("[[rules]]")] + pack[start:], encoding="utf-8"
    )
    (tmp_path / ".lekk.toml").write_text(
        'rules = ["acme.toml"]\ndisable = ["secret-in-log"]\n', encoding="utf-8"
    )
    r = lekk("explain", "acme-secret-in-log", "secret-in-log", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("acme-secret-in-log: ") and "\nsecret-in-log: " in r.stdout
    assert lekk("explain", "acme-secret-in-log").returncode == 2, "not a built-in"
