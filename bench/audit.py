#!/usr/bin/env python3
"""Benchmark: ``lekk audit`` of many generated repositories on 1 and 2 Dask workers.

Usage: bench/audit.py [--repos 200] [--commits 60] [--files 40] [--workers 1,2] [--keep DIR]

Generates N repositories with ``git fast-import`` (bench/git_history.py's generator, a seed per
repository: source-like text, a few planted fake credentials, branches, tags), then for each
worker count runs a fresh ``lekk audit`` (empty results folder and clone cache: every repository
is cloned and scanned) and prints wall time, repositories/s, MB/s of repositories (on disk,
mirrors), the scaling from 1 worker, and the time per repository's task (clone + scan) from the
index.  A second run with the warm cache and results shows what a re-run costs (every repository
unchanged).  Results and the 10,000-repository model: docs/audit.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import git_history


def build(root: Path, n: int, commits: int, files: int) -> list[Path]:
    repos = []
    for i in range(n):
        dest = root / f"repo-{i:04d}"
        if not (dest / ".git").is_dir():
            git_history.generate(dest, commits, files, seed=1000 + i)
        repos.append(dest)
    return repos


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def audit(lekk: list[str], listing: Path, work: Path, workers: int, fresh: bool) -> dict:
    results, cache = work / "results", work / "cache"
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    r = subprocess.run(
        [
            *lekk,
            "audit",
            "--from",
            str(listing),
            "--workers",
            str(workers),
            "--results",
            str(results),
            "--cache",
            str(cache),
            "--format",
            "json",
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - start
    if r.returncode not in (0, 1):
        sys.exit(f"lekk audit failed: {r.stderr}")
    doc = json.loads(r.stdout)
    rows = doc["repositories"]
    return {
        "wall": wall,
        "repos": len(rows),
        "failed": doc["summary"]["failed"],
        "findings": doc["summary"]["findings"],
        "mirror_bytes": sum(int(x.get("bytes", 0)) for x in rows),
        "task_median": statistics.median(float(x["seconds"]) for x in rows),
        "task_p90": sorted(float(x["seconds"]) for x in rows)[int(len(rows) * 0.9) - 1],
        "cache_bytes": _size(cache),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--commits", type=int, default=60)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--keep", type=Path, help="keep the generated repositories here")
    ap.add_argument("--lekk", default=f"{sys.executable} -m scanner", help="the lekk command")
    args = ap.parse_args()
    lekk = args.lekk.split()
    root = args.keep or Path(tempfile.mkdtemp(prefix="lekk-audit-bench-"))
    try:
        t = time.monotonic()
        repos = build(root / "repos", args.repos, args.commits, args.files)
        src_bytes = sum(_size(r / ".git") for r in repos)
        print(
            f"{len(repos)} repositories, {args.commits} commits and {args.files} files each, "
            f"{src_bytes / 1e6:.1f} MB of .git in all (built in {time.monotonic() - t:.0f}s)"
        )
        listing = root / "repos.txt"
        listing.write_text("".join(f"{r}\n" for r in repos))
        base = None
        print(
            f"{'workers':>7} {'wall s':>8} {'repos/s':>8} {'MB/s':>7} {'scaling':>8} "
            f"{'task p50':>9} {'task p90':>9} {'re-run s':>9}"
        )
        for w in (int(x) for x in args.workers.split(",")):
            work = root / f"work-{w}"
            cold = audit(lekk, listing, work, w, fresh=True)
            warm = audit(lekk, listing, work, w, fresh=False)
            rate = cold["repos"] / cold["wall"]
            base = base or rate
            print(
                f"{w:>7} {cold['wall']:>8.1f} {rate:>8.2f} "
                f"{cold['mirror_bytes'] / 1e6 / cold['wall']:>7.2f} {rate / base:>7.2f}x "
                f"{cold['task_median']:>8.2f}s {cold['task_p90']:>8.2f}s {warm['wall']:>9.1f}"
            )
            assert cold["failed"] == 0 and cold["findings"] > 0, cold
        print(f"clone cache: {cold['cache_bytes'] / 1e6:.1f} MB for {len(repos)} repositories")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
