from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SHARED


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"../shared not found at {SHARED}: acceptance corpus tests skipped")
    return SHARED
