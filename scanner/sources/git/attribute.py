"""One finding per leaked value: the commit that first introduced it, and everywhere else it went.

Findings arrive one per (introduction, value) after the filters.  Those with the same rule and
value are merged: the earliest introduction is the finding; the others are listed under
``also`` (a count and the locations), with the refs that still reach any of them, whether the
tip of the default branch still holds the value, and when it was first committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from scanner.finding import Finding
from scanner.sources.git import history, removal
from scanner.sources.git.cmd import Git
from scanner.sources.git.history import Change

MAX_LOCATIONS = 100  # listed under "also"; the count is always complete


def _place(f: Finding) -> tuple[str, str, int, int, str]:
    return (f.rule.id, f.path, f.line, f.column, f.secret)


def _order(item: tuple[Finding, Change | None]) -> tuple[int, int, str, int]:
    f, ch = item
    return (0 if ch else 1, -ch.seq if ch else 0, f.path, f.line)


def _when(date: str) -> datetime:
    return datetime.fromisoformat(date)


def attribute(
    found: Iterable[tuple[Finding, Change | None]],
    kept: Sequence[Finding],
    holders: dict[tuple[str, str], set[str]],
    git: Git,
    head: tuple[str, str] | None,
) -> list[Finding]:
    """Merge per-introduction findings (only those the filters ``kept``) into one per value."""
    keep = {_place(f) for f in kept}
    groups: dict[tuple[str, str], list[tuple[Finding, Change | None]]] = {}
    for f, ch in found:
        if _place(f) in keep:
            groups.setdefault((f.rule.id, f.secret), []).append((f, ch))
    if not groups:
        return []
    at_tip = history.tree_blobs(git, head[1]) if head else set()
    ordered = []
    for items in groups.values():
        items.sort(key=_order)
        seen: set[tuple[str, int, str]] = set()
        unique = []
        for f, ch in items:
            where = (f.path, f.line, ch.commit.sha if ch else "")
            if where not in seen:
                seen.add(where)
                unique.append((f, ch))
        ordered.append(unique)
    reach = history.refs_reaching(git, (ch.commit.sha for u in ordered for _, ch in u if ch))
    refs = [sorted({r for _, ch in u if ch for r in reach.get(ch.commit.sha, [])}) for u in ordered]
    out = []
    for unique, reached in zip(ordered, refs, strict=True):
        first, change = unique[0]
        key = (first.rule.id, first.secret)
        commits = [ch.commit for _, ch in unique if ch]
        extra: dict[str, Any] = dict(first.extra)
        extra["commit"] = change.commit.as_dict() if change else None
        extra["first_seen"] = min((c.date for c in commits), key=_when) if commits else None
        extra["still_in_head"] = bool(holders.get(key, set()) & at_tip)
        extra["refs"] = reached
        extra["also"] = {
            "count": len(unique) - 1,
            "locations": [
                {
                    "path": f.path,
                    "line": f.line,
                    "column": f.column,
                    "commit": ch.commit.sha if ch else None,
                    "date": ch.commit.date if ch else None,
                }
                for f, ch in unique[1 : 1 + MAX_LOCATIONS]
            ],
        }
        out.append(first.with_(extra=extra))
    return removal.mark(sorted(out, key=Finding.sort_key), holders, git, head)
