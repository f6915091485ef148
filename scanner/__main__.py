from __future__ import annotations

from scanner.entry import run

run()
