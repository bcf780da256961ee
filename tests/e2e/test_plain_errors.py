"""Every tool refuses a bad argument the same way, over a real MCP session: one plain sentence that names the
argument, says what was wrong and what to send instead, and carries none of the argument library's wording.

The values are those seen in the issue (a 5,000+ character script, an unknown model, wait_seconds 999, a
limit of "abc", a cursor of "-5"), the fuzzer's schema poisons, one wrong-typed value for every argument of
every tool, and argument names the tools do not take."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.fuzz.test_fuzz_tools import SCHEMA_POISON, TOOL_FIELDS
from tests.helpers import error_text, structured

pytestmark = pytest.mark.anyio

INTERNALS = ("validation error", "pydantic", "Arguments", "input_value", "type=", "errors.pydantic.dev",
             "Error executing tool", "For further information", "\n")
SPEND_TOOLS = ("generate_talking_video", "text_to_speech", "generate_video_from_image", "generate_product_ad")
# The smallest valid call of each tool: a poisoned argument is then the only thing wrong.
BASE: dict[str, dict[str, Any]] = {
    "generate_talking_video": {"dry_run": True},
    "text_to_speech": {"text": "Hello there.", "dry_run": True},
    "generate_video_from_image": {"image": "https://example.com/face.png", "prompt": "slow zoom in", "dry_run": True},
    "generate_product_ad": {"product_placement_sample_id": "sample-1", "images": ["https://example.com/p.png"],
                            "dry_run": True},
    "check_video_status": {"job_id": "job_0123456789abcdef"},
    "cancel_job": {"job_id": "job_0123456789abcdef"},
    "get_video_details": {"job_id": "job_0123456789abcdef"},
    "get_video_chunk": {"job_id": "job_0123456789abcdef"},
}


def assert_plain(result: Any, argument: str) -> str:
    """The refusal is one sentence, names `argument` and shows nothing of the libraries underneath."""
    assert result.is_error, result
    text = error_text(result)
    for internal in INTERNALS:
        assert internal not in text, f"{internal!r} in {text!r}"
    assert argument in text, f"{argument!r} is not named in {text!r}"
    assert text.endswith((".", "?")) and not re.search(r"[.?!]\s+[A-Z]", text), f"not one sentence: {text!r}"
    return text


ISSUE_CASES = [
    ("generate_talking_video", {"script": "x" * 5_412}, "script", ("5,412 characters", "at most 5,000")),
    ("generate_talking_video", {"model": "gpt-video"}, "model", ("'gpt-video'", "'local'")),
    ("generate_talking_video", {"wait_seconds": 999}, "wait_seconds", ("999", "from 0 to 55")),
    ("list_jobs", {"limit": "abc"}, "limit", ("'abc'", "from 1 to 100")),
    ("list_voices", {"cursor": "-5"}, "cursor", ("next_cursor",)),
    ("list_jobs", {"cursor": "-5"}, "cursor", ("omit it",)),
    ("text_to_speech", {"text": ""}, "text", ("empty",)),
    ("generate_product_ad", {"size": "big"}, "size", ("1024x1024",)),
    ("generate_talking_video", {"resolution": "1080"}, "resolution", ("720p",)),
    ("generate_talking_video", {"model": "segmind/higgsfield-speech2video", "duration": 7}, "duration",
     ("5, 10 or 15",)),
    # A knob only some models have: refused in one sentence naming the models that take it.
    ("generate_talking_video", {"duration": 10}, "duration", ("local does not take it",
                                                              "segmind/higgsfield-speech2video")),
    ("generate_talking_video", {"options": {"quality": "high"}}, "options.quality", (
        "not an option of local", "segmind/higgsfield-speech2video, unifically/higgsfield-speak")),
    ("generate_talking_video", {"options": {"face_index": 99}}, "options.face_index", ("50",)),
]


@pytest.mark.parametrize(("tool", "args", "argument", "says"), ISSUE_CASES,
                         ids=[f"{t}-{a}" for t, _, a, _ in ISSUE_CASES])
async def test_the_issues_values_get_one_plain_sentence(client: Any, tool: str, args: dict[str, Any], argument: str,
                                                        says: tuple[str, ...]) -> None:
    text = assert_plain(await client.call_tool(tool, {**BASE.get(tool, {}), **args}), argument)
    assert text.startswith(f"{argument}: "), text
    for part in says:
        assert part in text, (part, text)


def _poisoned() -> list[tuple[str, str, Any]]:
    cases = []
    for tool, fields in TOOL_FIELDS.items():
        names = set(fields) | ({"dry_run", "wait_seconds"} if tool in SPEND_TOOLS else set())
        names |= {"wait_seconds"} if tool == "check_video_status" else set()
        if tool == "generate_video_from_image":
            names -= {"model"}  # its own enum of variants
        cases += [(tool, name, value) for name, values in SCHEMA_POISON.items() if name in names for value in values]
    return cases


POISONED = _poisoned()


@pytest.mark.parametrize(("tool", "argument", "value"), POISONED,
                         ids=[f"{t}-{a}-{i}" for i, (t, a, _) in enumerate(POISONED)])
async def test_the_fuzzers_schema_poisons_get_one_plain_sentence(client: Any, tool: str, argument: str,
                                                                 value: Any) -> None:
    assert_plain(await client.call_tool(tool, {**BASE.get(tool, {}), argument: value}), argument)


def _wrong_type(schema: dict[str, Any]) -> Any:
    """A value of the wrong JSON type for a property, as the fuzzer's junk is."""
    if "enum" in schema:
        return "no-such-choice"
    return {"string": {"a": 1}, "integer": "abc", "number": "soon", "boolean": "maybe", "array": "not-a-list",
            "object": "not-an-object"}[
        schema["type"] if isinstance(schema["type"], str) else schema["type"][0]]


