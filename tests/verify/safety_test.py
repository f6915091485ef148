"""No secret in any message; time limits; failures of one check never stop the others."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from fakeproviders import (
    ECHO,
    GARBLED,
    LIVE,
    MALFORMED,
    REDIRECT,
    REVOKED,
    SLOW,
    FakeProviders,
    SagaPay,
    Vipps,
    fake_env,
    serve,
)
from helpers import lekk

from scanner.engine import Engine
from scanner.rules import load_rules
from scanner.sources import Fragment
from scanner.verify import Settings, verify_findings
from scanner.verify.runner import scrub


def _values(*creds: SagaPay | Vipps) -> list[str]:
    out: list[str] = []
    for c in creds:
        if isinstance(c, SagaPay):
            out += [c.key, c.secret]
        else:
            out += [c.secret, c.sub_key]
    return out


def test_no_secret_in_reports_warnings_or_errors(fake: FakeProviders, tmp_path: Path) -> None:
    sagas = {how: SagaPay.new() for how in (LIVE, REVOKED, ECHO, GARBLED)}
    vippses = {how: Vipps.new() for how in (LIVE, REVOKED, ECHO, MALFORMED)}
    for how, c in [*sagas.items(), *vippses.items()]:
        fake.behaviour[c.secret] = how
        (tmp_path / f"{type(c).__name__}-{how}.env").write_text(c.env_file())
    secrets = _values(*sagas.values(), *vippses.values())

    for fmt in ("text", "json"):
        r = lekk(
            "scan", str(tmp_path), "--verify", "--verbose", "--format", fmt, env=fake_env(fake)
        )
        assert r.returncode == 1, r.stderr
        for s in secrets:
            assert s not in r.stdout, fmt
            assert s not in r.stderr, fmt
    # The fake echoed the secrets back (401 bodies, a 500 echoing the headers, a garbled answer):
    # the check reads codes, never copies an answer's text.
    r = lekk(
        "scan", str(tmp_path), "--verify", "--format", "json", "--show-secrets", env=fake_env(fake)
    )
    details = [f["verification"]["detail"] for f in json.loads(r.stdout)["findings"]]
    assert len(details) == 16
    for d in details:
        assert not any(s in d for s in secrets), d


def test_scrub_masks_every_part() -> None:
    c = SagaPay.new()
    prefixes = [p for r in load_rules() for p in r.prefixes]  # the packs say what is no secret
    text = scrub(f"server said: {c.secret} / {c.key}", [c.key, c.secret], prefixes)
    assert c.secret not in text and c.key not in text and "sps_live_********" in text


def _one(c: SagaPay | Vipps) -> list:
    found = Engine(load_rules()).scan(Fragment(c.env_file(), "svc/.env"))
    return [f for f in found if f.rule.is_secret]  # not tracked-dotenv: a lint rule


def test_a_slow_provider_times_out(fake: FakeProviders) -> None:
    c = SagaPay.new()
    fake.behaviour[c.secret] = SLOW
    fake.slow_seconds = 2.0
    out = verify_findings(_one(c), env=fake_env(fake), settings=Settings(timeout=0.3))
    v = {f.extra["verification"]["status"] for f in out}
    assert v == {"error"}
    assert "no answer within 0.3s" in out[0].extra["verification"]["detail"]
    assert c.secret not in out[0].extra["verification"]["detail"]


def test_a_provider_that_is_down_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = Vipps.new()
    env = {"LEKK_VIPPS_BASE_URL": f"http://127.0.0.1:{port}"}
    out = verify_findings(_one(c), env=env, settings=Settings(timeout=2))
    assert [f.extra["verification"]["status"] for f in out] == ["error", "error"]
    assert "connection failed" in out[0].extra["verification"]["detail"]
    assert out[0].severity == "error"  # unchanged: an error says nothing about the credential


def test_a_redirect_is_never_followed(fake: FakeProviders) -> None:
    elsewhere = FakeProviders()
    server = serve(elsewhere)
    try:
        c = SagaPay.new()
        fake.behaviour[c.secret] = REDIRECT
        elsewhere.behaviour[c.secret] = LIVE
        fake.redirect_to = elsewhere.url
        out = verify_findings(_one(c), env=fake_env(fake), settings=Settings(timeout=2))
    finally:
        server.shutdown()
        server.server_close()
    assert [f.extra["verification"]["status"] for f in out] == ["error", "error"]
    assert "redirect; not followed" in out[0].extra["verification"]["detail"]
    assert [r.status for r in fake.requests()] == [302]
    assert elsewhere.requests() == []  # the credential went nowhere else
