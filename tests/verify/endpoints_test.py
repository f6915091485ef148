"""The override variables accept a loopback test server and nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fakeproviders import LIVE, FakeProviders, SagaPay, Vipps, fake_env
from helpers import lekk

from scanner.errors import ConfigError
from scanner.verify.endpoints import SAGAPAY_ENV, VIPPS_ENV, loopback_base, resolve


@pytest.mark.parametrize(
    ("value", "base"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://[::1]:9", "http://[::1]:9"),
        ("http://localhost:65535", "http://localhost:65535"),
    ],
)
def test_loopback_is_accepted(value: str, base: str) -> None:
    assert loopback_base(VIPPS_ENV, value) == base


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com",
        "http://example.com:8080",
        "https://127.0.0.1:8443",
        "http://127.0.0.1",
        "http://127.0.0.2:8080",
        "http://10.0.0.1:8080",
        "http://127.0.0.1:8080/v1",
        "http://user:pw@127.0.0.1:8080",
        "http://127.0.0.1:8080?x=1",
        "http://localhost.example.com:8080",
        "http://127.0.0.1:99999",
        "ftp://127.0.0.1:21",
        "127.0.0.1:8080",
    ],
)
def test_anything_else_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=f"{SAGAPAY_ENV}=.* is refused: only a loopback"):
        loopback_base(SAGAPAY_ENV, value)


def test_defaults_are_the_official_https_hosts() -> None:
    ep = resolve({})
    assert (ep.vipps("production"), ep.vipps("test"), ep.sagapay) == (
        "https://api.vipps.no",
        "https://apitest.vipps.no",
        "https://api.sagapay.no",
    )
    assert ep.loopback == frozenset()


@pytest.mark.parametrize("var", [VIPPS_ENV, SAGAPAY_ENV])
def test_cli_refuses_a_remote_override(var: str, fake: FakeProviders, tmp_path: Path) -> None:
    saga, vipps = SagaPay.new(), Vipps.new()
    fake.behaviour.update({saga.secret: LIVE, vipps.secret: LIVE})
    (tmp_path / "a.env").write_text(saga.env_file() + vipps.env_file())
    env = fake_env(fake)
    env[var] = "https://example.com"

    r = lekk("scan", str(tmp_path), "--verify", env=env)

    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"lekk: error: {var}='https://example.com' is refused")
    assert "Traceback" not in r.stderr
    assert fake.requests() == []  # refused before anything was sent, to either provider
    for value in (saga.key, saga.secret, vipps.secret, vipps.sub_key):
        assert value not in r.stderr


def test_override_is_ignored_without_verify(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing here\n")
    env = dict(os.environ, LEKK_SAGAPAY_BASE_URL="https://example.com")
    assert lekk("scan", str(tmp_path), env=env).returncode == 0
