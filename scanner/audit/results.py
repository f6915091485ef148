"""The results folder of an audit, written as each repository finishes.

```
results/
  index.json            one entry per repository: status, reason, refs digest, counts, timing
  repos/SLUG.json       its report, as `lekk git --format json` writes it (values redacted)
  repos/SLUG.sarif      its SARIF report (one per repository, for code scanning)
```

Every file is replaced atomically, so an interrupted audit leaves a consistent folder; the
next run reads the index and skips what is done (``resumable``).  The index is rewritten as
repositories finish, less often as it grows (``flush``), and once more at the end.  The index remembers the
settings it was made with: a run with other settings (another lekk version, config or rule
packs, ``--verify``) scans everything again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from scanner import __version__

INDEX = "index.json"
VERSION = 1


def settings_digest(settings: dict[str, Any]) -> str:
    doc = json.dumps({"lekk": __version__, **settings}, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


class Results:
    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        self.folder = folder
        self.digest = settings_digest(settings)
        self.entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        self._next_save = 0.0  # monotonic time: record() writes the index again from then on
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "repos").mkdir(exist_ok=True)
        old = self._load()
        if old.get("settings") == self.digest:
            self.entries = {e["slug"]: e for e in old.get("repositories", [])}

    def _load(self) -> dict[str, Any]:
        try:
            doc = json.loads((self.folder / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) and doc.get("version") == VERSION else {}

    def resumable(self, slug: str) -> dict[str, Any] | None:
        """The last complete scan of ``slug`` under the same settings, if its report is here."""
        e = self.entries.get(slug)
        if e and e.get("status") in ("scanned", "unchanged") and self.report_path(slug).is_file():
            return e
        return None

    def report_path(self, slug: str) -> Path:
        return self.folder / "repos" / f"{slug}.json"

    def report(self, slug: str) -> dict[str, Any] | None:
        try:
            doc = json.loads(self.report_path(slug).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def record(self, outcome: dict[str, Any]) -> dict[str, Any]:
        """Write one repository's reports (when scanned) and its index entry."""
        slug = outcome["slug"]
        entry = {
            k: outcome[k]
            for k in ("source", "slug", "status", "reason", "refs", "seconds", "bytes", "worker")
        }
        if outcome["status"] == "scanned":
            _write(self.report_path(slug), outcome["report"])
            _write(self.folder / "repos" / f"{slug}.sarif", outcome["sarif"])
        elif outcome["status"] == "unchanged":  # the last run's report stands; its size too
            entry["bytes"] = self.entries.get(slug, {}).get("bytes", 0)
        if entry["status"] in ("scanned", "unchanged"):
            entry.update(counts(self.report(slug) or {}))
        self.entries[slug] = entry
        self._dirty = True
        if time.monotonic() >= self._next_save:
            self.flush()
        return entry

    def flush(self) -> None:
        """Write the index, if anything changed since it was last written.  ``record`` calls it
        so that at most a tenth of the time goes to rewriting the index: after every repository
        while the index is small, every few seconds at 10,000 repositories (a 4.6 MB index takes
        ~0.3 s of CPU to write; after each one, that would be O(N²): 24 minutes in all).  A
        repository whose report is written but not yet indexed is scanned again on resume."""
        if not self._dirty:
            return
        start = time.monotonic()
        self._save()
        self._dirty = False
        self._next_save = time.monotonic() + 9 * (time.monotonic() - start)

    def _save(self) -> None:
        doc = {
            "version": VERSION,
            "tool": {"name": "lekk", "version": __version__},
            "settings": self.digest,
            "repositories": sorted(self.entries.values(), key=lambda e: e["slug"]),
        }
        _write(self.folder / INDEX, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def counts(report: dict[str, Any]) -> dict[str, Any]:
    """Per repository: findings by rule, still in HEAD, live/revoked with --verify, partial."""
    findings = report.get("findings", [])
    secrets = [f for f in findings if f.get("kind") == "secret"]
    status = Counter(
        str((f.get("verification") or {}).get("status")) for f in secrets if f.get("verification")
    )
    return {
        "findings": len(findings),
        "by_rule": dict(sorted(Counter(f["rule"] for f in findings).items())),
        "still_in_head": sum(1 for f in secrets if f.get("still_in_head")),
        "verification": dict(sorted(status.items())),
        "partial_history": bool(report.get("partial_history")),
        "warnings": len(report.get("warnings", [])),
    }


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
