"""The video store away: a read a tool call waits on (the player on a replica that did not make the video) answers
within seconds, in one sentence, whether the store refuses connections or accepts them and never answers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from talking_video_mcp.settings import Settings
from talking_video_mcp.storage import VIDEO_STORE_AWAY, S3Storage, StorageUnavailable
from tests.servers import free_port

pytest.importorskip("boto3")


@pytest.fixture
def silent_store() -> Iterator[str]:
    """A listener that takes connections and never says a word (a hung store behind a load balancer)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def storage(tmp_path: Path, endpoint: str) -> S3Storage:
    return S3Storage(Settings(TALKING_VIDEO_HOME=tmp_path, TALKING_VIDEO_STORAGE_URL="s3://videos/team",
                              AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test",
                              AWS_SECRET_ACCESS_KEY=SecretStr("test-secret")))


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_a_read_answers_within_seconds_while_the_store_is_away(kind: str, tmp_path: Path,
                                                               silent_store: str) -> None:
    endpoint = silent_store if kind == "silent" else f"http://127.0.0.1:{free_port()}"
    store = storage(tmp_path, endpoint)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as away:
        store.read("team/job_0123456789abcdef.mp4", 0, 1024)
    assert time.monotonic() - started < 5.0
    assert str(away.value) == VIDEO_STORE_AWAY
