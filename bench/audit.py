#!/usr/bin/env python3
"""Benchmark: ``lekk audit`` of many generated repositories on 1 and 2 Dask workers.

Usage: bench/audit.py [--repos 200] [--commits 60] [--files 40] [--workers 1,2] [--keep DIR]
                      [--json FILE]

Generates N repositories with ``git fast-import`` (bench/git_history.py's generator, a seed per
repository: source-like text, a planted fake credential, a branch), then for each worker count
runs a fresh ``lekk audit`` (empty results folder and clone cache: every repository is cloned
and scanned) and a second one with the warm cache and results (every repository unchanged: one
``git ls-remote`` each).  For each run it prints the wall time, repositories/s, MB/s (of the
mirrors on disk, and of the blob content the scans read), the scaling from the first worker
count, the CPU time of the whole process tree (lekk, its Dask workers, the scans and their git
processes: what the shared machine's load does not distort), the time per repository's task
(clone + scan, from the index) and the peak memory (PSS) of the process tree, of one worker
with the scan it runs, and of each kind of process in the tree.  Also the CPU of one ``git ls-remote``, so that the audit's fixed cost (cluster
start and stop) can be told from the per-repository one.  The load average is printed with the
figures.  Results and the 10,000-repository model: docs/audit.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import git_history
import scan_tree
from peers import process_name


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


WORKER = "Dask worker process"


def role(cmdline: str) -> str:
    """What a process of the audit's tree is."""
    if "scanner.audit.scan" in cmdline:
        return "scan (one per running task)"
    if "resource_tracker" in cmdline:
        return "multiprocessing resource tracker"
    if "spawn_main" in cmdline:
        return WORKER
    if "scanner audit" in cmdline or "scanner.cli audit" in cmdline:
        return "lekk audit (client, scheduler, nannies)"
    return process_name(cmdline)


class Sampler(scan_tree.TreeSampler):
    """Peaks of PSS (KiB), sampled on a thread: the audit's whole process tree; one worker's
    share (a Dask worker process with the scan and git processes under it, at one instant);
    and each kind of process, counted as what it is when sampled (a child forked from a
    worker is the program it execs, not the worker it was for a moment)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(pid, interval)
        self.tree = self.worker = 0
        self.roles: dict[str, int] = {}

    def _sample(self) -> dict[int, tuple[str, int, list[int]]]:
        """pid -> (role, PSS, children), for the processes that are what they were a moment
        ago: one that execs while it is read, or a fork of a worker not yet exec'd (its pages
        still the worker's), is left out of this sample."""
        out: dict[int, tuple[str, int, list[int]]] = {}
        todo: list[tuple[int, str]] = [(self.pid, "")]
        while todo:
            pid, parent = todo.pop()
            cmd = scan_tree._cmdline(pid)
            kib = scan_tree._mem_kib(pid)[1]
            kids = scan_tree._children(pid)
            name = role(cmd)
            todo += [(k, name) for k in kids]
            if cmd and cmd == scan_tree._cmdline(pid) and not (name == parent == WORKER):
                out[pid] = (name, kib, kids)
        return out

    def _run(self) -> None:
        while not self._done.is_set():
            procs = self._sample()
            self.tree = max(self.tree, sum(kib for _, kib, _ in procs.values()))
            for name, kib, kids in procs.values():
                self.roles[name] = max(self.roles.get(name, 0), kib)
                if name == WORKER:
                    todo, share = list(kids), kib
                    while todo:
                        _, k, more = procs.get(todo.pop(), ("", 0, []))
                        share, todo = share + k, todo + more
                    self.worker = max(self.worker, share)
            self._done.wait(self.interval)


def audit(lekk: list[str], listing: Path, work: Path, workers: int, fresh: bool) -> dict[str, Any]:
    results, cache = work / "results", work / "cache"
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    argv = [*lekk, "audit", "--from", str(listing), "--workers", str(workers)]
    argv += ["--results", str(results), "--cache", str(cache), "--format", "json", "-q"]
    load = os.getloadavg()[0]
    cpu0 = scan_tree._cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with Sampler(proc.pid) as peak:
        out, err = proc.communicate()
    wall = time.perf_counter() - start
    cpu = scan_tree._cpu() - cpu0
    if proc.returncode not in (0, 1):
        sys.exit(f"lekk audit failed: {err}")
    doc = json.loads(out)
    rows = doc["repositories"]
    blobs = commits = 0
    for row in rows:
        report = json.loads((results / "repos" / f"{row['slug']}.json").read_text())
        blobs += int(report["summary"]["bytes"])
        commits += int(report["git"]["commits"])
    seconds = sorted(float(x["seconds"]) for x in rows)
    return {
        "workers": workers,
        "fresh": fresh,
        "wall": wall,
        "cpu": cpu,
        "load": [load, os.getloadavg()[0]],
        "repos": len(rows),
        "failed": doc["summary"]["failed"],
        "scanned": doc["summary"]["scanned"],
        "findings": doc["summary"]["findings"],
        "mirror_bytes": sum(int(x.get("bytes", 0)) for x in rows),
        "blob_bytes": blobs,
        "commits": commits,
        "task_median": statistics.median(seconds),
        "task_p90": seconds[int(len(seconds) * 0.9) - 1],
        "cache_bytes": _size(cache),
        "peak_pss_kib": peak.tree,
        "peak_pss_per_worker_kib": peak.worker,
        "peak_pss_by_process_kib": dict(sorted(peak.roles.items(), key=lambda kv: -kv[1])),
    }


