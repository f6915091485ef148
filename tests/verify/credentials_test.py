"""Which findings make one credential: same file (and commit, and original source), nearby."""

from __future__ import annotations

from fakeproviders import SagaPay, Vipps

from scanner.engine import Engine
from scanner.finding import Finding
from scanner.rules import load_rules
from scanner.sources import Fragment
from scanner.verify.credentials import group


def _scan(text: str, path: str = "app/.env") -> list[Finding]:
    found = Engine(load_rules()).scan(Fragment(text, path))
    return [f for f in found if f.rule.is_secret]  # not tracked-dotenv: a lint rule


def test_a_vipps_set_takes_its_parts_from_both_findings() -> None:
    v = Vipps.new()
    found = _scan(v.env_file("apitest.vipps.no"))
    assert [(f.rule.id, f.line) for f in found] == [
        ("vipps-client-secret", 2),
        ("vipps-subscription-key", 4),
    ]
    creds = group(found)
    assert creds[0] == creds[1]
    c = creds[0]
    assert c is not None and c.provider == "vipps" and c.environment == "test"
    assert dict(c.parts) == {
        "client_id": v.client_id,
        "client_secret": v.secret,
        "subscription_key": v.sub_key,
        "merchant_serial_number": v.msn,
    }
    assert c.missing == ()
    assert v.secret not in repr(c)  # a credential never prints its parts


def test_parts_in_different_commits_are_not_one_credential() -> None:
    s = SagaPay.new()
    key, secret = _scan(s.env_file())
    assert (key.rule.id, secret.rule.id) == ("sagapay-api-key", "sagapay-api-secret")
    both = group([key.with_(extra={"commit": "a1"}), secret.with_(extra={"commit": "b2"})])
    assert [c.missing for c in both if c] == [("api_secret",), ("api_key",)]
    same = group([key.with_(extra={"commit": "a1"}), secret.with_(extra={"commit": "a1"})])
    assert [c.missing for c in same if c] == [(), ()]


def test_parts_far_apart_or_in_other_files_are_not_paired() -> None:
    s = SagaPay.new()
    far = _scan(f"SAGAPAY_API_KEY={s.key}\n" + "\n" * 40 + f"SAGAPAY_API_SECRET={s.secret}\n")
    assert [(f.rule.id, f.line) for f in far] == [
        ("sagapay-api-key", 1),
        ("sagapay-api-secret", 42),
    ]
    assert [c.missing for c in group(far) if c] == [("api_secret",), ("api_key",)]
    split = _scan(f"SAGAPAY_API_KEY={s.key}\n", "a.env") + _scan(
        f"SAGAPAY_API_SECRET={s.secret}\n", "b.env"
    )
    assert [c.missing for c in group(split) if c] == [("api_secret",), ("api_key",)]
