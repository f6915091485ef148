"""Where a credential may be sent: its provider's official HTTPS host, or a loopback test server.

The override variables exist so the test suite can run the real client against a local imitation
of the providers.  They accept loopback addresses only, so an override can never send a
credential anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from scanner.errors import ConfigError

VIPPS_PRODUCTION = "https://api.vipps.no"
VIPPS_TEST = "https://apitest.vipps.no"
SAGAPAY = "https://api.sagapay.no"

VIPPS_ENV = "LEKK_VIPPS_BASE_URL"
SAGAPAY_ENV = "LEKK_SAGAPAY_BASE_URL"

_LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class Endpoints:
    """Base URLs (no trailing slash) for each provider and environment."""

    vipps_production: str = VIPPS_PRODUCTION
    vipps_test: str = VIPPS_TEST
    sagapay: str = SAGAPAY
    loopback: frozenset[str] = frozenset()
    """The base URLs that came from an override (sent directly, never through a proxy)."""

    def vipps(self, environment: str) -> str:
        return self.vipps_test if environment == "test" else self.vipps_production


def loopback_base(name: str, value: str) -> str:
    """Return ``value`` normalised if it is ``http://127.0.0.1:PORT``, ``http://[::1]:PORT`` or
    ``http://localhost:PORT``; raise ConfigError (one line, exit 2) otherwise."""
    why = (
        f"{name}={value!r} is refused: only a loopback test server is allowed "
        "(http://127.0.0.1:PORT, http://[::1]:PORT or http://localhost:PORT)"
    )
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(why) from None
    if (
        parts.scheme != "http"
        or parts.hostname not in _LOOPBACK_HOSTS
        or port is None
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(why)
    host = f"[{parts.hostname}]" if parts.hostname == "::1" else parts.hostname
    return f"http://{host}:{port}"


def resolve(env: Mapping[str, str]) -> Endpoints:
    """The official hosts, or the loopback overrides from ``env`` (validated)."""
    vipps = env.get(VIPPS_ENV, "")
    saga = env.get(SAGAPAY_ENV, "")
    loop: set[str] = set()
    ep = Endpoints()
    if vipps:
        base = loopback_base(VIPPS_ENV, vipps)
        loop.add(base)
        ep = Endpoints(vipps_production=base, vipps_test=base, sagapay=ep.sagapay)
    if saga:
        base = loopback_base(SAGAPAY_ENV, saga)
        loop.add(base)
        ep = Endpoints(ep.vipps_production, ep.vipps_test, base)
    return Endpoints(ep.vipps_production, ep.vipps_test, ep.sagapay, frozenset(loop))
