"""Masking the lines a report shows: no form of any value, reported or not, reaches the reader.

A shown line (a finding's snippet) may hold the finding's own value as written (base64, HTML
entities) as well as decoded, other findings' values (a minified line holds several), values the
filters dropped (``lekk:ignore``, an allowlist, a baseline) and credentials no rule recognised.
``mask`` hides them all; ``--show-secrets`` shows the line as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from scanner.finding import Finding, redact

# a run of token characters with letters and digits, as credentials are (ids and hashes too:
# a masked id costs the reader little)
_VALUE = re.compile(
    r"(?<![A-Za-z0-9+/_~-])(?=[A-Za-z_~+/-]*[0-9])(?=[0-9_~+/-]*[A-Za-z])"
    r"[A-Za-z0-9+/_~-]{16,}(?:={1,2}|(?:&#x3[dD];|&#61;){1,2})?"
)
WIDTH = 160  # characters of a shown line


def values(findings: Iterable[Finding]) -> dict[str, str]:
    """Every form of every secret value among ``findings`` (reported and dropped ones), each with
    its mask as the finding's ``redacted`` shows it (the rule's known prefix kept)."""
    return {v: m for f in findings for v, m in f.masks.items()}


def mask(line: str, secrets: Mapping[str, str], keep: str = "") -> str:
    """``line`` with every known value (longest first, each as its mask), every value cut by the
    line's edge and every credential-looking token masked; ``keep`` (a lint finding's flagged
    span) stays."""
    s = line
    for value in sorted(secrets, key=len, reverse=True):
        if value and value in s:
            s = s.replace(value, secrets[value])
        s = _cut_edges(s, value)
    s = _VALUE.sub(lambda m: m.group() if m.group() in keep else redact(m.group()), s)
    return s if len(s) <= WIDTH else s[: WIDTH - 3] + "…"


def _cut_edges(s: str, value: str) -> str:
    """Mask a value cut in half by the window's edge (its tail at the start, head at the end)."""
    if len(value) < 8:
        return s
    head, body, tail = s[:1] if s.startswith("…") else "", s, s[-1:] if s.endswith("…") else ""
    body = body[len(head) : len(body) - len(tail)]
    for k in range(len(value) - 1, 3, -1):
        if body.endswith(value[:k]):
            body = body[:-k] + "*" * 8
            break
    for k in range(len(value) - 1, 3, -1):
        if body.startswith(value[-k:]):
            body = "*" * 8 + body[k:]
            break
    return head + body + tail


COMMIT_KEYS = ("commit", "removed_in")  # a history finding's extras that hold a commit's subject


def commit_subjects(findings: Sequence[Finding], secrets: Mapping[str, str]) -> list[Finding]:
    """``findings`` with the commit subjects they carry masked as a shown line is: a secret
    pasted into a commit message is a finding of its own (``(commit message)``), never the raw
    subject of another.  Always, ``--show-secrets`` or not: a subject is context."""
    out = []
    for f in findings:
        extra = dict(f.extra)
        for key in COMMIT_KEYS:
            commit = extra.get(key)
            if isinstance(commit, dict) and commit.get("summary"):
                extra[key] = {**commit, "summary": mask(commit["summary"], secrets)}
        out.append(f.with_(extra=extra) if extra != f.extra else f)
    return out
