#!/usr/bin/env python3
"""Benchmark: ``lekk staged`` wall time, start-up included, on a one-file change.

Usage: bench/staged_startup.py [--runs N] [--lekk CMD]

Builds a small repository (200 files, 20 commits), stages a change to one file (with a fake
credential, so the engine runs and a finding is reported), and runs ``lekk staged --quiet``
N times.  Prints the median and the worst wall time; the target is under 150 ms.
Results: docs/bench-git.md.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import git_history


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--lekk", default=str(Path(sys.executable).parent / "lekk"))
    a = ap.parse_args()
    env = git_history.git_env()
    with tempfile.TemporaryDirectory(prefix="lekk-staged-") as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q", "-b", "main", tmp], check=True, env=env)
        for c in range(20):
            for i in range(c * 10, c * 10 + 10):
                (repo / f"src/m{i % 7}").mkdir(parents=True, exist_ok=True)
                (repo / f"src/m{i % 7}/f{i}.py").write_text(f"def f{i}():\n    return {i}\n" * 40)
            subprocess.run(["git", "-C", tmp, "add", "-A"], check=True, env=env)
            subprocess.run(["git", "-C", tmp, "commit", "-qm", f"c{c}"], check=True, env=env)
        fake = "sps_live_" + "Q3k9ZpLw2XvT8mRb5NcYa7Hd"  # not a real key
        (repo / "src/m0/f0.py").write_text(f"SAGAPAY_API_SECRET = '{fake}'\n")
        subprocess.run(["git", "-C", tmp, "add", "src/m0/f0.py"], check=True, env=env)
        cmd = [*a.lekk.split(), "staged", "--quiet"]
        times, cpu = [], []
        for _ in range(a.runs):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            r = subprocess.run(cmd, cwd=tmp, capture_output=True, env=env)
            times.append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
            assert r.returncode == 1, r.stderr  # the staged fake key is found
    median, worst = statistics.median(times) * 1000, max(times) * 1000
    print(
        f"lekk staged (one staged file, 200-file repo): median {median:.0f} ms, "
        f"worst {worst:.0f} ms over {a.runs} runs, CPU (with git) median "
        f"{statistics.median(cpu) * 1000:.0f} ms  [{' '.join(cmd)}]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
