"""The offline talking-head renderer: one photo and a speech track in, an MP4 out.

Everything runs on the CPU with files shipped in the package: OpenCV's Haar cascade, the
MediaPipe face-mesh model (ONNX), NumPy/OpenCV warps and libx264 through PyAV. OpenCV and
the renderer load on first use of render_talking_head, so listing presets stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from talking_video_mcp.render.presets import Preset, list_presets
from talking_video_mcp.render.types import AudioUnusable, RenderCanceled, RenderResult

if TYPE_CHECKING:
    from talking_video_mcp.render.check import FaceCheck, check_faces
    from talking_video_mcp.render.renderer import render_talking_head

__all__ = ["AudioUnusable", "FaceCheck", "Preset", "RenderCanceled", "RenderResult", "check_faces", "list_presets",
           "render_talking_head"]


def __getattr__(name: str) -> Any:
    if name == "render_talking_head":
        from talking_video_mcp.render.renderer import render_talking_head

        return render_talking_head
    if name in ("check_faces", "FaceCheck"):
        from talking_video_mcp.render import check

        return getattr(check, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
