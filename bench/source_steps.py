#!/usr/bin/env python3
"""CPU of each step of a directory scan's source side, in this process: best of N passes.

    python bench/source_steps.py ~/.cache/lekk-bench/tree-200mb-seed1 --passes 3

Steps: the walk; opening and reading every file once (the floor of any reader in Python); the
same with the engine's prefilter on each file (the floor of this design); everything the
readers do (``dispatch.file_fragments``: archives, maps, bundles, text, the prefilter); the
engine on the fragments that pass.  Run it with ``PYTHONPATH`` set to another checkout to
compare two versions (docs/bench.md).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from scanner import config
from scanner.pipeline import Scan
from scanner.sources import dispatch, files


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tree", type=Path)
    ap.add_argument("--passes", type=int, default=3)
    a = ap.parse_args(argv)
    root = str(a.tree)
    scan = Scan(config.rules_for(config.load(None, [a.tree]))[1])
    scan.prefilter(b"", "")  # the engine, built before the clock starts
    best: dict[str, float] = {}

    @contextlib.contextmanager
    def step(name: str) -> Iterator[None]:
        t0 = time.process_time()
        yield
        best[name] = min(best.get(name, float("inf")), time.process_time() - t0)

    def read(targets: list[files.Target], prefilter: bool) -> None:
        for t in targets:
            fh, size = files.open_target(t)
            with fh:
                data = files.read_upto(fh, size + 1)[0]
            if prefilter:
                scan.prefilter(data, t.rel.lower())

    def quiet(msg: str) -> None:
        pass

    for _ in range(a.passes):
        with step("walk"):
            targets = [t for _, t in files.walk([root], [], quiet)]
        with step("open and read"):
            read(targets, False)
        with step("open, read, prefilter"):
            read(targets, True)
        with step("dispatch.file_fragments"):
            frags = [f for t in targets for f in dispatch.file_fragments(t, scan.prefilter, quiet)]
        with step("engine"):
            found = [x for f in frags for x in scan(f, quiet)]
    print(f"{len(targets)} files, {len(frags)} fragments, {len(found)} raw findings")
    for name, cpu in best.items():
        print(f"  {name:26} {cpu * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
