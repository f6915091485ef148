"""One repository of an audit, as a Dask task: never raises, always says what happened.

``run(job)`` asks the repository for its refs (nothing fetched) and returns ``unchanged`` when
they are what the last run scanned; else it clones or updates the mirror, checks its size, and
scans it in a child process (``scanner.audit.scan``) under the job's time and memory limits.
Whatever goes wrong (no such repository, a refused transport, a corrupt pack, too large, too
slow, out of memory) comes back as ``failed`` with a one-line reason.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scanner.audit.repos import Repo, RepoError, mirror, refs_digest, shown, size
from scanner.audit.scan import WORKER


@dataclass(frozen=True)
class Limits:
    seconds: float = 3600.0  # per repository: clone or update, and scan
    memory: int = 2 << 30  # bytes of memory the scan may allocate
    repo_bytes: int = 5 << 30  # a mirror larger than this is not scanned


@dataclass(frozen=True)
class Job:
    repo: Repo
    cache: str
    settings: dict[str, Any]
    limits: Limits = field(default_factory=Limits)
    previous_refs: str | None = None  # the refs digest the last complete scan saw


@dataclass
class Outcome:
    source: str
    slug: str
    status: str  # "scanned", "unchanged" or "failed"
    reason: str = ""
    refs: str = ""
    report: str = ""  # the JSON report, as `lekk git --format json` writes it
    sarif: str = ""
    seconds: float = 0.0
    bytes: int = 0  # the mirror's size on disk
    worker: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run(job: Job) -> Outcome:
    started = time.monotonic()
    out = Outcome(job.repo.shown, job.repo.slug, "failed", worker=socket.gethostname())
    deadline = started + job.limits.seconds
    try:
        out.refs = refs_digest(job.repo.source, timeout=job.limits.seconds)
        if job.previous_refs is not None and out.refs == job.previous_refs:
            out.status = "unchanged"
            return out
        path = mirror(job.repo, Path(job.cache).expanduser(), timeout=_left(deadline))
        out.bytes = size(path)
        if out.bytes > job.limits.repo_bytes:
            out.reason = f"too large: {out.bytes >> 20} MiB, over the {job.limits.repo_bytes >> 20} MiB limit"
            return out
        out.report, out.sarif = _scan(path, job, _left(deadline))
        out.status = "scanned"
    except RepoError as exc:
        out.reason = str(exc)
    except Exception as exc:  # a task reports every failure; it never takes the audit down
        out.reason = f"internal error: {type(exc).__name__}: {shown(str(exc))}"
    finally:
        out.seconds = round(time.monotonic() - started, 3)
    return out


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise RepoError("time limit reached")
    return left


def _scan(path: Path, job: Job, seconds: float) -> tuple[str, str]:
    with tempfile.TemporaryDirectory(prefix="lekk-audit-") as tmp:
        settings = Path(tmp) / "settings.json"
        settings.write_text(json.dumps(job.settings), encoding="utf-8")
        cmd = [
            sys.executable,
            "-I",
            "-m",
            "scanner.audit.scan",
            str(path),
            tmp,
            str(settings),
            f"lekk/audit/{job.repo.slug}",
        ]
        try:
            proc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env={**os.environ, WORKER: str(os.getpid())},  # it stops when this process goes
                timeout=seconds,
                preexec_fn=_limit_memory(job.limits.memory) if os.name == "posix" else None,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RepoError(
                f"time limit reached ({job.limits.seconds:g}s per repository)"
            ) from None
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        if proc.returncode == 4 or proc.returncode in (-9, 137):
            raise RepoError(f"memory limit reached ({job.limits.memory >> 20} MiB per repository)")
        if proc.returncode != 0:
            raise RepoError(err[-1] if err else f"the scan exited {proc.returncode}")
        report = (Path(tmp) / "report.json").read_text(encoding="utf-8")
        sarif = (Path(tmp) / "report.sarif").read_text(encoding="utf-8")
    return report, sarif


def _limit_memory(limit: int) -> Any:
    def apply() -> None:
        import resource

        # data, not address space: git maps pack files, which must not count
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    return apply
