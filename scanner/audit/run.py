"""Running an audit on Dask: an embedded ``LocalCluster`` sized to the machine, or the cluster at
``--scheduler``; one task per repository; results recorded as each task finishes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.audit import task
from scanner.audit.repos import Repo, shown
from scanner.audit.results import Results
from scanner.errors import ConfigError


@dataclass(frozen=True)
class Plan:
    repos: Sequence[Repo]
    results: Path
    cache: str
    settings: dict[str, Any]
    limits: task.Limits
    scheduler: str | None = None
    workers: int | None = None  # embedded cluster: worker processes (default: one per core)
    rescan: bool = False  # scan every repository again, changed or not


def _dask() -> Any:
    try:
        from dask import distributed
    except ImportError:
        raise ConfigError(
            "lekk audit needs Dask: pip install 'lekk[audit]' (dask[distributed])"
        ) from None
    return distributed


@contextlib.contextmanager
def client(plan: Plan, jobs: int) -> Iterator[Any]:
    """A Dask client: to ``plan.scheduler``, or to a cluster started (and stopped) here."""
    distributed = _dask()
    if plan.scheduler:
        try:
            c = distributed.Client(plan.scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"{plan.scheduler}: cannot reach the Dask scheduler: {exc}") from None
        with c:
            yield c
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    n = max(1, min(plan.workers or cores or 1, jobs))
    cluster = distributed.LocalCluster(
        n_workers=n,
        threads_per_worker=1,  # one repository at a time per process; its scan is one core
        processes=True,
        dashboard_address=None,
        # no dashboard; the scheduler's own HTTP routes on a free loopback port, not 8787
        # (taken by another cluster or audit: Dask would say so on stderr)
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
        preload=["scanner.audit.worker"],  # the workers leave Ctrl-C to lekk
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


class Progress:
    """``repositories done/total, findings, failures`` on one stderr line, on a terminal only."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.on = enabled and sys.stderr.isatty()
        self.done = self.findings = self.failed = 0

    def update(self, entry: dict[str, Any]) -> None:
        self.done += 1
        self.findings += int(entry.get("findings", 0))
        self.failed += entry["status"] == "failed"
        if self.on:
            width = 24
            bar = "#" * (width * self.done // max(self.total, 1))
            sys.stderr.write(
                f"\rlekk audit: [{bar:<{width}}] {self.done}/{self.total} repositories, "
                f"{self.findings} finding(s), {self.failed} failed\x1b[K"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.on:
            sys.stderr.write("\n")


def run(plan: Plan, say: Callable[[str], None], progress: bool) -> Results:
    """Audit every repository; the results folder is complete when this returns."""
    results = Results(plan.results, plan.settings)
    jobs = []
    for repo in plan.repos:
        previous = None if plan.rescan else results.resumable(repo.slug)
        jobs.append(
            task.Job(
                repo, plan.cache, plan.settings, plan.limits, previous["refs"] if previous else None
            )
        )
    bar = Progress(len(jobs), progress)
    distributed = _dask()
    run_id = uuid.uuid4().hex[:8]
    told = False
    try:
        with client(plan, len(jobs)) as c:
            futures = {
                c.submit(task.run, job, key=f"lekk-audit-{job.repo.slug}-{run_id}", pure=False): job
                for job in jobs
            }
            try:
                for fut in distributed.as_completed(futures):
                    _record(results, bar, say, futures[fut], fut)
            except KeyboardInterrupt:  # said now: stopping the workers takes a few seconds
                results.flush()
                told = _interrupted(bar, len(jobs), plan.results, say)
                raise
    except KeyboardInterrupt:
        if not told:  # while the cluster started or stopped
            _interrupted(bar, len(jobs), plan.results, say)
        raise
    finally:
        results.flush()
    bar.close()
    return results


def _record(
    results: Results, bar: Progress, say: Callable[[str], None], job: task.Job, fut: Any
) -> None:
    try:
        outcome = fut.result().as_dict()
    except Exception as exc:  # the worker died (out of memory, killed)
        outcome = task.Outcome(
            job.repo.shown,
            job.repo.slug,
            "failed",
            reason=f"the worker stopped: {shown(_line(exc))}",
        ).as_dict()
    entry = results.record(outcome)
    bar.update(entry)
    if entry["status"] == "failed":
        say(f"{job.repo.shown}: {entry['reason']}")


def _interrupted(bar: Progress, total: int, folder: Path, say: Callable[[str], None]) -> bool:
    bar.close()
    say(
        f"interrupted: {bar.done} of {total} repositories recorded in {folder}/; "
        "run the same command again to resume"
    )
    return True


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def elapsed(start: float) -> str:
    return f"{time.monotonic() - start:.1f}s"
