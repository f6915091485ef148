"""Fixtures for the verification tests: the fake providers' server (see fakeproviders.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakeproviders import FakeProviders, serve


@pytest.fixture
def fake() -> Iterator[FakeProviders]:
    fp = FakeProviders()
    server = serve(fp)
    try:
        yield fp
    finally:
        server.shutdown()
        server.server_close()
