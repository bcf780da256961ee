"""HeyGen's own API (v3) as a provider package: the model as data (`models`), HeyGen's knobs (`options`),
reading its answers (`wire`), the provider (`provider`) and doctor's key check (`doctor`)."""

from talking_video_mcp.providers.heygen.models import MODEL_ID, MODELS
from talking_video_mcp.providers.heygen.options import HeygenOptions
from talking_video_mcp.providers.heygen.requests import HeygenArgs, HeygenRequest

__all__ = ["MODELS", "MODEL_ID", "HeygenArgs", "HeygenOptions", "HeygenRequest"]