def ls_remote_cpu(repos: list[Path], n: int = 20) -> float:
    """CPU seconds of one ``git ls-remote`` (what a re-run costs per unchanged repository)."""
    cpu0 = scan_tree._cpu()
    for r in repos[:n]:
        subprocess.run(["git", "ls-remote", "--", str(r)], capture_output=True, check=True)
    return (scan_tree._cpu() - cpu0) / min(n, len(repos))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--commits", type=int, default=60)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--keep", type=Path, help="keep the generated repositories here")
    ap.add_argument("--json", type=Path, help="also write every figure to this file")
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
            f"{src_bytes / 1e6:.1f} MB of .git in all (built in {time.monotonic() - t:.0f}s); "
            f"{os.cpu_count()} cores"
        )
        listing = root / "repos.txt"
        listing.write_text("".join(f"{r}\n" for r in repos))
        lsr = ls_remote_cpu(repos)
        print(f"git ls-remote: {lsr * 1000:.1f} ms of CPU each")
        print(
            f"{'workers':>7} {'run':>5} {'wall s':>7} {'repos/s':>8} {'MB/s':>11} "
            f"{'scaling':>8} {'CPU s':>7} {'CPU/repo':>9} {'task p50':>9} {'task p90':>9} "
            f"{'peak PSS':>9} {'load':>10}"
        )
        runs = []
        base = None
        for w in (int(x) for x in args.workers.split(",")):
            work = root / f"work-{w}"
            for fresh in (True, False):
                r = audit(lekk, listing, work, w, fresh)
                runs.append(r)
                rate = r["repos"] / r["wall"]
                if fresh:
                    base = base or rate
                    assert r["failed"] == 0 and r["findings"] > 0 and r["scanned"] == r["repos"], r
                mbs = f"{r['mirror_bytes'] / 1e6 / r['wall']:.2f}/{r['blob_bytes'] / 1e6 / r['wall']:.1f}"
                print(
                    f"{w:>7} {'cold' if fresh else 'warm':>5} {r['wall']:>7.1f} {rate:>8.2f} "
                    f"{mbs if fresh else '-':>11} "
                    f"{f'{rate / base:.2f}x' if fresh and base else '-':>8} {r['cpu']:>7.1f} "
                    f"{r['cpu'] / r['repos']:>8.3f}s {r['task_median']:>8.2f}s "
                    f"{r['task_p90']:>8.2f}s {r['peak_pss_kib'] / 1024:>6.0f}MiB "
                    f"{r['load'][0]:>4.1f}-{r['load'][1]:<4.1f}"
                )
        cold = runs[0]
        print(
            f"per repository: {cold['mirror_bytes'] / cold['repos'] / 1e3:.0f} KB mirror, "
            f"{cold['blob_bytes'] / cold['repos'] / 1e3:.0f} KB of blobs read, "
            f"{cold['commits'] / cold['repos']:.0f} commits; clone cache "
            f"{cold['cache_bytes'] / 1e6:.1f} MB for {cold['repos']} repositories"
        )
        print("MB/s: of the mirrors on disk / of the blob content the scans read")
        for r in runs:
            if r["fresh"]:
                top = ", ".join(
                    f"{k} {v / 1024:.0f}" for k, v in r["peak_pss_by_process_kib"].items()
                )
                print(
                    f"peak PSS (MiB), {r['workers']} worker(s): one worker with its scan "
                    f"{r['peak_pss_per_worker_kib'] / 1024:.0f}; by process: {top}"
                )
        if args.json:
            doc = {
                "repos": len(repos),
                "commits": args.commits,
                "files": args.files,
                "git_bytes": src_bytes,
                "cores": os.cpu_count(),
                "ls_remote_cpu": lsr,
                "runs": runs,
            }
            args.json.write_text(json.dumps(doc, indent=2) + "\n")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
