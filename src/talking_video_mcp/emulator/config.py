"""Emulator settings: a plain dataclass so the CLI, tests and the sandbox build it cheaply."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from talking_video_mcp.emulator.faults import FaultRule

UPLOAD_RESPONSE_KEYS = ("urls", "file_urls")
# How a finished Segmind result carries the video URL: only images are documented (a URL
# string), so clients must tolerate the other shapes too, and tests pin each one.
OUTPUT_SHAPES = ("url", "json", "object", "list")


@dataclass
class EmulatorConfig:
    """How the fake providers behave.

    `speed` divides queue/processing times and record/file lifetimes (not rate-limit
    windows, which stay in real seconds). With `valid_keys=None` any non-empty key works
    except ones starting with "bad", so a test can provoke a 401 without configuration.
    """

    speed: float = 50.0
    valid_keys: Collection[str] | None = None
    segmind_credits: float = 100.0
    unifically_balance: float = 100.0
    heygen_balance: float = 100.0  # the API wallet, USD
    segmind_rate_limit_per_min: int | None = None
    unifically_rate_limit_per_min: int | None = None
    heygen_rate_limit_per_min: int | None = None
    # Provider seconds a HeyGen presigned video_url/subtitle_url stays valid (HeyGen publishes no figure).
    heygen_url_ttl_s: float = 600.0
    upload_response_key: str = "urls"
    faults: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    # Shape of `output` in a finished Segmind result: "url" (a string), "json" (a string
    # holding {"video_url": ...}), "object" ({"video_url": ...}) or "list" ([url]).
    segmind_output_shape: str = "url"
    # HTTP status of Unifically's client errors (their body says code 400 either way).
    unifically_client_error_http: int = 400
    # How long the `timeout` fault holds a response (seconds, real time).
    timeout_delay_s: float = 30.0
    # When the `429` fault says the window frees (seconds from now, real time).
    fault_retry_after_s: float = 1.0
    # Monotonic clock in seconds; injectable so tests can move time without sleeping.
    clock: Callable[[], float] = time.monotonic
    # Absolute URLs are built from the request's Host unless this is set (e.g. behind a proxy).
    public_base_url: str | None = None
    # Modules with each provider's routes (`routes() -> list[Route]`): the providers' declared `emulator`
    # modules, given by the sandbox; empty: the built-in ones.
    route_modules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("speed must be > 0")
        if self.upload_response_key not in UPLOAD_RESPONSE_KEYS:
            raise ValueError(f"upload_response_key must be one of {UPLOAD_RESPONSE_KEYS}")
        if self.segmind_output_shape not in OUTPUT_SHAPES:
            raise ValueError(f"segmind_output_shape must be one of {OUTPUT_SHAPES}")
        if self.unifically_client_error_http not in (200, 400):
            raise ValueError("unifically_client_error_http must be 200 or 400")
        for limit in (self.segmind_rate_limit_per_min, self.unifically_rate_limit_per_min,
                      self.heygen_rate_limit_per_min):
            if limit is not None and limit < 1:
                raise ValueError("rate limits must be >= 1 request per minute (or None)")
        if self.segmind_credits < 0 or self.unifically_balance < 0:
            raise ValueError("starting credits must be >= 0")

    def key_is_valid(self, key: str) -> bool:
        """Whether an API key is accepted (see the class docstring)."""
        if not key:
            return False
        if self.valid_keys is None:
            return not key.startswith("bad")
        return key in self.valid_keys
