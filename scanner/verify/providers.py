"""The live checks: what each provider is asked, and what its answer means.

Vipps MobilePay: ``POST /accesstoken/get`` (no body) - 200 with an ``access_token`` is live,
401/403 revoked or invalid.  SagaPay: ``GET /v1/terminals`` - 2xx live, 401 ``UNAUTHORIZED``
revoked or invalid, 403 ``FORBIDDEN`` live but not for that merchant.  Both: 429 is retried after
the provider's ``retryAfter``/``Retry-After``; anything else is ``error``.  Both requests are
read-only: an access token is only issued, nothing is created, changed or paid.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from scanner import __version__
from scanner.verify.credentials import Credential
from scanner.verify.endpoints import SAGAPAY, VIPPS_PRODUCTION, VIPPS_TEST, Endpoints
from scanner.verify.http import Response
from scanner.verify.ratelimit import reset_seconds

LIVE = "live"
REVOKED = "revoked_or_invalid"
FORBIDDEN = "unauthorized_for_resource"
UNKNOWN = "unknown"
ERROR = "error"
STATUSES = (LIVE, REVOKED, FORBIDDEN, UNKNOWN, ERROR)


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    headers: Mapping[str, str]
    direct: bool
    """True for a loopback override: sent without any proxy."""


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str
    retry_after: float | None = None
    """Set on a 429: the provider asks to try again after this many seconds."""


@dataclass(frozen=True)
class Provider:
    name: str
    limit: int
    """Requests per ``window`` seconds lekk allows itself (the provider's published limit)."""
    window: float
    call: Callable[[Credential, Endpoints], Call]
    outcome: Callable[[Credential, Response], Outcome]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return None


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        n = float(value)
    except ValueError:
        return None
    return n if 0 <= n < float("inf") else None


def retry_after(resp: Response, doc: Any) -> float | None:
    """The wait a 429 asks for: body ``retryAfter``, ``Retry-After``, or ``X-RateLimit-Reset``."""
    if isinstance(doc, dict):
        for holder in (doc, doc.get("error"), doc.get("details")):
            if isinstance(holder, dict):
                for k in ("retryAfter", "retry_after"):
                    s = _seconds(holder.get(k))
                    if s is not None:
                        return s
    header = resp.header("Retry-After")
    if header:
        s = _seconds(header.strip())
        if s is not None:
            return s
        try:
            from datetime import UTC, datetime

            return max(0.0, (parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            pass
    return reset_seconds(resp.header("X-RateLimit-Reset"))


def _unexpected(host: str, resp: Response) -> Outcome:
    if resp.status == 0:
        return Outcome(ERROR, f"{host}: {resp.error}")
    if 300 <= resp.status < 400:
        return Outcome(ERROR, f"{host} answered HTTP {resp.status} (a redirect; not followed)")
    return Outcome(ERROR, f"{host} answered HTTP {resp.status}; the credential was not judged")


# -- Vipps MobilePay -----------------------------------------------------------------------


def _vipps_host(cred: Credential) -> str:
    return (VIPPS_TEST if cred.environment == "test" else VIPPS_PRODUCTION).split("//")[1]


def vipps_call(cred: Credential, ep: Endpoints) -> Call:
    base = ep.vipps(cred.environment)
    headers = {
        "client_id": cred.get("client_id") or "",
        "client_secret": cred.get("client_secret") or "",
        "Ocp-Apim-Subscription-Key": cred.get("subscription_key") or "",
        "Vipps-System-Name": "lekk",
        "Vipps-System-Version": __version__,
        "User-Agent": f"lekk/{__version__} (secret-leak scanner; --verify)",
    }
    msn = cred.get("merchant_serial_number")
    if msn:
        headers["Merchant-Serial-Number"] = msn
    return Call("POST", f"{base}/accesstoken/get", headers, base in ep.loopback)


def vipps_outcome(cred: Credential, resp: Response) -> Outcome:
    host = _vipps_host(cred)
    doc = _json(resp.body)
    if resp.status == 200:
        token = doc.get("access_token") if isinstance(doc, dict) else None
        if isinstance(token, str) and token:
            return Outcome(LIVE, f"{host} issued an access token for these credentials")
        return Outcome(ERROR, f"{host} answered 200 without an access_token (malformed answer)")
    if resp.status in (401, 403):
        return Outcome(REVOKED, f"{host} refused the credentials (HTTP {resp.status})")
    if resp.status == 429:
        wait = retry_after(resp, doc)
        return Outcome(ERROR, f"{host} rate-limited the check (HTTP 429)", wait or 1.0)
    return _unexpected(host, resp)


# -- SagaPay -------------------------------------------------------------------------------

SAGAPAY_LIMITS = {"terminals": 200, "other": 100}
"""SagaPay's published limits per minute; the check calls the Terminals API only."""


def sagapay_call(cred: Credential, ep: Endpoints) -> Call:
    headers = {
        "X-API-Key": cred.get("api_key") or "",
        "X-API-Secret": cred.get("api_secret") or "",
        "Accept": "application/json",
        "User-Agent": f"lekk/{__version__} (secret-leak scanner; --verify)",
    }
    merchant = cred.get("merchant_id")
    if merchant:
        headers["X-Merchant-ID"] = merchant
    return Call("GET", f"{ep.sagapay}/v1/terminals", headers, ep.sagapay in ep.loopback)


def _code(doc: Any) -> str:
    if not isinstance(doc, dict):
        return ""
    err = doc.get("error")
    for v in (doc.get("code"), err.get("code") if isinstance(err, dict) else err):
        if isinstance(v, str) and v.replace("_", "").isalpha() and len(v) <= 40:
            return v.upper()
    return ""


def sagapay_outcome(cred: Credential, resp: Response) -> Outcome:
    host = SAGAPAY.split("//")[1]
    doc = _json(resp.body)
    code = _code(doc)
    said = f" {code}" if code else ""
    if 200 <= resp.status < 300:
        return Outcome(LIVE, f"{host} accepted the key and secret (HTTP {resp.status})")
    if resp.status == 401:
        return Outcome(REVOKED, f"{host} refused the key and secret (HTTP 401{said})")
    if resp.status == 403:
        return Outcome(
            FORBIDDEN,
            f"{host} accepted the key but not for this merchant's terminals (HTTP 403{said})",
        )
    if resp.status == 429:
        wait = retry_after(resp, doc)
        return Outcome(ERROR, f"{host} rate-limited the check (HTTP 429{said})", wait or 1.0)
    return _unexpected(host, resp)


PROVIDERS: dict[str, Provider] = {
    # Vipps MobilePay publishes no limit for the access-token endpoint: lekk keeps to a modest
    # 60 a minute of its own and honours 429 Retry-After.
    "vipps": Provider("Vipps MobilePay", 60, 60.0, vipps_call, vipps_outcome),
    "sagapay": Provider(
        "SagaPay", SAGAPAY_LIMITS["terminals"], 60.0, sagapay_call, sagapay_outcome
    ),
}
