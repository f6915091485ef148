#!/usr/bin/env python3
"""Before/after: alternating runs of labelled shell commands, CPU and peak memory of each.

    python bench/ab.py --runs 5 before 'PYTHONPATH=/tmp/main python -m scanner git REPO' \\
        after 'python -m scanner git REPO' floor 'git -C REPO cat-file --batch-all-objects --batch'

Each round runs every command once, in an order rotated every round, after one warm-up round
that is not counted.  Per command: the median and the least CPU time (user + sys of the command
and every process it waited for), the median wall time, the range of the peak summed PSS of its
whole process tree (``bench/peers.py``'s ``measure``, every ``git`` included) and, in its worst
round, each process's own peak.  On a machine others use, CPU and memory are the figures to read
(docs/bench.md).  ``--cwd`` runs the commands in a folder (a repository for ``lekk staged``);
exit statuses other than 0 and 1 stop the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cwd", type=Path)
    ap.add_argument("pairs", nargs="+", metavar="LABEL COMMAND")
    a = ap.parse_args(argv)
    if len(a.pairs) % 2:
        ap.error("give LABEL COMMAND pairs")
    pairs = list(zip(a.pairs[0::2], a.pairs[1::2], strict=True))
    env = dict(os.environ)
    runs: dict[str, list[peers.Run]] = {label: [] for label, _ in pairs}
    load = os.getloadavg()[0]
    for i in range(a.runs + 1):
        k = i % len(pairs)
        for label, cmd in pairs[k:] + pairs[:k]:
            r = peers.measure(peers.Cmd(("sh", "-c", cmd), (0, 1)), a.cwd, env)
            if r.rc not in (0, 1):
                sys.exit(f"{label}: exit {r.rc}: {r.err[-500:]}")
            if i:
                runs[label].append(r)
    for label, rs in runs.items():
        cpu = [r.cpu for r in rs]
        pss = [r.pss_kib // 1024 for r in rs]
        worst = max(rs, key=lambda r: r.pss_kib)
        procs = ", ".join(f"{name} {kib // 1024}" for name, kib in worst.procs[:6])
        print(
            f"{label}: CPU median {statistics.median(cpu):.3f} s, min {min(cpu):.3f} s; "
            f"wall median {statistics.median(r.wall for r in rs):.2f} s; "
            f"peak PSS {min(pss)}-{max(pss)} MiB ({procs})"
        )
    print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
