"""Staying inside the providers' limits: the arithmetic (fake clock) and a real burst of 300
SagaPay credentials checked against the fake server's own request log."""

from __future__ import annotations

from fakeproviders import LIVE, FakeProviders, SagaPay, fake_env

from scanner.engine import Engine
from scanner.finding import Finding
from scanner.rules import load_rules
from scanner.sources import Fragment
from scanner.verify import Settings, verify_findings
from scanner.verify.providers import SAGAPAY_LIMITS
from scanner.verify.ratelimit import RateLimiter, reset_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_slot_frees_one_window_after_the_answer() -> None:
    clock = Clock()
    rl = RateLimiter(2, 60.0, clock=clock)
    assert rl.try_acquire() == 0.0
    assert rl.try_acquire() == 0.0
    assert rl.try_acquire() is None  # both in flight: wait for an answer
    clock.now += 5
    rl.release()  # first answer at t=1005
    clock.now += 10
    assert rl.try_acquire() == 50.0  # free at 1005 + 60, not 1000 + 60
    clock.now = 1065.0
    assert rl.try_acquire() == 0.0


def test_retry_after_and_ratelimit_headers_pause_everyone() -> None:
    clock = Clock()
    rl = RateLimiter(100, 60.0, clock=clock)
    rl.pause(30)
    assert rl.try_acquire() == 30.0
    clock.now += 30
    assert rl.try_acquire() == 0.0
    rl.release()
    rl.observe({"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12"})
    assert rl.limit == 50
    assert rl.try_acquire() == 12.0
    rl.observe({"x-ratelimit-limit": "500"})  # never raised above the published limit
    assert rl.limit == 50


def test_reset_is_a_delay_or_a_unix_time() -> None:
    assert reset_seconds("7") == 7.0
    assert reset_seconds("1700000030", now_epoch=1700000000) == 30.0
    assert reset_seconds("soon") is None
    assert reset_seconds("nan") is None


def test_published_limits() -> None:
    assert SAGAPAY_LIMITS == {"terminals": 200, "other": 100}
    rl = RateLimiter(SAGAPAY_LIMITS["terminals"])
    assert (rl.limit, rl.window) == (200, 60.0)


def _findings(creds: list[SagaPay]) -> list[Finding]:
    engine = Engine(load_rules())
    out: list[Finding] = []
    for i, c in enumerate(creds):
        out += [f for f in engine.scan(Fragment(c.env_file(), f"svc{i}/.env")) if f.rule.is_secret]
    return out


def test_burst_of_300_stays_inside_the_limit(fake: FakeProviders) -> None:
    # The published limit is 200 a minute; the window is shrunk to 1 s so the test takes about a
    # second, and the fake server enforces the same limit (it answers 429 above it).
    limit, window = 200, 1.0
    fake.terminals_limit = (limit, window)
    creds = [SagaPay.new() for _ in range(300)]
    for c in creds:
        fake.behaviour[c.secret] = LIVE
    findings = _findings(creds)
    assert len(findings) == 600

    out = verify_findings(
        findings,
        env=fake_env(fake),
        settings=Settings(workers=32, limits={"sagapay": (limit, window)}),
    )

    assert {f.extra["verification"]["status"] for f in out} == {"live"}
    log = fake.requests("/v1/terminals")
    assert len(log) == 300  # one request per distinct credential, no 429 retries
    assert [r for r in log if r.status != 200] == []
    times = sorted(r.t for r in log)
    # No window of `window` seconds, as the server measured it, holds more than `limit` requests.
    assert all(times[i + limit] - times[i] >= window for i in range(len(times) - limit))
    # And the burst really was spread: the 201st request waited for the window.
    assert times[limit] - times[0] >= window


def test_close_wakes_and_refuses_waiting_threads() -> None:
    import threading

    import pytest

    from scanner.verify.ratelimit import Closed

    rl = RateLimiter(1, 3600.0)
    rl.acquire()
    raised: list[bool] = []

    def waiter() -> None:
        try:
            rl.acquire()  # would wait for the answer of the first request
        except Closed:
            raised.append(True)

    t = threading.Thread(target=waiter)
    t.start()
    rl.close()
    t.join(timeout=5)
    assert raised == [True]
    with pytest.raises(Closed):
        rl.acquire()


def test_a_provider_limit_below_the_published_one_is_learned(fake: FakeProviders) -> None:
    # The fake allows 4 a second and says so (X-RateLimit-Limit, 429 RATE_LIMITED retryAfter 1);
    # lekk starts from 200 a second, learns 4 from the first answers (and is told off at most
    # for the requests already on their way), then keeps to 4.
    fake.terminals_limit = (4, 1.0)
    creds = [SagaPay.new() for _ in range(12)]
    for c in creds:
        fake.behaviour[c.secret] = LIVE

    out = verify_findings(
        _findings(creds),
        env=fake_env(fake),
        settings=Settings(workers=8, limits={"sagapay": (200, 1.0)}),
    )

    assert {f.extra["verification"]["status"] for f in out} == {"live"}
    log = fake.requests("/v1/terminals")
    limited = [r for r in log if r.status == 429]
    assert len(limited) <= 8  # only the first burst, before lekk had heard the limit
    assert len(log) == 12 + len(limited)
    if limited:  # once told, never again
        first = min(r.t for r in limited)
        assert all(r.status == 200 for r in log if r.t >= first + 0.5)
    for c in creds:  # a refused credential was retried no sooner than retryAfter
        mine = [r for r in log if r.h("X-API-Secret") == c.secret]
        assert mine[-1].status == 200
        if mine[0].status == 429:
            assert mine[1].t - mine[0].t >= fake.retry_after