async def test_a_wrong_type_for_any_argument_of_any_tool_gets_one_plain_sentence(client: Any) -> None:
    tools = (await client.list_tools()).tools
    checked = 0
    for tool in tools:
        for name, schema in (tool.input_schema.get("properties") or {}).items():
            result = await client.call_tool(tool.name, {**BASE.get(tool.name, {}), name: _wrong_type(schema)})
            text = assert_plain(result, name)
            assert text.startswith(f"{name}: "), text
            checked += 1
    assert checked > 70 and len(tools) >= 12  # the per-model knobs are one `options` argument now


UNKNOWN = [
    ("generate_talking_video", {"voice": "espeak:de"}, "voice", "`voice_id`"),
    ("generate_talking_video", {"language": "fr"}, "language", "`voice_id`"),
    ("generate_talking_video", {"text": "Hallo"}, "text", "`script`"),
    ("generate_talking_video", {"avatar": "local:grace_hopper"}, "avatar", "`avatar_preset_id`"),
    ("generate_talking_video", {"qualty": "mid"}, "qualty", "send only"),
    ("generate_talking_video", {"quality": "mid"}, "quality", "`options`, as options={'quality': …}"),
    ("generate_talking_video", {"framing": "portrait"}, "framing", "`aspect_ratio`"),
    ("generate_talking_video", {"scirpt": "Hello"}, "scirpt", "`script`"),
    ("text_to_speech", {"script": "Hello"}, "script", "`text`"),
    ("list_voices", {"lang": "de"}, "lang", "`language`"),
    ("list_jobs", {"page_size": 5}, "page_size", "`limit`"),
    ("check_video_status", {"id": "job_1"}, "id", "`job_id`"),
    ("get_account", {"provider": "segmind"}, "provider", "takes none"),
    ("cancel_job", {"colour": "blue"}, "colour", "send only job_id"),
]


