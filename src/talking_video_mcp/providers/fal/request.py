"""What a fal job stores (`FalRequest`): the model's input without its files, the files to send, and what the
steps after the submit need (the speech's length, the price per second)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from talking_video_mcp.domain.requests import StoredRequest

# Every model id of catalog.MODELS (the ledger reads a job's request by its model; a test checks the two agree).
FalModelId = Literal[
    "fal/heygen-avatar4", "fal/omnihuman-v1.5", "fal/kling-avatar-v2-standard", "fal/kling-avatar-v2-pro",
    "fal/fabric-1.0", "fal/fabric-1.0-fast", "fal/infinitalk", "fal/creatify-aurora",
]


class FalRequest(StoredRequest):
    """A validated fal job, as the ledger stores it. `payload` is the model's input except the files in
    `inputs` (keyed by fal's field), which the job sends as data: URIs, uploaded files or URLs."""

    model: FalModelId
    endpoint: str
    payload: dict[str, Any]
    speech_seconds: float | None = Field(default=None, description="The speech's length, when known at request time")
    price_per_s: float | None = Field(default=None, description="USD per second; None: unknown")
    frames_from_speech: bool = Field(default=False, description="Set the length in frames from the speech's")
