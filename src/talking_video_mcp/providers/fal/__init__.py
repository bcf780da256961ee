"""fal's queue of photo → talking-video models (HeyGen Avatar IV, OmniHuman 1.5, Kling AI Avatar v2, VEED
Fabric 1.0, InfiniteTalk, Creatify Aurora): one adapter, the models as data (catalog.py).

What a registry needs: `FalProvider` (the Provider protocol, plus `cancel`, `check_key`, `unpriced_refusal`,
`price_per_s`), `FalHosts` (settings FAL_QUEUE_URL / FAL_REST_URL), `MODELS` (model ids, prices, options
schemas), `FalArgs`/`FalRequest` (the arguments and the stored request), `job_detail`/`job_eta_s` (progress)."""

from talking_video_mcp.providers.fal.catalog import BY_ID, MODELS, FalModel
from talking_video_mcp.providers.fal.provider import (
    PRICE_SETTING,
    CancelOutcome,
    FalProvider,
    KeyCheck,
    fal_request,
    job_detail,
    job_eta_s,
)
from talking_video_mcp.providers.fal.request import FalArgs, FalRequest
from talking_video_mcp.providers.fal.wire import INLINE_MAX_BYTES, FalHosts

__all__ = [
    "BY_ID", "INLINE_MAX_BYTES", "MODELS", "PRICE_SETTING", "CancelOutcome", "FalArgs", "FalHosts", "FalModel",
    "FalProvider", "FalRequest", "KeyCheck", "fal_request", "job_detail", "job_eta_s",
]
