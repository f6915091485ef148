#!/usr/bin/env python3
"""Benchmark: full-history ``lekk git`` against the floor of reading every object once.

Usage: bench/git_history.py [--commits N] [--files N] [--keep DIR] [--lekk CMD] [--baseline CMD]

Generates a repository with ``git fast-import`` (fixed seed; thousands of commits of source-like
text, a few planted fake credentials, files edited, copied, renamed and deleted, a few branches
and tags), repacks it like a real clone (deltas), then times:

  floor:  git cat-file --batch-all-objects --batch > /dev/null
  lekk:   lekk git REPO --format json -o /dev/null --quiet

and prints MB of unique blobs, MB/s, wall time, the ratio to the floor, CPU time (lekk and its
git processes) and lekk's peak RSS (VmHWM of the child, which includes nothing of git's).
``--baseline CMD`` times a second lekk (another version: ``PYTHONPATH=... python -m scanner``
through ``env``) in runs interleaved with the first, so both see the same machine load.
Results: docs/bench-git.md.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (  # noqa: SIM905
    "def class return import from self value config client token request response order "
    "payment amount currency merchant callback url http json data error status result item "
    "list dict none true false async await logger debug info warn user session cart product "
    "price total tax shipping address country refund capture cancel webhook event handler"
).split()


def _line(r: random.Random) -> str:
    indent = "    " * r.randint(0, 3)
    return indent + " ".join(r.choice(WORDS) for _ in range(r.randint(3, 12)))


def git_env() -> dict[str, str]:
    """The environment for building bench repositories: no user or system config, an identity."""
    return dict(
        os.environ,
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
    )


def generate(dest: Path, commits: int, files: int, seed: int = 7) -> None:
    r = random.Random(seed)
    env = git_env()
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True, env=env)
    contents: dict[str, list[str]] = {}
    names = [f"src/mod{i // 50}/file{i}.py" for i in range(files)]
    names[3] = "src/vipps/settings.py"
    names[4] = "config/vipps.env"
    out: list[bytes] = []

    def data(b: bytes) -> None:
        out.append(b"data %d\n" % len(b) + b + b"\n")

    for i in range(commits):
        branch = "main" if i % 97 else f"feature/f{i}"
        out.append(f"commit refs/heads/{branch}\n".encode())
        out.append(f"mark :{i + 1}\n".encode())
        when = 1_600_000_000 + i * 3600
        out.append(f"author Dev {i % 7} <dev{i % 7}@example.invalid> {when} +0000\n".encode())
        out.append(f"committer Dev <dev@example.invalid> {when} +0000\n".encode())
        data(f"change {i}: {r.choice(WORDS)} {r.choice(WORDS)}".encode())
        if i:
            out.append(f"from :{i}\n".encode())
        touched = r.sample(names, r.randint(1, 4)) if i else names
        if i % 500 == 1 and "config/vipps.env" not in touched:
            touched = [*touched, "config/vipps.env"]
        for name in touched:
            lines = contents.setdefault(name, [_line(r) for _ in range(r.randint(20, 200))])
            for _ in range(r.randint(1, 6)):
                pos = r.randrange(len(lines) + 1)
                if r.random() < 0.3 and lines:
                    del lines[min(pos, len(lines) - 1)]
                else:
                    lines.insert(pos, _line(r))
            if name == "config/vipps.env" and i % 500 == 1:
                lines.append(f'VIPPS_CLIENT_SECRET="{r.randbytes(16).hex()}Zq"')
            text = ("\n".join(lines) + "\n").encode()
            out.append(f"M 100644 inline {name}\n".encode())
            data(text)
        if i % 400 == 399:
            victim = r.choice(names)
            if victim in contents:
                out.append(f"D {victim}\n".encode())
                del contents[victim]
        out.append(b"\n")
        if i % 1000 == 999:
            out.append(
                f"tag v{i // 1000}\nfrom :{i + 1}\n"
                f"tagger T <t@example.invalid> {when} +0000\n".encode()
            )
            data(b"release")
    subprocess.run(
        ["git", "-C", str(dest), "fast-import", "--quiet"], input=b"".join(out), check=True, env=env
    )
    subprocess.run(["git", "-C", str(dest), "repack", "-adq", "--window=50"], check=True, env=env)


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(cmd: list[str]) -> tuple[float, int, float]:
    """Wall time, the peak RSS (KiB) of the process itself (not of its git children), and the
    CPU time of the process and the git processes it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = 0
    while p.poll() is None:
        peak = max(peak, _hwm(p.pid))
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, peak, cpu


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--files", type=int, default=800)
    ap.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lekk", default=f"{sys.executable} -m scanner")
    ap.add_argument("--baseline", help="another lekk command, timed in interleaved runs")
    a = ap.parse_args()
    tmp = None
    if a.keep:
        repo = a.keep
    else:
        tmp = tempfile.mkdtemp(prefix="lekk-bench-")
        repo = Path(tmp) / "repo"
    if not (repo / ".git").exists() and not (repo / "HEAD").exists():
        t0 = time.perf_counter()
        generate(repo, a.commits, a.files)
        print(f"generated {repo} in {time.perf_counter() - t0:.1f}s")
    count = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--all", "--count"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    blobs = subprocess.run(
        f"git -C {repo} rev-list --all --objects --filter=object:type=blob "
        "--filter-provided-objects"
        f" | git -C {repo} cat-file --batch-check='%(objecttype) %(objectsize) %(rest)'",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    sizes = [int(x.split()[1]) for x in blobs if x.startswith("blob ")]
    mb = sum(sizes) / 1e6
    pack = sum(p.stat().st_size for p in (repo / ".git" / "objects" / "pack").glob("*.pack")) / 1e6
    print(
        f"repo: {count} commits, {len(sizes)} unique blobs, {mb:.1f} MB of blobs, "
        f"pack {pack:.1f} MB"
    )
    version = subprocess.run([*a.lekk.split(), "--version"], capture_output=True, text=True)
    print(version.stdout.strip())  # says whether the C prefilter is in use
    args = ["git", str(repo), "--format", "json", "-o", "/dev/null", "--quiet"]
    cmds = {
        "floor": ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"],
        "lekk": [*a.lekk.split(), *args],
    }
    if a.baseline:
        cmds["baseline"] = [*a.baseline.split(), *args]
    runs: dict[str, list[tuple[float, int, float]]] = {name: [] for name in cmds}
    for _ in range(a.runs):  # interleaved: every command sees the same load
        for name, cmd in cmds.items():
            runs[name].append(timed(cmd))
    floor = min(t for t, _, _ in runs.pop("floor"))
    print(
        f"floor    git cat-file --batch-all-objects --batch: {floor:.2f}s  "
        f"({mb / floor:.0f} MB/s of blobs)"
    )
    for name, results in runs.items():
        lekk = cmds[name][: -len(args)]
        found = subprocess.run(
            [*lekk, "git", str(repo), "--format", "json", "--quiet"], capture_output=True, text=True
        ).stdout
        best = min(t for t, _, _ in results)
        rss = max(m for _, m, _ in results) / 1024
        cpu = sorted(c for _, _, c in results)[len(results) // 2]
        print(
            f"{name:8s} {' '.join(cmds[name])}\n"
            f"         {best:.2f}s ({mb / best:.0f} MB/s)  {best / floor:.2f}x floor, CPU "
            f"{cpu:.2f}s (median, with git), peak RSS {rss:.0f} MiB, "
            f"findings: {found.count(chr(34) + 'rule' + chr(34))}"
        )
    if tmp:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
