"""Time and peak memory of lekk on each hostile input of docs/security.md ("Hostile input").

Usage: python bench/hostile.py [--scale 1.0] [--only NAME ...]   (writes under bench/out/hostile)

Builds each input at the size the issue measured (``--scale`` shrinks them all), runs the real
command in a subprocess and prints its wall time, its peak RSS (of lekk alone, measured by a
wrapper process) and its first warning.  The limits: memory under 100 MiB and time linear in
the input, whatever the input.  The tests (tests/hostile_test.py) assert the behaviour on small
versions of the same inputs; the figures belong here.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import resource
import secrets
import string
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import hostile_inputs as hi  # noqa: E402  (the builders the tests use)

OUT = ROOT / "bench" / "out" / "hostile"
_ALNUM = string.ascii_letters + string.digits
# a fresh fake key each run, made here: no credential-shaped value is committed
KEY = "# sagapay\nSAGAPAY_KEY=spk_live_" + "".join(secrets.choice(_ALNUM) for _ in range(24))
KEY = (KEY + "\n").encode()
LEGACY = b"/ecomm" + b"/v2"  # an anchor word of a lint rule, repeated
_PEAK = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], stdin=sys.stdin, capture_output=True)\n"
    "sys.stdout.buffer.write(r.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(r.returncode)\n"
)


def run(args: list[str], cwd: Path, stdin: Path | None = None) -> tuple[float, int, int, str]:
    """(seconds, peak MiB, exit code, first warning) of ``lekk ARGS``."""
    cmd = [sys.executable, "-c", _PEAK, sys.executable, "-m", "scanner", *args, "-o", "/dev/null"]
    t = time.perf_counter()
    with open(stdin or "/dev/null", "rb") as fh:
        r = subprocess.run(cmd, cwd=cwd, stdin=fh, capture_output=True, text=True)
    wall = time.perf_counter() - t
    *stderr, kib = r.stdout.splitlines()
    first = next((x for x in stderr if "warning" in x or "error" in x), "")
    return wall, int(kib) // 1024, r.returncode, first


def _page(body: bytes, trickle: bool = False) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body) + (600 if trickle else 0)))
            self.end_headers()
            self.wfile.write(body)
            for _ in range(600 if trickle else 0):  # a byte a second, for ten minutes at most
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(1)

    return Handler


def case_zip_understated(d: Path, scale: float) -> list[str]:
    hi.write_understated_zip(d / "many.zip", int(1_000_000 * scale), KEY)
    return ["scan", "."]


def case_tgz_directories(d: Path, scale: float) -> list[str]:
    hi.write_dir_entries_tgz(d / "dirs.tgz", int(1_000_000 * scale), KEY)
    return ["scan", "."]


def case_stdin(d: Path, scale: float) -> list[str]:
    hi.write_repeated(d / "big.txt", b"filler text of a log line\n", int((1 << 30) * scale), KEY)
    return ["scan", "-"]


def case_source_map(d: Path, scale: float) -> list[str]:
    doc = {
        "version": 3,
        "sources": ["webpack:///./src/a.ts"] * 2,
        "mappings": "AAAA;" * int(11_000_000 * scale),
        "sourcesContent": ["x" * int(6_000_000 * scale), KEY.decode()],
    }
    (d / "app.js.map").write_text(json.dumps(doc))
    return ["scan", "."]


def case_archive_member(d: Path, scale: float) -> list[str]:
    with zipfile.ZipFile(d / "big.zip", "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("log.txt", b"a line of the log\n" * int((63 << 20) * scale / 18) + KEY)
    return ["scan", "."]


def case_anchor_words(d: Path, scale: float) -> list[str]:
    hi.write_repeated(d / "legacy.js", LEGACY, int((4 << 20) * scale))
    return ["scan", "."]


def case_user_regexes(d: Path, scale: float) -> list[str]:
    (d / ".lekk.toml").write_text(
        "allowlist.values = [{ regex = '^(\\w|\\w\\w|\\w\\w\\w)+$\\w', reason = 'slow' }]\n"
    )
    (d / "a.env").write_bytes(KEY * max(1, int(100 * scale)))
    return ["scan", "."]


def case_web_trickle(d: Path, scale: float) -> list[str]:
    return ["web", "URL", "--timeout", "5"]


def case_html_unclosed_tags(d: Path, scale: float) -> list[str]:
    return ["web", "URL"]


CASES: dict[str, Callable[[Path, float], list[str]]] = {
    "zip-understated-1M": case_zip_understated,
    "tgz-1M-directories": case_tgz_directories,
    "stdin-1GiB": case_stdin,
    "source-map-61MB": case_source_map,
    "archive-member-63MiB": case_archive_member,
    "anchor-words-4MiB": case_anchor_words,
    "user-regexes": case_user_regexes,
    "web-trickle": case_web_trickle,
    "html-unclosed-tags": case_html_unclosed_tags,
}
PAGES = {
    "web-trickle": lambda scale: _page(b"<script>var a=1;</script>", trickle=True),
    "html-unclosed-tags": lambda scale: _page(b"<a" * int(120_000 * scale)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="shrink every input (e.g. 0.1)")
    ap.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these cases")
    args = ap.parse_args()
    print(f"{'case':<22} {'seconds':>8} {'peak MiB':>9} {'exit':>4}  first warning")
    for name in args.only or CASES:
        d = OUT / name
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            old.unlink()
        cmd = CASES[name](d, args.scale)
        with contextlib.ExitStack() as stack:
            if name in PAGES:
                url = stack.enter_context(hi.serving(PAGES[name](args.scale))) + "/"
                cmd = [url if c == "URL" else c for c in cmd]
            stdin = d / "big.txt" if "-" in cmd else None
            wall, peak, code, first = run(cmd, d, stdin)
        print(f"{name:<22} {wall:8.2f} {peak:9d} {code:4d}  {first[:90]}", flush=True)
        for old in d.iterdir():  # the inputs are large: not kept
            old.unlink()
    print(f"(bench process peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MiB)")


if __name__ == "__main__":
    main()
