"""Turn findings into credentials: the parts a provider needs, found together, never guessed.

- Vipps MobilePay: a ``client_secret`` finding and a subscription-key finding in the same file
  (and commit, for history) within ``NEAR_LINES`` lines of each other form one set; the
  ``client_id`` and the ``merchant_serial_number`` come from what the engine captured beside
  either of them.
- SagaPay: an API key and an API secret in the same file within ``NEAR_LINES`` lines; the
  merchant id comes from what the engine captured beside either.

A finding whose other parts were not found is a credential with ``missing`` parts: it is reported
``unknown`` and nothing is sent.

Which rule's values go to which provider is written once, in ``LINKS``; and a value goes there
only when it was found in that provider's context (``Finding.found_in``): a Vipps-looking
``client_secret`` under a ``sagapay:`` heading is never sent to Vipps MobilePay, nor a SagaPay-shaped
key under ``vipps:`` to SagaPay (``refusal`` says why, and the finding is ``unknown``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from scanner.finding import Finding

NEAR_LINES = 30
"""How far apart (in lines) two parts of one credential may sit in a file."""


@dataclass(frozen=True)
class Link:
    """A rule whose values lekk can check: the check (a key of ``providers.PROVIDERS``), the
    provider the rule's values belong to (its pack's ``provider``) and which part of the
    credential a value is."""

    check: str
    provider: str
    part: str


LINKS: dict[str, Link] = {
    "vipps-client-secret": Link("vipps", "Vipps MobilePay", "client_secret"),
    "vipps-subscription-key": Link("vipps", "Vipps MobilePay", "subscription_key"),
    "sagapay-api-key": Link("sagapay", "SagaPay", "api_key"),
    "sagapay-api-secret": Link("sagapay", "SagaPay", "api_secret"),
}
CHECKED_RULES = frozenset(LINKS)


def refusal(f: Finding) -> str | None:
    """Why ``f`` must not be sent to its rule's check, or None: its rule belongs to another
    provider, or the value was found in another provider's context (or in two at once)."""
    link = LINKS.get(f.rule.id)
    if link is None:
        return None
    if f.rule.provider != link.provider:
        return f"not checked: rule {f.rule.id} is {f.rule.provider or 'no provider'}'s, not {link.provider}'s"
    if f.found_in != link.provider:
        where = f"{f.found_in}'s context" if f.found_in else "the context of more than one provider"
        return f"not checked: found in {where}, so it is not sent to {link.provider}"
    return None


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
    """Test when the engine classed the key as a test key (wherever it was found) or its line
    names the test host."""
    if f.test or "apitest.vipps.no" in f.snippet.lower():
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
            score = (abs(line_a - line_b), a.test != b.test, line_a > line_b, line_a)
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
    if LINKS[f.rule.id].part == "client_secret":
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
    if LINKS[f.rule.id].part == "api_key":
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
    """One entry per finding: its credential, or None when lekk has no live check for its rule
    or must not send it (``refusal``); refused findings are nobody's partner either."""
    links = [LINKS.get(f.rule.id) if refusal(f) is None else None for f in findings]
    by_part: dict[str, list[Finding]] = defaultdict(list)
    for f, link in zip(findings, links, strict=True):
        if link is not None:
            by_part[link.part].append(f)
    # Vipps: the subscription key is usually written above the secret; SagaPay: the key.
    vipps = pair(by_part["subscription_key"], by_part["client_secret"])
    saga = pair(by_part["api_key"], by_part["api_secret"])
    out: list[Credential | None] = []
    for f, link in zip(findings, links, strict=True):
        if link is None:
            out.append(None)
        elif link.check == "vipps":
            out.append(_vipps(f, vipps))
        else:
            out.append(_sagapay(f, saga))
    return out
