"""The combined report of an audit: text and JSON summaries across repositories, and one HTML
page with a section per repository drawn from the JSON reports in the results folder (each
repository's own JSON and SARIF reports are in the results folder)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from scanner import __version__
from scanner.audit.results import Results

if TYPE_CHECKING:
    from scanner.reporters.html import Section
    from scanner.rules import Rule


def entries(results: Results, slugs: Sequence[str]) -> list[dict[str, Any]]:
    """This run's repositories, in the order given."""
    return [results.entries[s] for s in slugs if s in results.entries]


def totals(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    status = Counter(r["status"] for r in rows)
    rules: Counter[str] = Counter()
    verification: Counter[str] = Counter()
    for r in rows:
        rules.update(r.get("by_rule", {}))
        verification.update(r.get("verification", {}))
    return {
        "repositories": len(rows),
        "scanned": status["scanned"],
        "unchanged": status["unchanged"],
        "failed": status["failed"],
        "with_findings": sum(1 for r in rows if r.get("findings")),
        "findings": sum(int(r.get("findings", 0)) for r in rows),
        "still_in_head": sum(int(r.get("still_in_head", 0)) for r in rows),
        "by_rule": dict(sorted(rules.items())),
        "verification": dict(sorted(verification.items())),
        "bytes": sum(int(r.get("bytes", 0)) for r in rows),
    }


def write_json(rows: Sequence[dict[str, Any]], results: Results, out: TextIO) -> None:
    doc = {
        "version": 1,
        "tool": {"name": "lekk", "version": __version__},
        "command": "audit",
        "results": str(results.folder),
        "summary": totals(rows),
        "repositories": list(rows),
    }
    json.dump(doc, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_text(rows: Sequence[dict[str, Any]], results: Results, out: TextIO) -> None:
    t = totals(rows)
    width = max([len(r["source"]) for r in rows] + [10])
    width = min(width, 60)
    out.write(f"{'repository':<{width}}  findings  in HEAD  live  status\n")
    for r in rows:
        live = r.get("verification", {}).get("live", 0) + r.get("verification", {}).get(
            "unauthorized_for_resource", 0
        )
        name = r["source"] if len(r["source"]) <= width else "…" + r["source"][-width + 1 :]
        status = r["status"] + (" (partial history)" if r.get("partial_history") else "")
        if r["status"] == "failed":
            status += f": {r['reason']}"
        out.write(
            f"{name:<{width}}  {r.get('findings', 0):>8}  {r.get('still_in_head', 0):>7}"
            f"  {live if r.get('verification') else '-':>4}  {status}\n"
        )
        for rule, n in r.get("by_rule", {}).items():
            out.write(f"{'':<{width}}    {n:>4} {rule}\n")
    out.write(
        f"\nlekk audit: {t['repositories']} repositories ({t['scanned']} scanned, "
        f"{t['unchanged']} unchanged since the last run, {t['failed']} failed); "
        f"{t['findings']} finding(s) in {t['with_findings']} of them, "
        f"{t['still_in_head']} still in HEAD\n"
        f"lekk audit: reports in {results.folder}/ (index.json; repos/*.json, repos/*.sarif)\n"
    )


def write_html(
    rows: Sequence[dict[str, Any]], results: Results, out: TextIO, rules: Sequence[Rule]
) -> None:
    """One page: the overall summary, then a section per repository, from the JSON reports
    the results folder keeps (a failed repository's section says why it was not scanned)."""
    from scanner.reporters.html import render

    t = totals(rows)
    overview = [
        (
            "repositories",
            f"{t['repositories']}: {t['scanned']} scanned, {t['unchanged']} unchanged since "
            f"the last run, {t['failed']} failed",
        ),
        ("with findings", f"{t['with_findings']} ({t['findings']} finding(s))"),
        ("mirrors on disk", _size(t["bytes"])),
        ("results", f"{results.folder}/ (index.json; repos/*.json, repos/*.sarif)"),
    ]
    sections = [_section(r, results, rules) for r in sorted(rows, key=_urgency)]
    title = f"lekk audit of {t['repositories']} repositor{'y' if t['repositories'] == 1 else 'ies'}"
    out.write(render(sections, title=title, overview=overview))


def _urgency(row: dict[str, Any]) -> tuple[int, int]:
    """Repositories with findings first (most first), then those that failed, then clean ones
    (``sorted`` keeps the order given within each)."""
    n = int(row.get("findings", 0))
    return (0 if n else 1 if row["status"] == "failed" else 2, -n)


def _section(row: dict[str, Any], results: Results, rules: Sequence[Rule]) -> Section:
    from scanner.reporters.html import Section
    from scanner.reporters.html_json import section_from_report

    doc = results.report(row["slug"]) if row["status"] != "failed" else None
    if doc is not None:
        return section_from_report(row["source"], doc, rules)
    why = row["reason"] if row["status"] == "failed" else "its report is missing from the results"
    return Section(
        title=row["source"],
        findings=[],
        command="git",
        targets=[row["source"]],
        properties={"not_scanned": why},
    )


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n / 1e3:,.1f} KB"
