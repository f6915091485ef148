"""lekk: finds leaked Vipps MobilePay and SagaPay API credentials."""

from __future__ import annotations

__version__ = "0.1.0"
