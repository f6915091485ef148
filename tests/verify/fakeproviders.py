"""A real HTTP server on 127.0.0.1 that imitates Vipps MobilePay's access-token API and SagaPay's
terminals API, with its own request log, and helpers that make random fake credentials."""

from __future__ import annotations

import base64
import json
import random
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What the fake does for a credential, keyed by its secret (client_secret / X-API-Secret).
LIVE, REVOKED, FORBIDDEN, RATE_LIMITED_ONCE, SLOW, MALFORMED, ECHO, GARBLED = (
    "live",
    "revoked",
    "forbidden",
    "rate_limited_once",
    "slow",
    "malformed",
    "echo",
    "garbled",
)
REDIRECT = "redirect"


@dataclass(frozen=True)
class Logged:
    t: float
    """time.monotonic() when the request arrived."""
    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case (HTTP header names are case-insensitive)."""
    status: int

    def h(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class FakeProviders:
    url: str = ""
    behaviour: dict[str, str] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    terminals_limit: tuple[int, float] = (200, 60.0)
    """SagaPay's limit the fake enforces (requests, window seconds): over it, 429 RATE_LIMITED."""
    retry_after: int = 1
    slow_seconds: float = 3.0
    redirect_to: str = ""
    """Where a REDIRECT credential is sent (302 Location)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    _seen: set[str] = field(default_factory=set)

    def requests(self, path: str | None = None) -> list[Logged]:
        with self.lock:
            return [r for r in self.log if path is None or r.path == path]


def _handler(fake: FakeProviders) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def _record(self, status: int, t: float) -> None:
            with fake.lock:
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                fake.log.append(Logged(t, self.command, self.path, hdrs, status))

        def _first_time(self, secret: str) -> bool:
            with fake.lock:
                first = secret not in fake._seen
                fake._seen.add(secret)
                return first

        def do_POST(self) -> None:
            t = time.monotonic()
            if self.path != "/accesstoken/get":
                self._record(404, t)
                return self._send(404, {"error": "not found"})
            secret = self.headers.get("client_secret", "")
            how = fake.behaviour.get(secret, REVOKED)
            if not (
                self.headers.get("client_id") and self.headers.get("Ocp-Apim-Subscription-Key")
            ):
                how = REVOKED
            if how == RATE_LIMITED_ONCE:
                how = "429" if self._first_time(secret) else LIVE
            if how == SLOW:
                time.sleep(fake.slow_seconds)
                how = LIVE
            if how == LIVE:
                self._record(200, t)
                return self._send(
                    200,
                    {
                        "token_type": "Bearer",
                        "expires_in": "86398",
                        "access_token": "eyJ0eXAiOiJKV1Qi.fake.token",
                    },
                )
            if how == "429":
                self._record(429, t)
                return self._send(
                    429, {"error": "Too many requests"}, {"Retry-After": str(fake.retry_after)}
                )
            if how == FORBIDDEN:
                self._record(403, t)
                return self._send(403, {"error": "Forbidden"})
            if how == MALFORMED:
                self._record(200, t)
                return self._send(200, b"<html>gateway says hi " + secret.encode() + b"</html>")
            if how == ECHO:
                self._record(500, t)
                return self._send(500, {"message": f"bad request {dict(self.headers)}"})
            self._record(401, t)
            body = {"error": "unauthorized_client", "error_description": f"bad secret {secret}"}
            return self._send(401, body)

        def do_GET(self) -> None:
            t = time.monotonic()
            if self.path != "/v1/terminals":
                self._record(404, t)
                return self._send(404, {"status": "ERROR", "error": {"code": "NOT_FOUND"}})
            limit, window = fake.terminals_limit
            with fake.lock:
                recent = [r for r in fake.log if r.path == self.path and r.t > t - window]
            if len(recent) >= limit:
                self._record(429, t)
                return self._send(
                    429,
                    {
                        "status": "ERROR",
                        "error": {
                            "code": "RATE_LIMITED",
                            "message": "Too many requests",
                            "retryAfter": fake.retry_after,
                        },
                    },
                    {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"},
                )
            secret = self.headers.get("X-API-Secret", "")
            how = fake.behaviour.get(secret, REVOKED)
            if not self.headers.get("X-API-Key"):
                how = REVOKED
            if how == RATE_LIMITED_ONCE:
                how = "429" if self._first_time(secret) else LIVE
            if how == SLOW:
                time.sleep(fake.slow_seconds)
                how = LIVE
            rl = {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(limit - len(recent) - 1),
            }
            if how == LIVE:
                self._record(200, t)
                return self._send(200, {"status": "SUCCESS", "data": [{"terminalId": "t_1"}]}, rl)
            if how == "429":
                self._record(429, t)
                return self._send(
                    429,
                    {
                        "status": "ERROR",
                        "error": {
                            "code": "RATE_LIMITED",
                            "message": "Too many requests",
                            "retryAfter": fake.retry_after,
                        },
                    },
                )
            if how == FORBIDDEN:
                self._record(403, t)
                return self._send(
                    403,
                    {
                        "status": "ERROR",
                        "error": {"code": "FORBIDDEN", "message": "Not for this merchant"},
                    },
                )
            if how == REDIRECT:
                self._record(302, t)
                return self._send(302, {}, {"Location": f"{fake.redirect_to}/v1/terminals"})
            if how == GARBLED:
                self._record(0, t)
                self.wfile.write(b"NOT-HTTP garbage " + secret.encode() + b"\r\n\r\n")
                self.close_connection = True
                return None
            if how == ECHO:
                self._record(500, t)
                return self._send(500, {"status": "ERROR", "message": f"{dict(self.headers)}"})
            self._record(401, t)
            return self._send(
                401,
                {
                    "status": "ERROR",
                    "error": {"code": "UNAUTHORIZED", "message": f"Invalid API key {secret}"},
                },
            )

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops a burst's connections (a 1 s SYN retry)


def serve(fp: FakeProviders) -> _Server:
    server = _Server(("127.0.0.1", 0), _handler(fp))
    fp.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def fake_env(fp: FakeProviders) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("LEKK_")}
    env.update(LEKK_VIPPS_BASE_URL=fp.url, LEKK_SAGAPAY_BASE_URL=fp.url, NO_COLOR="1")
    return env


def _alnum(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


@dataclass(frozen=True)
class SagaPay:
    key: str
    secret: str
    merchant: str

    @classmethod
    def new(cls) -> SagaPay:
        return cls("spk_live_" + _alnum(24), "sps_live_" + _alnum(24), f"merch_{_alnum(6)}")

    def env_file(self, merchant: bool = True) -> str:
        lines = [f"SAGAPAY_API_KEY={self.key}", f"SAGAPAY_API_SECRET={self.secret}"]
        if merchant:
            lines.append(f"SAGAPAY_MERCHANT_ID={self.merchant}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Vipps:
    client_id: str
    secret: str
    sub_key: str
    msn: str

    @classmethod
    def new(cls) -> Vipps:
        while True:
            s = base64.b64encode(secrets.token_bytes(16)).decode()
            if (
                any(c.islower() for c in s)
                and any(c.isupper() for c in s)
                and any(c.isdigit() or c in "+/" for c in s)
            ):
                break
        return cls(str(uuid.uuid4()), s, secrets.token_hex(16), str(random.randint(100000, 999999)))

    def env_file(self, host: str = "api.vipps.no", *, sub_key: bool = True) -> str:
        lines = [
            f"VIPPS_CLIENT_ID={self.client_id}",
            f"VIPPS_CLIENT_SECRET={self.secret}",
            f"VIPPS_MERCHANT_SERIAL_NUMBER={self.msn}",
        ]
        if sub_key:
            lines.append(f"VIPPS_SUBSCRIPTION_KEY={self.sub_key}")
        lines.append(f"VIPPS_API_URL=https://{host}")
        return "\n".join(lines) + "\n"
