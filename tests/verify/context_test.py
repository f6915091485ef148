"""--verify sends a value only to the provider whose context it was found in, never to the other
one: the real command, the real client, the fake providers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from fakeproviders import LIVE, FakeProviders, SagaPay, Vipps, fake_env
from helpers import lekk

from scanner.engine import Engine
from scanner.rules import load_rules
from scanner.sources import Fragment
from scanner.verify.credentials import LINKS


def test_a_value_goes_only_to_the_provider_whose_context_it_is_in(
    fake: FakeProviders, tmp_path: Path
) -> None:
    vipps, vipps_shaped, saga, saga_shaped = Vipps.new(), Vipps.new(), SagaPay.new(), SagaPay.new()
    for secret in (vipps.secret, vipps_shaped.secret, saga.secret, saga_shaped.secret):
        fake.behaviour[secret] = LIVE
    (tmp_path / "payments.yaml").write_text(
        "payments:\n"
        "  vipps:\n"
        "    url: https://api.vipps.no\n"
        f"    client_id: {vipps.client_id}\n"
        f"    client_secret: {vipps.secret}\n"
        f"    subscription_key: {vipps.sub_key}\n"
        f"    merchant_serial_number: {vipps.msn}\n"
        "  sagapay:\n"
        "    url: https://api.sagapay.no\n"
        f"    client_id: {uuid.uuid4()}\n"
        f"    client_secret: {vipps_shaped.secret}\n"  # 11: a Vipps-looking pair, SagaPay's block
        f"    subscription_key: {vipps_shaped.sub_key}\n"
        f"    api_key: {saga.key}\n"
        f"    api_secret: {saga.secret}\n"
    )
    (tmp_path / "mixed.env").write_text(
        "VIPPS_API_URL=https://api.vipps.no\n"
        "SAGAPAY_API_URL=https://api.sagapay.no\n"
        f"CLIENT_SECRET={vipps_shaped.secret}\n"  # 3: the same pair, SagaPay named nearest
        f"OCP_APIM_SUBSCRIPTION_KEY={vipps_shaped.sub_key}\n"
    )
    (tmp_path / "legacy.yaml").write_text(
        "vipps:\n"
        "  url: https://api.vipps.no\n"
        f"  api_key: {saga_shaped.key}\n"  # 3: a SagaPay-shaped pair, under Vipps MobilePay
        f"  api_secret: {saga_shaped.secret}\n"
    )

    r = lekk("scan", str(tmp_path), "--verify", "--format", "json", env=fake_env(fake))
    assert r.returncode == 1, r.stderr
    status = {
        (f["path"], f["line"], f["rule"]): f["verification"]
        for f in json.loads(r.stdout)["findings"]
        if "verification" in f
    }

    # Each provider's own values are checked with it.
    for line, rule in ((5, "vipps-client-secret"), (6, "vipps-subscription-key")):
        assert status[("payments.yaml", line, rule)]["status"] == "live"
    for line, rule in ((13, "sagapay-api-key"), (14, "sagapay-api-secret")):
        assert status[("payments.yaml", line, rule)]["status"] == "live"
    # The Vipps-looking pair under sagapay: has names of another system's block (issue 12), so
    # no rule reports it; where a Vipps rule does (generic names, SagaPay named nearest), it is
    # found and never sent to Vipps.
    assert not {("payments.yaml", 11), ("payments.yaml", 12)} & {(p, n) for p, n, _ in status}
    for line, rule in ((3, "vipps-client-secret"), (4, "vipps-subscription-key")):
        v = status[("mixed.env", line, rule)]
        assert v == {
            **v,
            "status": "unknown",
            "detail": "not checked: found in SagaPay's context, so it is not sent to Vipps MobilePay",
        }
    # The SagaPay-shaped key under vipps: is never sent to SagaPay; nor is its secret, alone.
    v = status[("legacy.yaml", 3, "sagapay-api-key")]
    assert v["status"] == "unknown"
    assert v["detail"] == (
        "not checked: found in Vipps MobilePay's context, so it is not sent to SagaPay"
    )
    assert status[("legacy.yaml", 4, "sagapay-api-secret")]["status"] == "unknown"

    sent_vipps = {r.h("client_secret") for r in fake.requests("/accesstoken/get")}
    sent_saga = {(r.h("X-API-Key"), r.h("X-API-Secret")) for r in fake.requests("/v1/terminals")}
    assert sent_vipps == {vipps.secret}
    assert sent_saga == {(saga.key, saga.secret)}
    every = json.dumps([x.headers for x in fake.requests()])
    for value in (vipps_shaped.secret, vipps_shaped.sub_key, saga_shaped.key, saga_shaped.secret):
        assert value not in every


def test_found_in_is_the_provider_named_nearest() -> None:
    engine = Engine(load_rules())
    v, s = Vipps.new(), SagaPay.new()

    def found_in(text: str, path: str = "app/settings.txt") -> dict[tuple[str, int], str]:
        return {
            (f.rule.id, f.line): f.found_in
            for f in engine.scan(Fragment(text, path))
            if f.rule.is_secret
        }

    # The name on the value's line decides, whatever is around it.
    assert found_in(f"# sagapay and vipps\nVIPPS_CLIENT_SECRET={v.secret}\n") == {
        ("vipps-client-secret", 2): "Vipps MobilePay"
    }
    # A heading above beats one below.
    assert found_in(f"[vipps]\nclient_secret = {v.secret}\n[sagapay]\n") == {
        ("vipps-client-secret", 2): "Vipps MobilePay"
    }
    assert found_in(f"# vipps\n# sagapay\nclient_secret = {v.secret}\n") == {
        ("vipps-client-secret", 3): "SagaPay"
    }
    # (in a `[sagapay]` section the name is SagaPay's and no Vipps rule reports it: issue 12)
    assert found_in(f"[vipps]\n[sagapay]\nclient_secret = {v.secret}\n") == {}
    # Two providers equally near: nobody's.
    assert found_in(f"vipps sagapay\nclient_secret = {v.secret}\n") == {
        ("vipps-client-secret", 2): ""
    }
    # A SagaPay pair with no word around it is SagaPay's by its shape.
    assert found_in(f"KEY={s.key}\nSECRET={s.secret}\n") == {
        ("sagapay-api-key", 1): "SagaPay",
        ("sagapay-api-secret", 2): "SagaPay",
    }
    # On one (minified) line, the fewest characters away.
    bundle = f'window.sagapayOrders=()=>1;const s={{"Ocp-Apim-Subscription-Key":"{v.sub_key}"}};e.vipps=s'
    assert found_in(bundle, "dist/app.js") == {("vipps-subscription-key", 1): "Vipps MobilePay"}
    # Nothing named in the text: the path decides.
    assert found_in(f"client_secret = {v.secret}\n", "config/vipps/prod.env") == {
        ("vipps-client-secret", 1): "Vipps MobilePay"
    }


def test_every_link_names_its_rules_provider() -> None:
    rules = {r.id: r for r in load_rules()}
    for rid, link in LINKS.items():
        assert rules[rid].provider == link.provider, rid
        assert rules[rid].is_secret
