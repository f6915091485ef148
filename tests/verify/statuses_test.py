"""Every verification status, end to end: the real command, the real client, the fake providers."""

from __future__ import annotations

import json
from pathlib import Path

from fakeproviders import (
    FORBIDDEN,
    GARBLED,
    LIVE,
    MALFORMED,
    RATE_LIMITED_ONCE,
    REVOKED,
    FakeProviders,
    SagaPay,
    Vipps,
    fake_env,
)
from helpers import lekk

Found = dict[tuple[str, str, int], dict]


def _scan(fp: FakeProviders, root: Path, *extra: str) -> tuple[int, Found, str, dict]:
    r = lekk("scan", str(root), "--verify", "--format", "json", *extra, env=fake_env(fp))
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    found = {(f["path"], f["rule"], f["line"]): f for f in doc["findings"]}
    return r.returncode, found, r.stderr, doc


def test_sagapay_statuses(fake: FakeProviders, tmp_path: Path) -> None:
    creds = {how: SagaPay.new() for how in (LIVE, REVOKED, FORBIDDEN, RATE_LIMITED_ONCE, GARBLED)}
    for how, c in creds.items():
        fake.behaviour[c.secret] = how
        (tmp_path / f"{how}.env").write_text(c.env_file())
    lonely = SagaPay.new()
    (tmp_path / "key-only.env").write_text(f"SAGAPAY_API_KEY={lonely.key}  # sagapay\n")

    code, found, stderr, doc = _scan(fake, tmp_path)

    expect = {
        LIVE: ("live", "error"),
        REVOKED: ("revoked_or_invalid", "warning"),
        FORBIDDEN: ("unauthorized_for_resource", "error"),
        RATE_LIMITED_ONCE: ("live", "error"),
        GARBLED: ("error", "error"),
    }
    for how, (status, severity) in expect.items():
        for rule, line in (("sagapay-api-key", 1), ("sagapay-api-secret", 2)):
            f = found[(f"{how}.env", rule, line)]
            assert f["verification"]["status"] == status, (how, f["verification"])
            assert f["severity"] == severity, (how, rule)
            assert f["verification"]["checked_at"].endswith("Z")
    assert (
        "HTTP 401 UNAUTHORIZED"
        in found[("revoked.env", "sagapay-api-key", 1)]["verification"]["detail"]
    )
    assert (
        "HTTP 403 FORBIDDEN"
        in found[("forbidden.env", "sagapay-api-key", 1)]["verification"]["detail"]
    )
    unknown = found[("key-only.env", "sagapay-api-key", 1)]["verification"]
    assert unknown["status"] == "unknown" and "api_secret" in unknown["detail"]
    assert code == 1
    assert doc["verification"] == {
        "live": 4,
        "unauthorized_for_resource": 2,
        "revoked_or_invalid": 2,
        "unknown": 1,
        "error": 2,
    }
    assert "lekk: verifying 5 credential(s): 5 to 127.0.0.1:" in stderr
    assert "verification of 11 finding(s): 4 live, 2 unauthorized_for_resource" in stderr

    # What was sent: the three headers, to the terminals endpoint, never the lonely key.
    sent = fake.requests("/v1/terminals")
    live = [r for r in sent if r.h("X-API-Secret") == creds[LIVE].secret]
    assert len(live) == 1 and live[0].method == "GET"
    assert live[0].h("X-API-Key") == creds[LIVE].key
    assert live[0].h("X-Merchant-ID") == creds[LIVE].merchant
    assert not [r for r in sent if r.h("X-API-Key") == lonely.key]
    # 429 RATE_LIMITED with retryAfter=1: one retry, no sooner than the provider asked.
    rl = [r for r in sent if r.h("X-API-Secret") == creds[RATE_LIMITED_ONCE].secret]
    assert [r.status for r in rl] == [429, 200]
    assert rl[1].t - rl[0].t >= fake.retry_after


