"""Turn findings into credentials: the parts a provider needs, found together, never guessed.

- Vipps MobilePay: a ``client_secret`` finding and a subscription-key finding in the same file
  (and commit, for history) within ``NEAR_LINES`` lines of each other form one set; the
  ``client_id`` and the ``merchant_serial_number`` come from what the engine captured beside
  either of them.
- SagaPay: an API key and an API secret in the same file within ``NEAR_LINES`` lines; the
  merchant id comes from what the engine captured beside either.

A finding whose other parts were not found is a credential with ``missing`` parts: it is reported
``unknown`` and nothing is sent.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from scanner.finding import Finding

NEAR_LINES = 30
"""How far apart (in lines) two parts of one credential may sit in a file."""

VIPPS_SECRET = "vipps-client-secret"
VIPPS_KEY = "vipps-subscription-key"
SAGAPAY_KEY = "sagapay-api-key"
SAGAPAY_SECRET = "sagapay-api-secret"
CHECKED_RULES = {VIPPS_SECRET, VIPPS_KEY, SAGAPAY_KEY, SAGAPAY_SECRET}


@dataclass(frozen=True)
class Credential:
    provider: str
    """"vipps" or "sagapay"."""
    environment: str
    """"production" or "test" (Vipps MobilePay picks its host by it)."""
    parts: tuple[tuple[str, str], ...] = field(repr=False)
    """(name, value) pairs, e.g. ("client_secret", "..."); secrets included: never print."""
    missing: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    """The packs' non-secret prefixes of its values (``spk_live_``): kept when a message shows one."""

    def get(self, name: str) -> str | None:
        return dict(self.parts).get(name)

    @property
    def key(self) -> str:
        """Identity for deduplication: a hash, so it can sit in any map without leaking."""
        raw = "\0".join([self.provider, self.environment, *(f"{k}={v}" for k, v in self.parts)])
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(v for _, v in self.parts)


def vipps_environment(f: Finding) -> str:
    """Test when the engine gave the finding its test severity or its line names the test host."""
    rule = f.rule
    if (
        rule.test_severity
        and rule.test_severity != rule.severity
        and f.severity == rule.test_severity
    ):
        return "test"
    if "apitest.vipps.no" in f.snippet.lower():
        return "test"
    return "production"


def _place(f: Finding) -> tuple[str, int]:
    """Where a finding sits, for pairing: the file (and the commit, for history findings; the
    original source, for a value from a source map) and the line there."""
    where = [f.path, repr(f.extra.get("commit"))]
    line = f.line
    if f.origin:
        where.append(str(f.origin.get("path")))
        origin_line = f.origin.get("line")
        line = origin_line if isinstance(origin_line, int) else line
    return "\0".join(where), line


def pair(firsts: Sequence[Finding], seconds: Sequence[Finding]) -> dict[int, Finding]:
    """Pair each finding with its partner of the other kind: same file, within ``NEAR_LINES``.

    Pairs are chosen one-to-one, closest first (on a tie: the same environment, then the order
    ``first`` above ``second``, as a key is usually written above its secret), so that
    ``KEY1 SECRET1 KEY2 SECRET2`` pairs 1-1 and 2-2.  A finding left over (two secrets, one key)
    takes its nearest partner even if that one is already taken.  Keys are ``id()`` of findings.
    """
    cands: list[tuple[tuple[int, int, int, int], Finding, Finding]] = []
    for a in firsts:
        where_a, line_a = _place(a)
        for b in seconds:
            where_b, line_b = _place(b)
            if where_a != where_b or abs(line_a - line_b) > NEAR_LINES:
                continue
            score = (abs(line_a - line_b), a.severity != b.severity, line_a > line_b, line_a)
            cands.append((score, a, b))
    cands.sort(key=lambda c: c[0])
    out: dict[int, Finding] = {}
    for _, a, b in cands:
        if id(a) not in out and id(b) not in out:
            out[id(a)], out[id(b)] = b, a
    for _, a, b in cands:  # leftovers: nearest partner, shared
        out.setdefault(id(a), b)
        out.setdefault(id(b), a)
    return out


def _context(name: str, *findings: Finding | None) -> str | None:
    for f in findings:
        if f is not None and f.context.get(name):
            return f.context[name]
    return None


def _vipps(f: Finding, partners: dict[int, Finding]) -> Credential:
    secret: Finding | None = f
    key: Finding | None = f
    if f.rule.id == VIPPS_SECRET:
        key = partners.get(id(f))
    else:
        secret = partners.get(id(f))
    env = (
        "test" if any(x and vipps_environment(x) == "test" for x in (secret, key)) else "production"
    )
    client_id = _context("client_id", secret, key)
    msn = _context("merchant_serial_number", secret, key)
    parts: list[tuple[str, str]] = []
    missing: list[str] = []
    for name, value in (
        ("client_id", client_id),
        ("client_secret", secret.secret if secret else None),
        ("subscription_key", key.secret if key else None),
    ):
        if value:
            parts.append((name, value))
        else:
            missing.append(name)
    if msn:
        parts.append(("merchant_serial_number", msn))
    return Credential("vipps", env, tuple(parts), tuple(missing))


def _sagapay(f: Finding, partners: dict[int, Finding]) -> Credential:
    secret: Finding | None = f
    key: Finding | None = f
    if f.rule.id == SAGAPAY_KEY:
        secret = partners.get(id(f))
    else:
        key = partners.get(id(f))
    parts: list[tuple[str, str]] = []
    missing: list[str] = []
    for name, value in (
        ("api_key", key.secret if key else None),
        ("api_secret", secret.secret if secret else None),
    ):
        if value:
            parts.append((name, value))
        else:
            missing.append(name)
    merchant = _context("merchant_id", key, secret)
    if merchant:
        parts.append(("merchant_id", merchant))
    prefixes = tuple(p for x in (key, secret) if x for p in x.rule.prefixes)
    return Credential("sagapay", "production", tuple(parts), tuple(missing), prefixes)


def group(findings: Sequence[Finding]) -> list[Credential | None]:
    """One entry per finding: its credential, or None when lekk has no live check for its rule."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule.id].append(f)
    # Vipps: the subscription key is usually written above the secret; SagaPay: the key.
    vipps = pair(by_rule[VIPPS_KEY], by_rule[VIPPS_SECRET])
    saga = pair(by_rule[SAGAPAY_KEY], by_rule[SAGAPAY_SECRET])
    out: list[Credential | None] = []
    for f in findings:
        rid = f.rule.id
        if rid in (VIPPS_SECRET, VIPPS_KEY):
            out.append(_vipps(f, vipps))
        elif rid in (SAGAPAY_KEY, SAGAPAY_SECRET):
            out.append(_sagapay(f, saga))
        else:
            out.append(None)
    return out
