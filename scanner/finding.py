"""Findings, their identity (fingerprint) and redaction.

A Finding holds the raw secret in memory only; reporters show ``redacted`` unless the user passed
``--show-secrets``, and identities (fingerprints, baselines) use ``secret_hash``, never the value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scanner.rules import Rule

SALT = "lekk-v1"
"""Salt for secret hashes, so a fingerprint cannot be looked up in a table of plain SHA-256s."""

SEVERITY_RANK = {"error": 3, "warning": 2, "note": 1}


def secret_hash(secret: str) -> str:
    return hashlib.sha256(f"{SALT}:{secret}".encode()).hexdigest()


def redact(value: str, prefixes: Sequence[str] = ()) -> str:
    """Keep a short, non-secret prefix (one of the rule's ``prefixes``, such as ``spk_live_``,
    or else the first 4 characters); mask the rest."""
    if not value:
        return value
    for prefix in sorted(prefixes, key=len, reverse=True):
        if value.startswith(prefix) and len(value) > len(prefix):
            return prefix + "*" * 8
    keep = 4 if len(value) >= 12 else 0
    return value[:keep] + "*" * 8


@dataclass(frozen=True)
class Finding:
    rule: Rule
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    secret: str
    severity: str
    snippet: str = ""
    encoding: str | None = None
    context: Mapping[str, str] = field(default_factory=dict)
    origin: Mapping[str, Any] | None = None
    client_side: bool = False
    suppressions: frozenset[str] = frozenset()
    allowed: str = ""  # the description of the rule's allowlist that exempts it (filters drop it)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def redacted(self) -> str:
        """The secret as reports show it by default: the rule's known prefix kept, the rest masked."""
        return redact(self.secret, self.rule.prefixes)

    @property
    def secret_hash(self) -> str:
        return secret_hash(self.secret)

    @property
    def fingerprint(self) -> str:
        """Stable identity: rule + path + salted hash of the secret; no line, no raw value."""
        key = f"{self.rule.id}\0{self.path}\0{self.secret_hash}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def with_(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule.id)
