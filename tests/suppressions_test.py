"""Inline ``lekk:ignore`` / ``lekk:ignore-next-line``, unknown ids in them, and config allowlists."""

from __future__ import annotations

from pathlib import Path

import helpers
from helpers import lekk, lekk_json

from scanner.finding import secret_hash


def fake(prefix: str) -> str:
    return helpers.fake(prefix, 24)


def found(root: Path, *args: str) -> set[tuple[str, str, int]]:
    return {
        (f["rule"], f["path"], f["line"])
        for f in lekk_json("scan", ".", *args, cwd=root)["findings"]
    }


def test_ignore_next_line_silences_only_the_line_below(tmp_path: Path) -> None:
    a, b, c = fake("sps_live_"), fake("sps_live_"), fake("sps_live_")
    (tmp_path / "config.yaml").write_text(
        "sagapay:\n"
        "  # lekk:ignore-next-line\n"
        f"  secret: {a}\n"
        f"  old: {b}\n"
        "  # lekk:ignore-next-line sagapay-api-secret\n"
        f"  other: {c}\n"
        "  # lekk:ignore-next-line vipps-client-secret\n"
        f"  third: {a}x\n",
        encoding="utf-8",
    )
    assert found(tmp_path) == {
        ("sagapay-api-secret", "config.yaml", 4),
        ("sagapay-api-secret", "config.yaml", 8),
    }


def test_ignore_on_the_line_with_and_without_ids_and_for_lint_rules(tmp_path: Path) -> None:
    s = fake("sps_live_")
    (tmp_path / ".env.production").write_text(
        f"SAGAPAY_API_SECRET={s}  # lekk:ignore\n"
        f"NEXT_PUBLIC_SAGAPAY_API_SECRET={s}  # lekk:ignore public-env-secret,sagapay-api-secret\n"
        f"NEXT_PUBLIC_SAGAPAY_KEY=  # lekk:ignore sagapay-api-key\n",
        encoding="utf-8",
    )
    assert found(tmp_path) == {("public-env-secret", ".env.production", 3)}


def test_ignore_inside_an_html_comment(tmp_path: Path) -> None:
    """The ``-->`` that closes the comment is not a rule id (it once silenced nothing)."""
    s, k = fake("sps_live_"), fake("spk_live_")
    (tmp_path / "sagapay.html").write_text(
        f"<p>X-API-Secret: {s}</p> <!-- lekk:ignore -->\n"
        f"<p>X-API-Secret: {s} X-API-Key: {k}</p> <!-- lekk:ignore sagapay-api-key -->\n",
        encoding="utf-8",
    )
    assert found(tmp_path) == {("sagapay-api-secret", "sagapay.html", 2)}


def test_an_unknown_rule_id_in_a_suppression_is_a_warning(tmp_path: Path) -> None:
    s = fake("sps_live_")
    (tmp_path / "app.env").write_text(
        f"SAGAPAY_API_SECRET={s}  # lekk:ignore sagapay-api-secrett\n"
        "# lekk:ignore-next-line no-such-rule, sagapay-api-key\n"
        f"SAGAPAY_API_KEY={fake('spk_live_')}\n",
        encoding="utf-8",
    )
    r = lekk("scan", ".", cwd=tmp_path)
    assert r.returncode == 1, "a misspelt id silences nothing"
    assert (
        "lekk: warning: app.env:1: lekk:ignore names unknown rule id 'sagapay-api-secrett' "
        "(did you mean sagapay-api-secret" in r.stderr
    )
    assert "app.env:3: lekk:ignore names unknown rule id 'no-such-rule'" in r.stderr
    report = lekk_json("scan", ".", cwd=tmp_path)
    assert {(f["rule"], f["line"]) for f in report["findings"]} == {("sagapay-api-secret", 1)}
    assert len(report["warnings"]) == 2
    assert "warning" not in lekk("scan", ".", "-q", cwd=tmp_path).stderr


