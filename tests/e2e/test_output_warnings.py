"""Wording and warnings a newcomer meets on the local model: an empty script is blamed on `script`; a video too
small to look good (a landscape photo cropped to 9:16) or a face enlarged from too few pixels gets a warning in
the job view naming the argument that would help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import error_text, png_bytes, structured, wait_for_job

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("script", ["", "   "])
async def test_an_empty_script_is_blamed_on_script(client: Any, tmp_path: Path, script: str) -> None:
    result = await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper", "script": script})
    assert result.is_error
    assert error_text(result) == "script: is empty; write the words the face should say (or pass audio instead)."


async def _finished(client: Any, **args: Any) -> dict[str, Any]:
    job = structured(await client.call_tool("generate_talking_video", {"model": "local", "script": "Hi there.",
                                                                        "force_new": True, **args}))
    job = await wait_for_job(client, job, limit_s=120)
    assert job["status"] == "completed", job
    return job


async def test_a_small_output_names_the_aspect_ratio_that_made_it(client: Any, tmp_path: Path) -> None:
    photo = tmp_path / "landscape.png"
    photo.write_bytes(png_bytes(640, 360))
    job = await _finished(client, image=str(photo), aspect_ratio="9:16")
    [warning] = [w for w in job["warnings"] or [] if "short side" in w]
    assert warning.startswith("aspect_ratio: the video is only ") and "leave aspect_ratio out" in warning, warning
    fine = await _finished(client, image=str(photo), resolution="720p")  # 1280x720: no size warning
    assert not [w for w in fine.get("warnings") or [] if "short side" in w], fine


async def test_a_face_enlarged_more_than_twice_is_named(client: Any, tmp_path: Path) -> None:
    photo = tmp_path / "small.png"
    photo.write_bytes(png_bytes(200, 200))
    job = await _finished(client, image=str(photo), resolution="720p")
    [warning] = [w for w in job["warnings"] or [] if "enlarged" in w]
    assert warning.startswith("image: the face is ") and "pass a photo where the face is at least" in warning
    assert "(or a lower resolution)" in warning
