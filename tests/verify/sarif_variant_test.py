"""SARIF's rule id, message and tags follow the key's environment (live or test key); only the
level follows verification (and client-side code), so an alert keeps its identity between runs."""

from __future__ import annotations

import json
from pathlib import Path

from fakeproviders import LIVE, REVOKED, FakeProviders, SagaPay, Vipps, fake_env
from helpers import lekk
from sarif_checks import check


def _results(fake: FakeProviders, root: Path, *extra: str) -> tuple[dict, dict]:
    out = root.parent / "out.sarif"
    r = lekk("scan", str(root), "--format", "sarif", "-o", str(out), *extra, env=fake_env(fake))
    assert r.returncode == 1, r.stderr
    run = check(json.loads(out.read_text(encoding="utf-8")))
    results = {}
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]
        key = (loc["artifactLocation"]["uri"], loc["region"]["startLine"])
        results[key] = res
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    return results, rules


def test_rule_id_message_and_tags_follow_the_environment_not_verification(
    fake: FakeProviders, tmp_path: Path
) -> None:
    live_test_key = SagaPay(
        "spk_test_" + SagaPay.new().key[9:], "sps_test_" + SagaPay.new().secret[9:], ""
    )
    revoked_live_key = SagaPay.new()
    vipps_test = Vipps.new()
    fake.behaviour.update(
        {
            live_test_key.secret: LIVE,
            revoked_live_key.secret: REVOKED,
            vipps_test.secret: LIVE,
        }
    )
    root = tmp_path / "repo"
    (root / "dist").mkdir(parents=True)
    (root / "test.env").write_text(live_test_key.env_file(merchant=False))
    (root / "revoked.env").write_text(revoked_live_key.env_file(merchant=False))
    # a test key in a browser bundle: an error (every visitor downloads it), still a test key
    bundle_key = "spk_test_" + SagaPay.new().key[9:]
    (root / "dist" / "app.js").write_text(
        f'fetch("https://api.sagapay.no/v1/terminals",{{headers:{{"X-API-Key":"{bundle_key}"}}}})\n'
    )
    # a Vipps MobilePay test key in a browser bundle: checked against the test host
    (root / "dist" / "vipps.js").write_text(
        f'const c={{url:"https://apitest.vipps.no",client_id:"{vipps_test.client_id}",'
        f'client_secret:"{vipps_test.secret}",\n"Ocp-Apim-Subscription-Key":"{vipps_test.sub_key}"}};\n'
    )

    plain, plain_rules = _results(fake, root)
    verified, verified_rules = _results(fake, root, "--verify")

    # The same alerts, under the same rule ids, with and without --verify.
    assert {k: r["ruleId"] for k, r in plain.items()} == {
        k: r["ruleId"] for k, r in verified.items()
    }
    assert {k: r["message"]["text"] for k, r in plain.items()} == {
        k: r["message"]["text"] for k, r in verified.items()
    }
    assert plain_rules == verified_rules

    # A test key verified live: still the test rule and a test key; only the level is raised.
    res = verified[("test.env", 1)]
    assert res["ruleId"] == "sagapay-api-key.test"
    assert res["properties"]["verification"]["status"] == "live"
    assert res["level"] == "error" and plain[("test.env", 1)]["level"] == "warning"
    assert "a test key" in res["message"]["text"]
    assert "test-key" in verified_rules["sagapay-api-key.test"]["properties"]["tags"]

    # A live key found revoked: lowered to a warning, still the live-key rule, no "test key".
    res = verified[("revoked.env", 1)]
    assert res["ruleId"] == "sagapay-api-key"
    assert res["properties"]["verification"]["status"] == "revoked_or_invalid"
    assert res["level"] == "warning" and plain[("revoked.env", 1)]["level"] == "error"
    assert "test key" not in res["message"]["text"]
    assert "test-key" not in verified_rules["sagapay-api-key"]["properties"]["tags"]

    # Test keys in browser code: level error, test rule.
    res = plain[("dist/app.js", 1)]
    assert res["ruleId"] == "sagapay-api-key.test" and res["level"] == "error"
    res = verified[("dist/vipps.js", 1)]
    assert res["ruleId"] == "vipps-client-secret.test" and res["level"] == "error"
    assert "apitest.vipps.no issued" in res["properties"]["verification"]["detail"]
