"""A one-line progress display on stderr, only when stderr is a terminal and not ``--quiet``."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, enabled: bool, what: str = "history") -> None:
        self.on = enabled and sys.stderr.isatty()
        self.what = what
        self.start = time.monotonic()
        self.last = 0.0
        self.commits = self.blobs = self.bytes = 0

    def object(self, kind: str, size: int) -> None:
        if kind == "commit":
            self.commits += 1
        elif kind == "blob":
            self.blobs += 1
            self.bytes += size
        if self.on:
            now = time.monotonic()
            if now - self.last >= 0.1:
                self.last = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        mb = self.bytes / 1e6
        rate = mb / max(now - self.start, 1e-6)
        commits = f"{self.commits} commits, " if self.commits else ""
        sys.stderr.write(
            f"\rlekk: {self.what}: {commits}{self.blobs} blobs, {mb:.1f} MB ({rate:.0f} MB/s)\x1b[K"
        )
        sys.stderr.flush()

    def note(self, text: str) -> None:
        if self.on:
            sys.stderr.write(f"\rlekk: {self.what}: {text}\x1b[K")
            sys.stderr.flush()

    def done(self) -> None:
        if self.on:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
