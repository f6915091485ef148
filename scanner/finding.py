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
"""The fixed salt of fingerprints (and of version 1 baselines): a fingerprint cannot be looked up
in a table of plain SHA-256s, but anyone can hash a guess with it (docs/suppressions.md)."""

SEVERITY_RANK = {"error": 3, "warning": 2, "note": 1}


def secret_hash(secret: str, salt: str = SALT) -> str:
    """SHA-256 of the salted value: the fixed ``SALT`` for fingerprints (the same on every
    machine), a baseline's own random salt for its entries."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


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
    test: bool = False
    """The key's environment is test (the rule's ``test`` patterns matched): set by the engine
    and never changed after, so it holds whatever ``severity`` becomes (client-side code raises
    it, verification raises or lowers it)."""
    found_in: str = ""
    """The provider whose context the value was found in (``scanner.provider_context``): the
    only one ``--verify`` may send it to; ``""`` when that is not clear."""
    encoding: str | None = None
    context: Mapping[str, str] = field(default_factory=dict)
    origin: Mapping[str, Any] | None = None
    client_side: bool = False
    suppressions: frozenset[str] = frozenset()
    allowed: str = ""  # the description of the rule's allowlist that exempts it (filters drop it)
    extra: Mapping[str, Any] = field(default_factory=dict)
    written: str = ""  # the value as the text holds it, when that differs (base64, &#x3D;)

    @property
    def forms(self) -> frozenset[str]:
        """Every form of the value a shown line may hold (a lint span is no value)."""
        if not self.rule.is_secret:
            return frozenset()
        return frozenset(v for v in (self.secret, self.written) if v)

    @property
    def masks(self) -> dict[str, str]:
        """Each of ``forms`` with the mask reports show for it (``redacted`` for the value)."""
        return {v: redact(v, self.rule.prefixes) for v in self.forms}

    @property
    def rule_ids(self) -> frozenset[str]:
        """The ids that name this finding: its rule's, and for a test key the rule's test id
        (``sagapay-api-key.test``, as SARIF reports it)."""
        test_id = self.rule.test_id if self.test else None
        return frozenset((self.rule.id, test_id) if test_id else (self.rule.id,))

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
