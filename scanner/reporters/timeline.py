"""The exposure timeline of a history report: one row per leaked credential, most urgent first.

A row runs from the value's first commit to the commit that removed it from the default branch
(``removed_in``) or, while it is still there or still reachable from another ref, to now.  Only
positions are computed here (in percent of the chart's width, so the HTML template draws the SVG
at any width without stretching text); the template draws them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scanner.finding import Finding

PAD = 1.5  # percent left free at either end, so markers at the edges are drawn whole
BREAK = (86.0, 93.0)  # where a broken axis skips from the last commit to now
STATES = ("head", "removed", "history", "elsewhere")
MAX_TICKS = 7
_DAY_STEPS = (1, 2, 7, 14)
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)


@dataclass(frozen=True)
class Tick:
    pct: float
    label: str


@dataclass(frozen=True)
class Row:
    finding: Finding
    state: str  # "head" (the default branch's tip holds it), "removed", "history", "elsewhere"
    live: bool
    start: datetime
    end: datetime  # the removal, or now
    x0: float
    x1: float

    @property
    def days(self) -> int:
        return max(0, (self.end - self.start).days)

    @property
    def width(self) -> float:
        return max(self.x1 - self.x0, 0.4)


@dataclass(frozen=True)
class Timeline:
    rows: Sequence[Row]
    ticks: Sequence[Tick]
    start: datetime
    end: datetime  # now, or the last commit's date when the axis is broken
    gap: tuple[float, float] | None = None  # a break in the axis between the history and now
    now: float = 100 - PAD

    @property
    def states(self) -> list[str]:
        """The states its rows are in, in the legend's order."""
        return [s for s in STATES if any(r.state == s for r in self.rows)]


def when(iso: Any) -> datetime | None:
    """A commit date (ISO 8601, as in ``commit.date``) in UTC; None if there is none."""
    if not isinstance(iso, str):
        return None
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


def is_live(f: Finding) -> bool:
    v = f.extra.get("verification")
    return isinstance(v, dict) and v.get("status") == "live"


def urgency(f: Finding, now: datetime) -> tuple[bool, bool, bool, float]:
    """Sort key, most urgent first: live, still in HEAD, client-side, longest exposed."""
    start = when(f.extra.get("first_seen")) or now
    removed = f.extra.get("removed_in")
    end = when(removed.get("date")) if isinstance(removed, dict) else None
    exposed = ((end or now) - start).total_seconds()
    return (not is_live(f), not f.extra.get("still_in_head"), not f.client_side, -exposed)


def build(
    findings: Sequence[Finding], now: datetime, default_branch: str | None = None
) -> Timeline | None:
    """The timeline of the credentials (not lint findings) that carry a commit; None if none.

    A row's state: the default branch's tip holds the value ("head"); a commit removed it from
    the branch ("removed"); the branch's history holds it but no file at its tip ever did, as
    in a commit message ("history"); or only other refs reach it ("elsewhere").

    When the last commit of the timeline is long before now (more than a quarter of the time
    the history spans), the axis is broken: the history fills most of the width, so an exposure
    of days in a history of weeks is seen, and the rows still exposed run on across the break
    to "now" at the right edge."""
    dated = []
    for f in findings:
        start = when(f.extra.get("first_seen"))
        if f.rule.is_secret and f.extra.get("commit") and start:
            removed = f.extra.get("removed_in")
            gone = when(removed.get("date")) if isinstance(removed, dict) else None
            state = _state(f, gone, default_branch)
            dated.append((f, state, start, gone))
    if not dated:
        return None
    t0 = min(s for _, _, s, _ in dated)
    last = max(t for _, _, s, g in dated for t in (s, g) if t is not None)
    now = max(now, last)
    span = max(last - t0, timedelta(days=1))
    broken = now - last > span / 4
    t1, right = (t0 + span, BREAK[0] - 2) if broken else (t0 + max(now - t0, span), 100 - PAD)

    def pct(t: datetime) -> float:
        return round(PAD + (right - PAD) * min((t - t0) / (t1 - t0), 1.0), 3)

    dated.sort(key=lambda d: urgency(d[0], now))
    rows = [
        Row(f, st, is_live(f), s, g or now, pct(s), pct(g) if g else 100 - PAD)
        for f, st, s, g in dated
    ]
    marks = [Tick(pct(t), label) for t, label in ticks(t0, t1) if pct(t) <= 90]
    if not marks or marks[0].pct > 20:  # and where it starts, when no tick is near
        marks.insert(0, Tick(PAD, t0.strftime("%Y-%m-%d")))
    return Timeline(rows, marks, t0, t1 if broken else now, BREAK if broken else None)


def _state(f: Finding, gone: datetime | None, default_branch: str | None) -> str:
    if f.extra.get("still_in_head"):
        return "head"
    if gone:
        return "removed"
    return "history" if default_branch in (f.extra.get("refs") or ()) else "elsewhere"


def ticks(t0: datetime, t1: datetime) -> list[tuple[datetime, str]]:
    """Round dates between ``t0`` and ``t1``: days, months or years, at most ``MAX_TICKS``."""
    span = (t1 - t0).days + 1
    for step in _DAY_STEPS:
        if span / step <= MAX_TICKS:
            return [(t, t.strftime("%Y-%m-%d")) for t in _days(t0, t1, step)]
    for months in _MONTH_STEPS:
        if span / (30.44 * months) <= MAX_TICKS:
            fmt = "%Y" if months >= 12 else "%Y-%m"
            return [(t, t.strftime(fmt)) for t in _months(t0, t1, months)]
    return [(t0, t0.strftime("%Y")), (t1, t1.strftime("%Y"))]


def _days(t0: datetime, t1: datetime, step: int) -> Iterator[datetime]:
    t = datetime(t0.year, t0.month, t0.day, tzinfo=UTC) + timedelta(days=1)
    while t <= t1:
        yield t
        t += timedelta(days=step)


def _months(t0: datetime, t1: datetime, step: int) -> Iterator[datetime]:
    m = t0.year * 12 + t0.month  # months since year 0 of the first month that starts after t0
    m += -m % step  # on the step: quarters start in January, years are multiples of the step
    while (t := datetime(m // 12, m % 12 + 1, 1, tzinfo=UTC)) <= t1:
        yield t
        m += step
