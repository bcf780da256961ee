"""Ready-made avatars shipped in `assets/presets`, all public domain (see LICENSES.md there)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path


@dataclass(frozen=True)
class Preset:
    """A bundled avatar. `gender` and `language` describe the person pictured, so the
    default voice fits them (tts.choose_voice(script, gender=...))."""

    preset_id: str
    name: str
    path: Path
    license: str
    source: str
    width: int
    height: int
    gender: str = "female"
    language: str = "en-US"


# (id, file, name, licence, source, width, height); all three pictured people are women
# (Preset.gender's default) and the presets' scripts are expected in English.
_PRESETS: tuple[tuple[str, str, str, str, str, int, int], ...] = (
    (
        "astronaut", "astronaut.jpg", "Astronaut (Eileen Collins, NASA portrait)", "Public domain (NASA)",
        "NASA photo, via scikit-image 0.26.0 skimage/data/astronaut.png", 512, 512,
    ),
    (
        "grace_hopper", "grace_hopper.jpg", "Grace Hopper (U.S. Navy portrait, 1984)",
        "Public domain (U.S. Navy, James S. Davis)",
        "U.S. Navy photo, via matplotlib 3.11.2 mpl-data/sample_data/grace_hopper.jpg", 512, 600,
    ),
    (
        "mona_lisa", "mona_lisa.jpg", "Mona Lisa (Leonardo da Vinci, painting)", "Public domain (c. 1503-1519)",
        "Reproduction of the painting, via Wand 0.7.2 sdist tests/assets/mona-lisa.jpg", 402, 599,
    ),
)


@cache
def _preset_dir() -> Path:
    resource = files("talking_video_mcp.assets").joinpath("presets")
    # Installed wheels are plain directories, so as_file() hands back the real path.
    with as_file(resource) as path:
        return Path(path)


def list_presets() -> list[Preset]:
    """The bundled avatars, with the file each one lives in and its licence."""
    folder = _preset_dir()
    return [
        Preset(preset_id=pid, name=name, path=folder / filename, license=lic, source=src, width=w, height=h)
        for pid, filename, name, lic, src, w, h in _PRESETS
    ]


def preset_gender(preset_id: str | None) -> str | None:
    """The gender of the person in preset `preset_id` (`local:<name>` or the bare name),
    None for no preset or an unknown one."""
    if not preset_id:
        return None
    name = preset_id.removeprefix("local:")
    return next((p.gender for p in list_presets() if p.preset_id == name), None)
