"""Time and peak memory of scanning one minified single-line bundle of SIZE megabytes.

Usage: python bench/bundles.py [SIZE_MB=20]   (writes under bench/out/, which git ignores)
Prints wall time, peak RSS of the scan, findings and throughput.
"""

from __future__ import annotations

import json
import resource
import secrets
import string
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "bundles"


def fake(prefix: str) -> str:
    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))


def main(size_mb: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    dist = OUT / "dist"
    dist.mkdir(exist_ok=True)
    unit = (
        'function a(b,c){return fetch("https://api.sagapay.no/v1/"+b,{method:"GET",'
        'headers:{"X-Merchant-Id":c}}).then(function(r){return r.json()})};'
    )
    size, keys, block = 0, 0, unit * 2000
    with open(dist / "app.js", "w") as fh:  # streamed: the bench's own memory stays small,
        while size < size_mb << 20:  # since a forked child's RSS counts before its exec
            fh.write(block)
            size += len(block)
            if size // len(block) % 10 == 0:
                fh.write(f'var k="{fake("spk_live_")}";')
                keys += 1
        fh.write("\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", str(dist), "--format", "json", "--exit-zero"],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    found = len(json.loads(r.stdout)["findings"])
    rss = max(peak, before) / 1024
    print(
        f"{size / 1e6:.1f} MB single line, {keys} keys planted: {found} found, "
        f"{wall:.2f}s ({size / 1e6 / wall:.1f} MB/s), peak RSS {rss:.0f} MiB"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
