"""CPU time of the engine's steps, in-process, best of N runs (issue 14's profile).

    python bench/engine_steps.py                    # bench/peers.py's data in ~/.cache/lekk-bench
    python bench/engine_steps.py --tree DIR --repo REPO --runs 5

- ``Engine()``: building the rule set's engine (every worker and ``lekk staged`` pay it);
- prefilter: ``Engine.prefilter`` over every file of the tree, read into memory first;
- ``Engine.scan`` over the files that pass (whole files, as fragments), and two of its steps
  alone: the Base64 step (``_scan_decoded``) and the structure step (``_scan_pairs``);
- ``Engine.path_signature`` of every distinct path in the repository's history (what the
  history scan computes once per path).

Only CPU time (``time.process_time``) is reported: on a shared machine wall time says little.
The reading of files and the sources' work are not measured here (``bench/peers.py`` and
``bench/scan_tree.py`` measure whole commands).
"""

from __future__ import annotations

import argparse
import inspect
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scanner.casefold import fold
from scanner.engine import Engine, _Text
from scanner.rules import load_rules
from scanner.sources import Fragment

CACHE = Path(os.environ.get("LEKK_BENCH_CACHE", Path.home() / ".cache" / "lekk-bench"))


def best(runs: int, fn: Callable[[], object]) -> float:
    """The least CPU time of ``runs`` calls, in milliseconds."""
    out = float("inf")
    for _ in range(runs):
        start = time.process_time()
        fn()
        out = min(out, time.process_time() - start)
    return out * 1000


def read_tree(root: Path) -> list[tuple[str, bytes]]:
    files = []
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            path = Path(folder, name)
            files.append((path.relative_to(root).as_posix(), path.read_bytes()))
    return files


def history_paths(repo: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--all", "--name-only", "--format="],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted({p for p in out.splitlines() if p})


def measure(tree: Path | None, repo: Path | None, runs: int) -> list[tuple[str, str]]:
    rules = load_rules()
    rows = [("Engine()", f"{best(runs, lambda: Engine(rules)):.1f} ms")]
    engine = Engine(rules)
    if tree is not None:
        files = read_tree(tree)
        size = sum(len(data) for _, data in files)
        passed: list[tuple[str, bytes]] = []

        def prefilter() -> None:
            passed[:] = [(p, d) for p, d in files if engine.prefilter(d, fold(p))]

        rows.append(
            (
                f"prefilter, {len(files):,} files ({size / 1e6:.0f} MB)",
                f"{best(runs, prefilter):.0f} ms",
            )
        )
        frags = [Fragment(d.decode("utf-8", "replace"), p) for p, d in passed]
        text = sum(len(f.text) for f in frags)
        for f in frags:  # the rules' regexes compile on first use: not measured
            engine.scan(f)

        def texts() -> list[_Text]:
            return [_Text(f, f.text, fold(f.text), fold(f.path)) for f in frags]

        def scan() -> None:
            for f in frags:
                engine.scan(f)

        # (main before issue 14's engine work: ``_scan_decoded(t, taken, warn)``)
        old = len(inspect.signature(engine._scan_decoded).parameters) == 3

        step: Any = engine._scan_decoded

        def decoded() -> None:
            for t in texts():
                list(step(t, [], _quiet) if old else step(t, True, [], _quiet))

        def pairs() -> None:
            for t in texts():
                engine._scan_pairs(t, list(engine._active(t)), _quiet)

        what = f"{len(frags)} files that pass ({text / 1e6:.1f} M characters)"
        rows += [
            (f"Engine.scan, {what}", f"{best(runs, scan):.0f} ms"),
            ("  the Base64 step alone", f"{best(runs, decoded):.0f} ms"),
            ("  the structure step alone (with the rules it wakes)", f"{best(runs, pairs):.0f} ms"),
        ]
    if repo is not None:
        paths = history_paths(repo)

        def signatures() -> None:
            fresh = Engine(rules)
            for p in paths:
                fresh.path_signature(p)

        per = best(runs, signatures) * 1000 / max(1, len(paths))
        rows.append((f"path_signature, {len(paths):,} distinct paths", f"{per:.1f} µs a path"))
    return rows


def _quiet(msg: str) -> None:
    pass


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=CACHE / "tree-200mb-seed1")
    ap.add_argument("--repo", type=Path, default=CACHE / "jquery-npm" / "repo")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    tree = args.tree if args.tree.is_dir() else None
    repo = args.repo if args.repo.is_dir() else None
    if tree is None and repo is None:
        print("no data: run bench/peers.py --prepare, or give --tree/--repo", file=sys.stderr)
        return 2
    rows = measure(tree, repo, args.runs)
    width = max(len(k) for k, _ in rows)
    load = os.getloadavg()[0]
    print(f"CPU time, best of {args.runs} (load average {load:.1f}):")
    for k, v in rows:
        print(f"  {k:<{width}}  {v:>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
