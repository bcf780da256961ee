"""Headless Chromium (Debian's `chromium`) driven by Playwright for Python; the tests skip, saying why, when
either is missing (in CI, CI=true, they fail instead)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.browser.support import ARTIFACTS, CHROMIUM_ARGS, browser_skip_reason, chromium_path
from tests.helpers import skip_or_fail


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    reason = browser_skip_reason()
    if reason is not None:
        skip_or_fail(f"browser tests need a browser: {reason}")
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
