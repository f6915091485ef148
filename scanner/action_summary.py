"""The GitHub Action's job summary, built from the SARIF log (which holds no secret).

Counts per rule, the worst findings with their place (and commit), and each rule's revoke or
regenerate link, so whoever reads the summary knows what to do first.

File names, source-map names, commit subjects and the messages built from them come from the
scanned repository, so nothing in them may render.  GitHub renders the summary as Markdown with
HTML; the summary is written as HTML blocks only, every value escaped (``_h``) and kept on one
line.  Markdown is never parsed inside an HTML block (CommonMark), so a name holding
``<img onerror=...>``, ``[x](javascript:...)``, backticks, pipes or a newline shows as text.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

_RANK = {"error": 3, "warning": 2, "note": 1, "none": 0}
_ICON = {"error": "🔴", "warning": "🟠", "note": "🔵"}
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
# every line break CommonMark or a browser knows: an HTML block ends at a blank line
_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")
WORST = 10


def worst_level(results: Sequence[Mapping[str, Any]]) -> str | None:
    levels = [str(r.get("level", "warning")) for r in results]
    return max(levels, key=lambda lv: _RANK.get(lv, 0)) if levels else None


def _h(text: object) -> str:
    """``text`` as HTML text on one line: markup characters and quotes escaped."""
    return html.escape(_BREAK.sub(" ", str(text)), quote=True)


def _row(cells: Sequence[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return "\n".join(["<table>", _row(head, "th"), *(_row(r) for r in rows), "</table>"])


def _place(r: Mapping[str, Any]) -> str:
    loc = r["locations"][0]["physicalLocation"]
    where = f"{unquote(loc['artifactLocation']['uri'])}:{loc['region']['startLine']}"
    place = f"<code>{_h(where)}</code>"
    commit = (r.get("properties") or {}).get("commit")
    if isinstance(commit, dict) and commit.get("sha"):
        place += f" in <code>{_h(str(commit['sha'])[:12])}</code>"
        if commit.get("summary"):
            place += f" ({_h(commit['summary'])})"
    return place


def _revoke_link(rule: Mapping[str, Any]) -> str:
    links = _LINK.findall(rule.get("help", {}).get("markdown", ""))
    return f'<a href="{_h(links[0][1])}">{_h(links[0][0])}</a>' if links else ""


def _blocks(*blocks: str) -> str:
    """HTML blocks, each on lines of its own, a blank line between them."""
    return "\n\n".join(b for b in blocks if b) + "\n\n"


def failure(reason: str) -> str:
    """The summary of a scan that could not run."""
    return _blocks("<h2>❌ lekk could not scan</h2>", f"<p>{_h(reason)}</p>")


def summary(doc: Mapping[str, Any], *, what: str, outcome: str, reason: str) -> str:
    run = doc["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    dropped = int((run.get("properties") or {}).get("dropped", 0))
    mark = "✅" if outcome == "pass" else "❌"
    head = [f"<h2>{mark} lekk: {_h(reason)}</h2>", f"<p>Scanned {_h(what)}.</p>"]
    if not results:
        notes = (run.get("invocations") or [{}])[0].get("toolExecutionNotifications", [])
        quotes = [f"<blockquote>{_h(n['message']['text'])}</blockquote>" for n in notes]
        return _blocks(*head, "<p>No leaked credentials found.</p>", *quotes)
    counts = Counter(r["ruleId"] for r in results)
    levels = {r["ruleId"]: r["level"] for r in results}
    per_rule = []
    for rule in sorted(rules, key=lambda x: (-_RANK.get(levels.get(x["id"], ""), 0), x["id"])):
        rid = rule["id"]
        lvl = rule.get("defaultConfiguration", {}).get("level", "warning")
        per_rule.append(
            [
                f"<code>{_h(rid)}</code> {_h(rule['shortDescription']['text'])}",
                f"{_ICON.get(lvl, '')} {_h(lvl)}",
                str(counts[rid]),
                _revoke_link(rule),
            ]
        )
    ranked = sorted(results, key=lambda r: -_RANK.get(r.get("level", "warning"), 0))
    worst = [
        [
            f"{_ICON.get(r['level'], '')} {_h(r['level'])}",
            f"<code>{_h(r['ruleId'])}</code>",
            _place(r),
            _h(r["message"]["text"].split(". ")[0]),
        ]
        for r in ranked[:WORST]
    ]
    left_out = (
        f"<blockquote>{dropped} less severe finding(s) were left out of the SARIF to stay "
        "inside GitHub's limits; run <code>lekk</code> with <code>--format json</code> for all "
        "of them.</blockquote>"
        if dropped
        else ""
    )
    return _blocks(
        *head,
        _table(["rule", "level", "findings", "what to do"], per_rule),
        f"<h3>Worst findings ({min(WORST, len(ranked))} of {len(ranked)})</h3>",
        _table(["level", "rule", "where", "message"], worst),
        left_out,
        "<p>Revoke or regenerate every live credential above first: removing it from the "
        "code does not make a leaked value safe. The secrets are redacted everywhere; the "
        "full list is in the code-scanning alerts and the SARIF file.</p>",
    )
