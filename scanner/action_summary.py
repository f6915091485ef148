"""The GitHub Action's job summary, in Markdown, built from the SARIF log (which holds no secret).

Counts per rule, the worst findings with their place (and commit), and each rule's revoke or
regenerate link, so whoever reads the summary knows what to do first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

_RANK = {"error": 3, "warning": 2, "note": 1, "none": 0}
_ICON = {"error": "🔴", "warning": "🟠", "note": "🔵"}
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
WORST = 10


def worst_level(results: Sequence[Mapping[str, Any]]) -> str | None:
    levels = [str(r.get("level", "warning")) for r in results]
    return max(levels, key=lambda lv: _RANK.get(lv, 0)) if levels else None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _place(r: Mapping[str, Any]) -> str:
    loc = r["locations"][0]["physicalLocation"]
    place = f"`{loc['artifactLocation']['uri']}:{loc['region']['startLine']}`"
    commit = (r.get("properties") or {}).get("commit")
    if isinstance(commit, dict) and commit.get("sha"):
        place += f" in {str(commit['sha'])[:12]}"
    return place


def _revoke_link(rule: Mapping[str, Any]) -> str:
    links = _LINK.findall(rule.get("help", {}).get("markdown", ""))
    return f"[{links[0][0]}]({links[0][1]})" if links else ""


def markdown(doc: Mapping[str, Any], *, what: str, outcome: str, reason: str) -> str:
    run = doc["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    dropped = int((run.get("properties") or {}).get("dropped", 0))
    mark = "✅" if outcome == "pass" else "❌"
    lines = [f"## {mark} lekk: {reason}", "", f"Scanned {what}.", ""]
    if not results:
        lines += ["No leaked credentials found.", ""]
        for note in (run.get("invocations") or [{}])[0].get("toolExecutionNotifications", []):
            lines.append(f"> {_cell(note['message']['text'])}")
        return "\n".join(lines) + "\n"
    counts = Counter(r["ruleId"] for r in results)
    levels = {r["ruleId"]: r["level"] for r in results}
    lines += ["| rule | level | findings | what to do |", "|---|---|---:|---|"]
    for rule in sorted(rules, key=lambda x: (-_RANK.get(levels.get(x["id"], ""), 0), x["id"])):
        rid = rule["id"]
        lvl = rule.get("defaultConfiguration", {}).get("level", "warning")
        lines.append(
            f"| `{rid}` {_cell(rule['shortDescription']['text'])} | {_ICON.get(lvl, '')} "
            f"{lvl} | {counts[rid]} | {_revoke_link(rule)} |"
        )
    ranked = sorted(results, key=lambda r: -_RANK.get(r.get("level", "warning"), 0))
    lines += ["", f"### Worst findings ({min(WORST, len(ranked))} of {len(ranked)})", ""]
    lines += ["| level | rule | where | message |", "|---|---|---|---|"]
    for r in ranked[:WORST]:
        msg = r["message"]["text"].split(". ")[0]
        lines.append(
            f"| {_ICON.get(r['level'], '')} {r['level']} | `{r['ruleId']}` | "
            f"{_place(r)} | {_cell(msg)} |"
        )
    if dropped:
        lines += [
            "",
            f"> {dropped} less severe finding(s) were left out of the SARIF to stay "
            "inside GitHub's limits; run `lekk` with `--format json` for all of them.",
        ]
    lines += [
        "",
        "Revoke or regenerate every live credential above first: removing it from the "
        "code does not make a leaked value safe. The secrets are redacted everywhere; the "
        "full list is in the code-scanning alerts and the SARIF file.",
        "",
    ]
    return "\n".join(lines)
