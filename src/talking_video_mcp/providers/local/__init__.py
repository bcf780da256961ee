"""The offline provider: bundled voices and a CPU talking-head renderer; free, no key, no network. This
package is the whole provider: client.py, models.py, requests.py, and the declaration below (no sandbox
routes: nothing to emulate)."""

from __future__ import annotations

from pathlib import Path

from talking_video_mcp.domain.provider import Provider
from talking_video_mcp.providers.local.models import MODELS
from talking_video_mcp.providers.local.requests import LocalRequest, LocalSpeechRequest
from talking_video_mcp.providers.plugin import BuildContext, ProviderPlugin


def _preset_path(preset_id: str) -> Path | None:
    from talking_video_mcp.providers.local.client import preset_path

    return preset_path(preset_id)


def _build(ctx: BuildContext) -> Provider:
    from talking_video_mcp.providers.local.client import LocalProvider
    from talking_video_mcp.providers.render_rate import FILE_NAME, RenderRates

    return LocalProvider(inputs=ctx.inputs, rates=RenderRates(ctx.home / FILE_NAME))


PLUGIN = ProviderPlugin(name="local", title="Local", models=MODELS, build=_build,
                        requests=(LocalRequest, LocalSpeechRequest), preset_path=_preset_path)
