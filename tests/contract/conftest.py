"""Fixtures shared by the emulator's contract tests: one emulator per module on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.emulator.runner import EmulatorHandle


class FakeClock:
    """A monotonic clock the test moves by hand, so a 5-minute job completes without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock, request: pytest.FixtureRequest) -> Iterator[EmulatorHandle]:
    """A module may set EMULATOR_OPTIONS (extra EmulatorConfig fields)."""
    options: dict[str, Any] = getattr(request.module, "EMULATOR_OPTIONS", {})
    with run_in_thread(EmulatorConfig(speed=1.0, clock=clock, **options)) as emu:
        yield emu


@pytest.fixture
def emu(server: EmulatorHandle) -> EmulatorHandle:
    server.reset()
    return server
