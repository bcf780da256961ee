"""Headless Chromium (Debian's `chromium`) driven by Playwright for Python; the tests skip, saying why, when
either is missing (in CI, CI=true, they fail instead)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.browser.support import chromium


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched
