#!/usr/bin/env python3
"""Benchmark: ``lekk scan`` throughput and peak memory on a generated tree, beside the floor.

    python bench/scan_tree.py         # 200 MB tree in /tmp/lekk-scan-bench-tree, all cores
    python bench/scan_tree.py --size-mb 400 --dir /tmp/big --jobs 2 --runs 3

The tree (outside the repository) is mixed, realistic source: Python, JS/TS, Java, Go, PHP, C#,
Ruby, YAML, JSON, Markdown, .env and minified one-line bundles, with a few files that talk about
Vipps or SagaPay without leaking anything, and a handful of planted keys (random each run).
The floor is reading the same bytes with ``cat`` (warm cache, best of the runs).  Peak memory is
sampled from /proc every 10 ms over the whole process tree (lekk and its workers): the sum of RSS
and the sum of PSS (proportional set size: pages shared by the forked workers counted once).
Exits 1 when a planted key is missed or something unplanted is reported.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import json
import os
import platform
import random
import resource
import shlex
import shutil
import string
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORDS = [
    "order",
    "user",
    "payment",
    "amount",
    "customer",
    "invoice",
    "item",
    "cart",
    "total",
    "price",
    "status",
    "config",
    "client",
    "request",
    "response",
    "handler",
    "service",
    "repository",
    "factory",
    "builder",
    "logger",
    "cache",
    "session",
    "token",
    "value",
    "result",
    "error",
    "message",
    "count",
    "index",
    "buffer",
    "stream",
    "parse",
    "render",
    "update",
    "delete",
    "create",
    "fetch",
    "load",
    "save",
    "merchant",
    "refund",
    "capture",
    "product",
    "address",
    "shipping",
]


def _ident(rng: random.Random) -> str:
    a, b = rng.choice(WORDS), rng.choice(WORDS)
    return a + b.capitalize()


def _py(rng: random.Random) -> str:
    f = _ident(rng)
    return (
        f"def {f}(self, {rng.choice(WORDS)}, **kwargs):\n"
        f'    """Return the {rng.choice(WORDS)} for this {rng.choice(WORDS)}."""\n'
        f"    result = self.{_ident(rng)}.get({rng.choice(WORDS)!r}, {rng.randint(0, 999)})\n"
        f"    if result is None:\n        raise ValueError('no {rng.choice(WORDS)}')\n"
        f"    return [x * {rng.randint(2, 9)} for x in result]\n\n"
    )


def _js(rng: random.Random) -> str:
    return (
        f"export async function {_ident(rng)}({rng.choice(WORDS)}, opts = {{}}) {{\n"
        f"  const res = await fetch(`/api/{rng.choice(WORDS)}/${{{rng.choice(WORDS)}.id}}`);\n"
        f"  if (!res.ok) throw new Error('{rng.choice(WORDS)} failed: ' + res.status);\n"
        f"  return (await res.json()).{rng.choice(WORDS)} ?? {rng.randint(0, 99)};\n}}\n\n"
    )


def _java(rng: random.Random) -> str:
    return (
        f"    public {rng.choice(['int', 'String', 'long', 'boolean'])} {_ident(rng)}("
        f"final {rng.choice(['String', 'Order', 'Item'])} {rng.choice(WORDS)}) {{\n"
        f'        LOG.debug("{rng.choice(WORDS)} {{}}", {rng.choice(WORDS)});\n'
        f"        return this.{_ident(rng)}.apply({rng.choice(WORDS)});\n    }}\n\n"
    )


def _go(rng: random.Random) -> str:
    return (
        f"func (s *Service) {_ident(rng).capitalize()}(ctx context.Context, id string) "
        f"(*{rng.choice(WORDS).capitalize()}, error) {{\n"
        f'\tif err := s.db.QueryRowContext(ctx, "SELECT * FROM {rng.choice(WORDS)} "'
        f'"WHERE id = $1", id)'
        f'.Scan(&x); err != nil {{\n\t\treturn nil, fmt.Errorf("{rng.choice(WORDS)}: %w", err)\n'
        f"\t}}\n\treturn x, nil\n}}\n\n"
    )


def _php(rng: random.Random) -> str:
    return (
        f"    public function {_ident(rng)}(${rng.choice(WORDS)})\n    {{\n"
        f"        $this->{_ident(rng)}['{rng.choice(WORDS)}'] = "
        f"${rng.choice(WORDS)} ?? {rng.randint(0, 9)};\n"
        f"        return $this->render('{rng.choice(WORDS)}.twig', "
        f"['x' => ${rng.choice(WORDS)}]);\n    }}\n\n"
    )


def _yaml(rng: random.Random) -> str:
    return (
        f"{rng.choice(WORDS)}:\n  {rng.choice(WORDS)}: {rng.randint(0, 9999)}\n"
        f"  {rng.choice(WORDS)}_url: https://{rng.choice(WORDS)}.example.com/{rng.choice(WORDS)}\n"
        f"  enabled: {rng.choice(['true', 'false'])}\n"
    )


def _json(rng: random.Random) -> str:
    return (
        json.dumps(
            {
                _ident(rng): rng.randint(0, 10**6),
                "name": rng.choice(WORDS),
                "tags": rng.sample(WORDS, 3),
                "id": f"{rng.getrandbits(128):032x}",
            }
        )
        + ",\n"
    )


def _md(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + ".\n\n"


KINDS = [
    (".py", _py),
    (".js", _js),
    (".ts", _js),
    (".java", _java),
    (".go", _go),
    (".php", _php),
    (".yaml", _yaml),
    (".json", _json),
    (".md", _md),
    (".cs", _java),
    (".rb", _py),
]
# Files that mention the providers without leaking anything: they pass the prefilter and run
# the regexes, as real payment code does.
MENTIONS = [
    "# Payments go through Vipps MobilePay: https://api.vipps.no/epayment/v1/payments\n"
    "VIPPS_CLIENT_SECRET = os.environ['VIPPS_CLIENT_SECRET']\n",
    "const sagapayKey = process.env.SAGAPAY_API_KEY; // X-API-Key for api.sagapay.no\n",
    "  vipps:\n    subscription_key: ${VIPPS_SUBSCRIPTION_KEY}\n"
    "    merchant_serial_number: 123456\n",
]


def _b64(rng: random.Random, n: int) -> str:
    import base64

    return base64.b64encode(rng.randbytes(n)).decode()


def _alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=n))


def planted(rng: random.Random) -> list[tuple[str, str, str]]:
    """(relative path, text, secret) for each planted key: one per rule and shape."""
    sub = f"{rng.getrandbits(128):032x}"
    cs = _b64(rng, 16)
    cs28 = _b64(rng, 20)
    spk = "spk_live_" + _alnum(rng, 24)
    sps = "sps_live_" + _alnum(rng, 24)
    return [
        ("services/payments/vipps_client.py", f'VIPPS_CLIENT_SECRET = "{cs}"\n', cs),
        ("config/application.yml", f"vipps:\n  client-secret: {cs28}\n", cs28),
        (
            "web/src/api/checkout.ts",
            f'const headers = {{"Ocp-Apim-Subscription-Key": "{sub}"}}; '
            "// https://api.vipps.no/epayment/v1/payments\n",
            sub,
        ),
        ("deploy/.env.production", f"SAGAPAY_API_KEY={spk}\nSAGAPAY_API_SECRET={sps}\n", spk),
        ("deploy/.env.production", "", sps),
    ]


def generate(dest: Path, size_mb: int, seed: int) -> tuple[list[str], int]:
    rng = random.Random(seed)
    if dest.exists():
        shutil.rmtree(dest)
    target = size_mb * 1_000_000
    total = files = 0
    while total < target:
        ext, gen = rng.choice(KINDS)
        d = dest / f"pkg{files // 200:04d}" / rng.choice(["src", "lib", "app", "internal", "docs"])
        d.mkdir(parents=True, exist_ok=True)
        parts, n = [], rng.choice([800, 3000, 12_000, 40_000, 150_000])
        size = 0
        while size < n:
            s = gen(rng)
            parts.append(s)
            size += len(s)
        if rng.random() < 0.02:
            parts.insert(rng.randrange(len(parts)), rng.choice(MENTIONS))
        if rng.random() < 0.01:  # a minified bundle: one long line
            parts = [p.replace("\n", " ") for p in parts]
            ext = ".min.js"
        body = "".join(parts).encode()
        (d / f"{_ident(rng)}_{files}{ext}").write_bytes(body)
        total += len(body)
        files += 1
    secrets = []
    for rel, text, secret in planted(rng):
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if text:
            with p.open("a") as fh:
                fh.write(text)
        secrets.append(secret)
    return secrets, files


def _children(pid: int) -> list[int]:
    """The direct children of pid, from /proc/PID/task/*/children (no scan of all of /proc)."""
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


def _tree_pids(root: int) -> list[int]:
    out, todo = [], [(root, 0)]
    while todo:
        pid, parent = todo.pop()
        if not (parent and _same_memory(pid, parent)):
            out.append(pid)
        todo.extend((child, pid) for child in _children(pid))
    return out


_KCMP = {"x86_64": 312, "aarch64": 272, "arm64": 272}.get(platform.machine())
_KCMP_VM = 1


def _same_memory(pid: int, parent: int) -> bool:
    """Is PID a child that still shares its parent's memory (vfork'd, not yet exec'd)?

    Python's subprocess starts git with vfork: until the exec, /proc/CHILD/smaps_rollup shows
    the parent's whole address space, and a sample taken then counts the parent twice (it once
    put a 42 MiB "git log" in lekk's jquery peak).  Checked before the memory is read, so an
    exec in between only leaves out the new program's first pages.
    """
    if _KCMP is None:
        return False
    return bool(_libc().syscall(_KCMP, pid, parent, _KCMP_VM, 0, 0) == 0)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mem_kib(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class TreeSampler:
    """Peak summed RSS and PSS (KiB) of a process and all its descendants, sampled on a thread.

    The tree is followed through /proc/PID/task/*/children, so one sample costs ~0.3 ms of CPU
    (a scan of every /proc/PID/stat cost ~2.6 ms: a quarter of a core at 10 ms).
    """

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = 0
        self.procs: dict[int, tuple[str, int]] = {}  # pid -> (last command line, own peak PSS)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            rss = pss = 0
            for pid in _tree_pids(self.pid):
                r, p = _mem_kib(pid)
                rss, pss = rss + r, pss + p
                cmd, peak = self.procs.get(pid, ("", 0))  # the command line changes at exec
                self.procs[pid] = (_cmdline(pid) or cmd, max(peak, p))  # and is "" once it exits
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self._done.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def run_sampled(cmd: list[str]) -> tuple[float, int, int, str, float]:
    """Run cmd; wall seconds, peak summed RSS and PSS (KiB) of its process tree, stdout, CPU s."""
    cpu0 = _cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeSampler(proc.pid) as peak:
        out, err = proc.communicate()
        wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"lekk failed ({proc.returncode}): {err.strip()}")
    return wall, peak.peak_rss, peak.peak_pss, out, _cpu() - cpu0


def floor_command(dest: Path) -> str:
    """The floor: read every file of the tree once (a shell command line)."""
    return f"find {shlex.quote(str(dest))} -type f -print0 | xargs -0 cat > /dev/null"


def floor(dest: Path) -> tuple[float, float]:
    cpu0 = _cpu()
    t0 = time.perf_counter()
    subprocess.run(floor_command(dest), shell=True, check=True)
    return time.perf_counter() - t0, _cpu() - cpu0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="/tmp/lekk-scan-bench-tree", type=Path)
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"generating {args.size_mb} MB in {args.dir} (seed {seed}) ...", flush=True)
    secrets, nfiles = generate(args.dir, args.size_mb, seed)
    nbytes = sum(p.stat().st_size for p in args.dir.rglob("*") if p.is_file())
    mb = nbytes / 1e6
    floor(args.dir)  # warm the page cache
    cats = [floor(args.dir) for _ in range(args.runs)]
    cat, cat_cpu = min(c[0] for c in cats), min(c[1] for c in cats)
    cmd = [
        sys.executable,
        "-m",
        "scanner",
        "scan",
        str(args.dir),
        "--format",
        "json",
        "--show-secrets",
        "--exit-zero",
        *(["--jobs", str(args.jobs)] if args.jobs else []),
    ]
    runs = [run_sampled(cmd) for _ in range(args.runs)]
    wall = min(r[0] for r in runs)
    cpu = min(r[4] for r in runs)
    rss = max(r[1] for r in runs) / 1024
    pss = max(r[2] for r in runs) / 1024
    found = {f["secret"] for f in json.loads(runs[0][3])["findings"]}
    missed = [s[:6] + "…" for s in secrets if s not in found]
    extra = len(found - set(secrets))
    version = subprocess.run(
        [sys.executable, "-m", "scanner", "--version"], capture_output=True, text=True
    ).stdout.strip()
    print(f"tree: {nfiles} files, {mb:.1f} MB; cores: {os.cpu_count()}; jobs: {args.jobs or 'all'}")
    print(version)  # says whether the C prefilter is in use
    print(f"floor (cat, warm, best of {args.runs}): {cat:.2f} s = {mb / cat:.0f} MB/s")
    print(
        f"lekk scan (best of {args.runs}): {wall:.2f} s = {mb / wall:.0f} MB/s "
        f"({cat / wall:.2f} of the floor)"
    )
    print(
        f"CPU time (user+sys, all processes): cat {cat_cpu:.2f} s, lekk {cpu:.2f} s "
        f"= {mb / cpu:.0f} MB per CPU-second"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"peak memory, whole process tree: {pss:.1f} MiB PSS, {rss:.1f} MiB RSS summed")
    print(
        f"planted keys found: {len(secrets) - len(missed)}/{len(secrets)}"
        f"{' missed ' + ', '.join(missed) if missed else ''}; unplanted findings: {extra}"
    )
    return 1 if missed or extra else 0


if __name__ == "__main__":
    sys.exit(main())
