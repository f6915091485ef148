"""A sliding-window limiter that stays inside a provider's published limit, whatever the latency.

A request occupies a slot from the moment it is sent until ``window`` seconds after its answer
came back.  The provider sees the request somewhere between those two moments, so counting from
the answer (not from the send) means no window the provider measures can hold more than
``limit`` of our requests, however the network delays them.  A 429's ``retryAfter`` or
``X-RateLimit-Remaining: 0`` pauses every thread until the provider says it may go on.

The clock and the sleep are injectable so the tests can check the arithmetic without waiting.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

Clock = Callable[[], float]


class Closed(Exception):
    """The run is over (interrupted): no more requests."""


class RateLimiter:
    def __init__(self, limit: int, window: float = 60.0, *, clock: Clock = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._cond = threading.Condition()
        self._done: deque[float] = deque()  # answer times, in the order they came back
        self._in_flight = 0
        self._paused_until = 0.0
        self._closed = False

    def _wait_time(self, now: float) -> float | None:
        """Seconds to wait before a slot frees, None to wait for an answer, 0 to go now."""
        while self._done and self._done[0] <= now - self.window:
            self._done.popleft()
        if now < self._paused_until:
            return self._paused_until - now
        if self._in_flight + len(self._done) < self.limit:
            return 0.0
        if self._done:
            return self._done[0] + self.window - now
        return None

    def try_acquire(self) -> float | None:
        """Take a slot and return 0.0, or return the seconds to wait (None: until an answer)."""
        with self._cond:
            wait = self._wait_time(self._clock())
            if wait == 0.0:
                self._in_flight += 1
            return wait

    def acquire(self) -> None:
        """Block until a request may be sent, then take a slot (give it back with ``release``)."""
        with self._cond:
            while True:
                if self._closed:
                    raise Closed
                wait = self._wait_time(self._clock())
                if wait == 0.0:
                    self._in_flight += 1
                    return
                self._cond.wait(timeout=wait)

    def release(self) -> None:
        """The answer (or the failure) came back: the slot frees ``window`` seconds from now."""
        with self._cond:
            self._in_flight -= 1
            self._done.append(self._clock())
            self._cond.notify_all()

    def close(self) -> None:
        """Wake every waiting thread and refuse further requests."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def pause(self, seconds: float) -> None:
        """The provider asked us to wait (429 retryAfter, or no requests remaining)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._cond.notify_all()

    def lower_limit(self, limit: int) -> None:
        """The provider announced a lower limit (X-RateLimit-Limit) than the published one."""
        with self._cond:
            self.limit = max(1, min(self.limit, limit))

    def observe(
        self,
        headers: Mapping[str, str],
        now_epoch: float | None = None,
        *,
        pause_when_empty: bool = True,
    ) -> None:
        """Honour ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` from any answer."""
        low = {k.lower(): v for k, v in headers.items()}
        limit = _number(low.get("x-ratelimit-limit"))
        if limit is not None and limit >= 1:
            self.lower_limit(int(limit))
        remaining = _number(low.get("x-ratelimit-remaining"))
        if remaining is not None and remaining <= 0 and pause_when_empty:
            reset = reset_seconds(low.get("x-ratelimit-reset"), now_epoch)
            self.pause(reset if reset is not None else self.window)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        n = float(value.strip())
    except ValueError:
        return None
    return n if n == n and abs(n) != float("inf") else None


def reset_seconds(value: str | None, now_epoch: float | None = None) -> float | None:
    """``X-RateLimit-Reset`` as seconds from now: either a delay or a Unix time (then > 1e9)."""
    n = _number(value)
    if n is None or n < 0:
        return None
    if n > 1e9:
        now = time.time() if now_epoch is None else now_epoch
        return max(0.0, n - now)
    return n
