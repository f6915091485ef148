"""A small HTTP client on urllib: no redirects, a time limit, a bounded body, no proxy for loopback.

Errors come back as a ``Response`` with ``status=0`` and a short ``error`` text that never holds a
header value (the caller scrubs it once more anyway).
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import IO, Any

MAX_BODY = 64 * 1024
"""The providers' answers are small JSON documents; never read more than this."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""
    """Why no HTTP answer came (timeout, connection refused, TLS); empty when one did."""

    def header(self, name: str) -> str | None:
        low = name.lower()
        for k, v in self.headers.items():
            if k.lower() == low:
                return v
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would take the credential to another URL: never follow one."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@functools.cache
def _opener(direct: bool) -> urllib.request.OpenerDirector:
    """Built once (loading the CA store is the slow part) and shared by the worker threads."""
    if direct:  # a loopback test server: plain HTTP, never through a proxy from the environment
        return urllib.request.build_opener(_NoRedirect(), urllib.request.ProxyHandler({}))
    tls = urllib.request.HTTPSHandler(context=ssl.create_default_context())
    return urllib.request.build_opener(_NoRedirect(), tls)


def _headers(msg: Message | None) -> dict[str, str]:
    return {k: str(v) for k, v in msg.items()} if msg is not None else {}


def _read(fh: IO[bytes]) -> bytes:
    try:
        return fh.read(MAX_BODY)
    except (OSError, ValueError, http.client.HTTPException):
        return b""


def send(
    method: str, url: str, headers: Mapping[str, str], *, timeout: float, direct: bool = False
) -> Response:
    """Send one request with no body; return the answer whatever its status."""
    data = b"" if method == "POST" else None
    req = urllib.request.Request(url, data=data, headers=dict(headers), method=method)
    try:
        with _opener(direct).open(req, timeout=timeout) as resp:
            return Response(resp.status, _headers(resp.headers), _read(resp))
    except urllib.error.HTTPError as exc:
        try:
            return Response(exc.code, _headers(exc.headers), _read(exc))
        finally:
            exc.close()
    except TimeoutError:
        return Response(0, error=f"no answer within {timeout:g}s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            return Response(0, error=f"no answer within {timeout:g}s")
        if isinstance(reason, ssl.SSLError):
            return Response(0, error=f"TLS error: {reason.reason or type(reason).__name__}")
        if isinstance(reason, OSError):
            return Response(
                0, error=f"connection failed: {reason.strerror or type(reason).__name__}"
            )
        return Response(0, error="connection failed")
    except (
        OSError,
        ValueError,
        http.client.HTTPException,
    ) as exc:  # garbled answers, reset connections, bad headers
        return Response(0, error=f"request failed: {type(exc).__name__}")
