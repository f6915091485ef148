"""Check each distinct credential once, in parallel within each provider's limit, and put the
result on every finding that carries it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scanner.finding import Finding, redact
from scanner.verify import endpoints, http
from scanner.verify.credentials import CHECKED_RULES, Credential, group, refusal
from scanner.verify.providers import (
    ERROR,
    FORBIDDEN,
    LIVE,
    PROVIDERS,
    REVOKED,
    UNKNOWN,
    Outcome,
)
from scanner.verify.ratelimit import Closed, RateLimiter

ACTIVE = (LIVE, FORBIDDEN)
"""Statuses that mean the credential works (``--only-live`` keeps these)."""

MAX_RETRY_WAIT = 120.0
"""A 429 asking for a longer wait than this gives up on that credential (status ``error``)."""


@dataclass(frozen=True)
class Settings:
    timeout: float = 10.0
    """Seconds per request."""
    workers: int = 8
    attempts: int = 3
    """Tries per credential when the provider answers 429."""
    limits: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    """provider -> (requests, window seconds); defaults to the published limits (tests shrink
    the window so a burst takes seconds, not minutes)."""
    clock: Callable[[], float] = time.monotonic


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scrub(text: str, secrets: Sequence[str], prefixes: Sequence[str] = ()) -> str:
    """Never let a credential's value reach a message, whatever an answer or error echoed
    (``prefixes``: the non-secret prefixes its rules' packs name, kept)."""
    for s in sorted(secrets, key=len, reverse=True):
        if s:
            text = text.replace(s, redact(s, prefixes))
    return text


class Verifier:
    def __init__(self, ep: endpoints.Endpoints, settings: Settings) -> None:
        self.ep = ep
        self.settings = settings
        self.limiters = {
            name: RateLimiter(*settings.limits.get(name, (p.limit, p.window)), clock=settings.clock)
            for name, p in PROVIDERS.items()
        }

    def check(self, cred: Credential) -> Outcome:
        provider = PROVIDERS[cred.provider]
        limiter = self.limiters[cred.provider]
        call = provider.call(cred, self.ep)
        outcome = Outcome(ERROR, "not checked")
        for _ in range(max(1, self.settings.attempts)):
            limiter.acquire()
            try:
                resp = http.send(
                    call.method,
                    call.url,
                    call.headers,
                    timeout=self.settings.timeout,
                    direct=call.direct,
                )
            finally:
                limiter.release()
            outcome = provider.outcome(cred, resp)
            # A 429's own retryAfter wins over "no requests remaining" (which waits a window).
            limiter.observe(resp.headers, pause_when_empty=outcome.retry_after is None)
            if outcome.retry_after is None:
                break
            if outcome.retry_after > MAX_RETRY_WAIT:
                return Outcome(ERROR, f"{outcome.detail}; retry after {outcome.retry_after:g}s")
            limiter.pause(outcome.retry_after)
        if outcome.retry_after is not None:
            return Outcome(ERROR, f"{outcome.detail}; gave up after {self.settings.attempts} tries")
        return outcome

    def safe_check(self, cred: Credential) -> Outcome:
        try:
            out = self.check(cred)
        except Closed:
            out = Outcome(ERROR, "not checked: interrupted")
        except Exception as exc:  # one credential's failure never stops the others
            out = Outcome(ERROR, f"check failed: {type(exc).__name__}: {exc}")
        return Outcome(out.status, scrub(out.detail, cred.values, cred.prefixes))


def _missing(cred: Credential) -> str:
    who = PROVIDERS[cred.provider].name
    return f"not checked: no {' or '.join(cred.missing)} found beside it for {who}"


def _severity(f: Finding, status: str) -> str:
    if status in ACTIVE:
        return "error"
    if status == REVOKED:
        return {"error": "warning", "warning": "note"}.get(f.severity, f.severity)
    return f.severity


def plan(findings: Sequence[Finding]) -> tuple[list[Credential | None], dict[str, Credential]]:
    """Each finding's credential and the distinct complete credentials to check."""
    creds = group(findings)
    todo = {c.key: c for c in creds if c is not None and not c.missing}
    return creds, todo


def verify_findings(
    findings: Sequence[Finding],
    *,
    env: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    say: Callable[[str], None] | None = None,
) -> list[Finding]:
    """Return ``findings`` with ``extra["verification"]`` set on every secret finding and the
    severity raised (live) or lowered (revoked).  Raises ConfigError for a bad override."""
    settings = settings or Settings()
    ep = endpoints.resolve(os.environ if env is None else env)
    creds, todo = plan(findings)
    if say and todo:
        say(describe(todo.values(), ep))
    verifier = Verifier(ep, settings)
    results: dict[str, tuple[Outcome, str]] = {}
    if todo:
        keys = list(todo)
        pool = ThreadPoolExecutor(max(1, min(settings.workers, len(keys))), "lekk-verify")
        try:
            checked = pool.map(lambda k: verifier.safe_check(todo[k]), keys)
            for key, outcome in zip(keys, checked, strict=True):
                results[key] = (outcome, _now())
        finally:  # on Ctrl-C: wake the threads waiting for a slot, send nothing more
            for limiter in verifier.limiters.values():
                limiter.close()
            pool.shutdown(wait=True, cancel_futures=True)
    out: list[Finding] = []
    for f, cred in zip(findings, creds, strict=True):
        refused = refusal(f)
        if refused:
            out.append(_with(f, UNKNOWN, _now(), refused))
        elif cred is None:
            if f.rule.is_secret and f.rule.id not in CHECKED_RULES:
                f = _with(f, UNKNOWN, _now(), "lekk has no live check for this rule")
            out.append(f)
        elif cred.missing:
            out.append(_with(f, UNKNOWN, _now(), _missing(cred)))
        else:
            outcome, when = results[cred.key]
            out.append(_with(f, outcome.status, when, outcome.detail))
    return out


def _with(f: Finding, status: str, when: str, detail: str) -> Finding:
    extra: dict[str, Any] = dict(f.extra)
    extra["verification"] = {"status": status, "checked_at": when, "detail": detail}
    return f.with_(extra=extra, severity=_severity(f, status))


def describe(creds: Any, ep: endpoints.Endpoints) -> str:
    """One line for stderr: how many credentials go to which host."""
    counts: dict[str, int] = {}
    for c in creds:
        call = PROVIDERS[c.provider].call(c, ep)
        host = call.url.split("/")[2]
        counts[host] = counts.get(host, 0) + 1
    where = ", ".join(f"{n} to {h}" for h, n in sorted(counts.items()))
    return f"verifying {sum(counts.values())} credential(s): {where}"


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    """How many findings got each status (for the report and the one-line summary)."""
    counts = dict.fromkeys((LIVE, FORBIDDEN, REVOKED, UNKNOWN, ERROR), 0)
    for f in findings:
        v = f.extra.get("verification")
        if isinstance(v, Mapping) and v.get("status") in counts:
            counts[v["status"]] += 1
    return counts


def only_live(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.extra.get("verification", {}).get("status") in ACTIVE]