def test_vipps_statuses_and_hosts(fake: FakeProviders, tmp_path: Path) -> None:
    prod, test, revoked, forbidden, malformed, limited = (Vipps.new() for _ in range(6))
    fake.behaviour.update(
        {
            prod.secret: LIVE,
            test.secret: LIVE,
            revoked.secret: REVOKED,
            forbidden.secret: FORBIDDEN,
            malformed.secret: MALFORMED,
            limited.secret: RATE_LIMITED_ONCE,
        }
    )
    (tmp_path / "prod.env").write_text(prod.env_file("api.vipps.no"))
    (tmp_path / "test.env").write_text(test.env_file("apitest.vipps.no"))
    (tmp_path / "revoked.env").write_text(revoked.env_file())
    (tmp_path / "forbidden.env").write_text(forbidden.env_file())
    (tmp_path / "malformed.env").write_text(malformed.env_file())
    (tmp_path / "limited.env").write_text(limited.env_file())
    lonely = Vipps.new()
    (tmp_path / "no-key.env").write_text(lonely.env_file(sub_key=False))

    _, found, stderr, _ = _scan(fake, tmp_path)

    def v(path: str, line: int = 2) -> dict:
        return found[(path, "vipps-client-secret", line)]

    assert v("prod.env")["verification"]["status"] == "live"
    assert "api.vipps.no issued an access token" in v("prod.env")["verification"]["detail"]
    assert v("test.env")["verification"]["status"] == "live"
    assert "apitest.vipps.no" in v("test.env")["verification"]["detail"]
    assert v("test.env")["severity"] == "error"  # live: raised from the test warning
    assert found[("prod.env", "vipps-subscription-key", 4)]["verification"]["status"] == "live"
    assert v("revoked.env")["verification"]["status"] == "revoked_or_invalid"
    assert v("revoked.env")["severity"] == "warning"
    assert v("forbidden.env")["verification"]["status"] == "revoked_or_invalid"
    assert v("malformed.env")["verification"]["status"] == "error"
    assert "without an access_token" in v("malformed.env")["verification"]["detail"]
    assert v("limited.env")["verification"]["status"] == "live"
    nokey = v("no-key.env")["verification"]
    assert nokey["status"] == "unknown" and "subscription_key" in nokey["detail"]
    assert v("no-key.env")["severity"] == "error"  # unknown: unchanged
    assert "verifying 6 credential(s)" in stderr

    sent = fake.requests("/accesstoken/get")
    p = [r for r in sent if r.h("client_secret") == prod.secret]
    assert len(p) == 1 and p[0].method == "POST"
    h = p[0].h
    assert h("client_id") == prod.client_id
    assert h("Ocp-Apim-Subscription-Key") == prod.sub_key
    assert h("Merchant-Serial-Number") == prod.msn
    assert h("Vipps-System-Name") == "lekk" and h("Vipps-System-Version")
    assert (h("Content-Length") or "0") == "0"
    assert not [r for r in sent if r.h("client_secret") == lonely.secret]
    rl = [r for r in sent if r.h("client_secret") == limited.secret]
    assert [r.status for r in rl] == [429, 200] and rl[1].t - rl[0].t >= fake.retry_after


def test_each_distinct_credential_is_checked_once(fake: FakeProviders, tmp_path: Path) -> None:
    saga, vipps = SagaPay.new(), Vipps.new()
    fake.behaviour.update({saga.secret: LIVE, vipps.secret: LIVE})
    for i in range(4):
        (tmp_path / f"copy{i}.env").write_text(saga.env_file() + "\n" + vipps.env_file())

    _, found, _, _ = _scan(fake, tmp_path)

    assert len(found) == 16
    assert {f["verification"]["status"] for f in found.values()} == {"live"}
    assert len(fake.requests("/v1/terminals")) == 1
    assert len(fake.requests("/accesstoken/get")) == 1


def test_pairs_by_proximity_in_one_file(fake: FakeProviders, tmp_path: Path) -> None:
    a, b = SagaPay.new(), SagaPay.new()
    fake.behaviour.update({a.secret: LIVE, b.secret: REVOKED})
    (tmp_path / "two.env").write_text(a.env_file(merchant=False) + b.env_file(merchant=False))

    _, found, _, _ = _scan(fake, tmp_path)

    status = {k[1:]: f["verification"]["status"] for k, f in found.items()}
    assert status == {
        ("sagapay-api-key", 1): "live",
        ("sagapay-api-secret", 2): "live",
        ("sagapay-api-key", 3): "revoked_or_invalid",
        ("sagapay-api-secret", 4): "revoked_or_invalid",
    }
    sent = {(r.h("X-API-Key"), r.h("X-API-Secret")) for r in fake.requests()}
    assert sent == {(a.key, a.secret), (b.key, b.secret)}
    assert all(r.h("X-Merchant-ID") is None for r in fake.requests())


def test_only_live_and_text_report(fake: FakeProviders, tmp_path: Path) -> None:
    live, dead = SagaPay.new(), SagaPay.new()
    fake.behaviour.update({live.secret: LIVE, dead.secret: REVOKED})
    (tmp_path / "live.env").write_text(live.env_file())
    (tmp_path / "dead.env").write_text(dead.env_file())

    code, found, _, _ = _scan(fake, tmp_path, "--only-live")
    assert code == 1
    assert sorted(found) == [
        ("live.env", "sagapay-api-key", 1),
        ("live.env", "sagapay-api-secret", 2),
    ]

    r = lekk("scan", str(tmp_path), "--verify", env=fake_env(fake))
    assert r.returncode == 1
    assert "verification: status=live" in r.stdout
    assert "verification: status=revoked_or_invalid" in r.stdout

    (tmp_path / "live.env").unlink()
    r = lekk("scan", str(tmp_path), "--only-live", env=fake_env(fake))
    assert r.returncode == 0, r.stdout
    assert "no leaks found" in r.stdout


def test_without_verify_nothing_is_sent(fake: FakeProviders, tmp_path: Path) -> None:
    c = SagaPay.new()
    fake.behaviour[c.secret] = LIVE
    (tmp_path / "a.env").write_text(c.env_file())
    r = lekk("scan", str(tmp_path), "--format", "json", env=fake_env(fake))
    assert r.returncode == 1
    assert all("verification" not in f for f in json.loads(r.stdout)["findings"])
    assert fake.requests() == []
