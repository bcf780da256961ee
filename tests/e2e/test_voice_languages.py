"""list_voices(language=...) takes a language as people write it (code, English name, its own name), and its
notes never send anyone to a provider that is not configured here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.server import build_server
from tests.conftest import make_settings
from tests.helpers import structured

pytestmark = pytest.mark.anyio


async def _voices(client: Any, **args: Any) -> dict[str, Any]:
    return structured(await client.call_tool("list_voices", {"limit": 100, **args}))


async def test_codes_english_names_and_native_names_find_the_same_voices(client: Any) -> None:
    french = {v["voice_id"] for v in (await _voices(client, language="fr"))["voices"]}
    assert french and all(v.startswith("espeak:fr") for v in french), french
    for asked in ("French", "french", "Français", "francais", "FR", "fr-FR"):
        assert {v["voice_id"] for v in (await _voices(client, language=asked))["voices"]} == french, asked
    german = {v["voice_id"] for v in (await _voices(client, language="Deutsch"))["voices"]}
    assert german == {v["voice_id"] for v in (await _voices(client, language="German"))["voices"]} != set()
    brazil = (await _voices(client, language="pt-BR"))["voices"]
    portuguese = (await _voices(client, language="Português"))["voices"]
    assert brazil and all(v["language"] == "pt-BR" for v in brazil)
    assert {v["language"] for v in portuguese} == {"pt-PT", "pt-BR"}
    assert (await _voices(client, language="中文"))["voices"][0]["language"] == "zh-CN"


async def test_the_note_names_only_configured_providers(home: Path, tmp_path: Path, client: Any) -> None:
    keyed = await _voices(client, language="Klingon")
    assert keyed["voices"] == [] and "provider='segmind'" in keyed["notes"][-1], keyed
    offline = make_settings(home, tmp_path, "http://127.0.0.1:9", SEGMIND_API_KEY=None, UNIFICALLY_API_KEY=None)
    async with Client(build_server(offline)) as local_only:
        listed = await _voices(local_only, language="Klingon")
    assert listed["voices"] == [] and listed["notes"], listed
    for note in listed["notes"]:
        assert "segmind" not in note and "unifically" not in note, note
    assert "('German', 'Deutsch')" in listed["notes"][-1]
