"""Opt-in live verification (``--verify``): is a leaked credential still active?

Each distinct credential is sent once, read-only and time-limited, to its own provider's official
HTTPS host (or a loopback test server named by ``LEKK_VIPPS_BASE_URL``/``LEKK_SAGAPAY_BASE_URL``),
within the provider's published rate limits.  See docs/verify.md.
"""

from __future__ import annotations

from scanner.verify.providers import ERROR, FORBIDDEN, LIVE, REVOKED, STATUSES, UNKNOWN
from scanner.verify.runner import ACTIVE, Settings, only_live, summary, verify_findings

__all__ = [
    "ACTIVE",
    "ERROR",
    "FORBIDDEN",
    "LIVE",
    "REVOKED",
    "STATUSES",
    "UNKNOWN",
    "Settings",
    "only_live",
    "summary",
    "verify_findings",
]
