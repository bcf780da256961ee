"""The HTML pages of the player and the gallery, with the texts they show for jobs without a video."""

from __future__ import annotations

import json
from importlib import resources

from talking_video_mcp import __version__

NOTICES: dict[str, str] = {
    "failed": "This job failed, so there is no video. Fix the input named in the error and submit it again.",
    "canceled": "This job was canceled before it finished, so there is no video.",
    "expired": (
        "The provider no longer has this result: it expired before it could be downloaded. Submit the job "
        "again (force_new=true) to get a new video."
    ),
    "submit_unknown": (
        "The network failed while the paid request was being sent, so nobody knows whether the provider "
        "accepted (and billed) it. It is never re-sent automatically: check the provider dashboard or "
        "get_account before submitting again."
    ),
}


def page(name: str) -> str:
    """A page of ui/static with its placeholders filled in."""
    text = resources.files("talking_video_mcp.ui").joinpath("static", name).read_text(encoding="utf-8")
    notices = json.dumps(NOTICES).replace("<", "\\u003c")
    return text.replace("{{VERSION}}", __version__).replace("{{NOTICES_JSON}}", notices)