def test_allowlists_need_a_reason_and_verbose_names_it(tmp_path: Path) -> None:
    k, s, t = fake("spk_live_"), fake("sps_live_"), fake("sps_live_")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "sagapay.env").write_text(f"SAGAPAY_API_KEY={k}\n", encoding="utf-8")
    (tmp_path / "app.env").write_text(
        f"SAGAPAY_API_SECRET={s}\nSAGAPAY_OLD_SECRET={t}\n", encoding="utf-8"
    )
    (tmp_path / ".lekk.toml").write_text(
        "[allowlist]\n"
        'paths = [{ path = "fixtures/**", reason = "test fixtures" }]\n'
        f'values = [{{ regex = "^{s[:14]}", reason = "shared demo key" }}]\n'
        f'hashes = [{{ hash = "{secret_hash(t)}", reason = "revoked 2026-01" }}]\n',
        encoding="utf-8",
    )
    r = lekk("scan", ".", "-v", cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    assert (
        "dropped sagapay-api-key at fixtures/sagapay.env:1: allowlisted: test fixtures" in r.stderr
    )
    assert "dropped sagapay-api-secret at app.env:1: allowlisted: shared demo key" in r.stderr
    assert "dropped sagapay-api-secret at app.env:2: allowlisted: revoked 2026-01" in r.stderr
    assert "allowlisted" not in lekk("scan", ".", cwd=tmp_path).stderr, "only with -v"
    (tmp_path / ".lekk.toml").write_text(
        '[allowlist]\npaths = [{ path = "fixtures/**" }]\n', encoding="utf-8"
    )
    r = lekk("scan", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert "allowlist.paths[1]: 'reason' is required" in r.stderr
    assert r.stderr.strip().count("\n") == 0


def test_test_key_rule_ids_as_sarif_shows_them_are_accepted_everywhere(tmp_path: Path) -> None:
    """``sagapay-api-key.test`` (the SARIF rule of SagaPay's test keys) names only the test keys
    of the rule: in ``lekk:ignore``, in ``disable``, in an allowlist's ``rules``, and in
    ``lekk explain``."""
    live, test = fake("spk_live_"), fake("spk_test_")
    (tmp_path / "a.env").write_text(
        f"SAGAPAY_API_KEY={live}  # lekk:ignore sagapay-api-key.test\n"
        f"SAGAPAY_TEST_KEY={test}  # lekk:ignore sagapay-api-key.test\n",
        encoding="utf-8",
    )
    (tmp_path / "b.env").write_text(
        f"SAGAPAY_API_KEY={live}\nSAGAPAY_TEST_KEY={test}\n", encoding="utf-8"
    )
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and "unknown rule id" not in r.stderr, r.stderr
    assert found(tmp_path) == {
        ("sagapay-api-key", "a.env", 1),
        ("sagapay-api-key", "b.env", 1),
        ("sagapay-api-key", "b.env", 2),
    }

    (tmp_path / ".lekk.toml").write_text('disable = ["sagapay-api-key.test"]\n', encoding="utf-8")
    assert found(tmp_path) == {("sagapay-api-key", "a.env", 1), ("sagapay-api-key", "b.env", 1)}
    r = lekk("scan", ".", "-v", cwd=tmp_path)
    assert "dropped sagapay-api-key at b.env:2: allowlisted: sagapay-api-key.test is disabled" in (
        r.stderr
    )

    (tmp_path / ".lekk.toml").write_text(
        '[allowlist]\npaths = [{ path = "b.env", reason = "demo keys", '
        'rules = ["sagapay-api-key.test"] }]\n',
        encoding="utf-8",
    )
    assert found(tmp_path) == {("sagapay-api-key", "a.env", 1), ("sagapay-api-key", "b.env", 1)}

    # A rule without test keys of their own has no test id.
    (tmp_path / ".lekk.toml").write_text('disable = ["tracked-dotenv.test"]\n', encoding="utf-8")
    r = lekk("scan", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.endswith("'disable' names unknown rule id(s): tracked-dotenv.test\n")

    r = lekk("explain", "sagapay-api-key.test", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == lekk("explain", "sagapay-api-key", cwd=tmp_path).stdout