@pytest.mark.parametrize(("tool", "args", "argument", "hint"), UNKNOWN, ids=[f"{t}-{a}" for t, _, a, _ in UNKNOWN])
async def test_an_unknown_argument_is_refused_with_the_closest_name(client: Any, tool: str, args: dict[str, Any],
                                                                    argument: str, hint: str) -> None:
    text = assert_plain(await client.call_tool(tool, {**BASE.get(tool, {}), **args}), argument)
    assert text.startswith(f"{argument}: is not an argument of {tool}"), text
    assert hint in text, text


async def test_several_unknown_arguments_are_all_named(client: Any) -> None:
    text = assert_plain(await client.call_tool("generate_talking_video", {
        "dry_run": True, "voice": "espeak:de", "language": "fr"}), "voice")
    assert text == ("voice: is not an argument of generate_talking_video (did you mean `voice_id`?); language is not "
                    "one either (did you mean `voice_id`, which sets the language too (e.g. espeak:fr)?).")
    text = assert_plain(await client.call_tool("generate_talking_video", {
        "dry_run": True, "seed": 0, "aspect_ratio": "x"}), "seed")
    assert text.startswith("aspect_ratio: 'x' is not one of the allowed values") and text.endswith(
        "; seed also needs fixing.")


async def test_the_protocols_own_fields_stay_allowed(client: Any) -> None:
    """`_meta` (in the request, or sent among the arguments by a client) and names the protocol may add
    later (they start with `_`) are not the caller's arguments; an unknown name sent as null asks for nothing."""
    assert structured(await client.call_tool("list_jobs", {"limit": 5}, meta={"trace": "abc"}))["jobs"] == []
    assert structured(await client.call_tool("list_jobs", {"limit": 5, "_meta": {"trace": "abc"}}))["jobs"] == []
    assert structured(await client.call_tool("list_jobs", {"limit": 5, "_future": 1}))["jobs"] == []
    assert structured(await client.call_tool("list_jobs", {"limit": 5, "language": None}))["jobs"] == []


@pytest.mark.parametrize("tool", ["list_voices", "list_avatar_presets", "list_motions", "list_sounds"])
@pytest.mark.parametrize("cursor", ["-5", "+1", " 3", "abc", "1.5", "\u0663", "007"])
async def test_catalogue_cursors_are_checked_as_list_jobs_checks_its_own(client: Any, tool: str,
                                                                        cursor: str) -> None:
    assert_plain(await client.call_tool(tool, {"cursor": cursor}), "cursor")


async def test_a_cursor_handed_out_still_pages(client: Any) -> None:
    first = structured(await client.call_tool("list_voices", {"provider": "local", "limit": 2}))
    assert first["next_cursor"]
    second = structured(await client.call_tool("list_voices", {"provider": "local", "limit": 2,
                                                                "cursor": first["next_cursor"]}))
    assert {v["voice_id"] for v in first["voices"]}.isdisjoint(v["voice_id"] for v in second["voices"])


async def test_an_unknown_tool_is_one_plain_sentence(client: Any) -> None:
    result = await client.call_tool("make_video", {})
    assert result.is_error and error_text(result) == (
        "'make_video' is not a tool of this server; see tools/list for the tools there are.")


async def test_the_schema_declares_the_limits_the_server_enforces(client: Any) -> None:
    tools = {t.name: t.input_schema["properties"] for t in (await client.list_tools()).tools}
    talking = tools["generate_talking_video"]
    assert talking["script"]["maxLength"] == 5000 and tools["text_to_speech"]["text"]["maxLength"] == 5000
    assert (talking["wait_seconds"]["minimum"], talking["wait_seconds"]["maximum"]) == (0, 55)
    assert (talking["duration"]["minimum"], talking["duration"]["maximum"]) == (1, 300)
    assert talking["model"]["maxLength"] == 100 and talking["aspect_ratio"]["enum"] == ["16:9", "9:16", "1:1"]
    assert (tools["list_jobs"]["limit"]["minimum"], tools["list_jobs"]["limit"]["maximum"]) == (1, 100)
    assert tools["list_voices"]["cursor"]["maxLength"] == 500
    assert talking["idempotency_key"]["maxLength"] == 200 and talking["audio_task_id"]["maxLength"] == 100
