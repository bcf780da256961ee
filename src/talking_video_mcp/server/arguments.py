"""Plain sentences for refused arguments, the same for every tool.

The SDK checks a call's arguments against the tool's signature and words a refusal as pydantic does
("1 validation error for ...Arguments ... input_value=... For further information visit ..."). An assistant
acts better on one sentence that names the argument, says what was wrong and what to send instead; the
"instead" is read from the tool's own JSON Schema, so the sentence and tools/list never disagree. Argument
names a tool does not take are refused here too, with the closest name it does take."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails

from talking_video_mcp.schema import compact

# Names assistants reach for, and the argument they mean (used only when the tool takes that argument).
ALIASES = {
    "voice": "voice_id", "voice_name": "voice_id", "speaker": "voice_id", "language": "voice_id", "lang": "voice_id",
    "text": "script", "script": "text", "message": "script", "photo": "image", "picture": "image", "face": "image",
    "image_url": "image", "image_path": "image", "audio_url": "audio", "audio_path": "audio", "speech": "audio",
    "avatar": "avatar_preset_id", "preset": "avatar_preset_id", "avatar_id": "avatar_preset_id", "id": "job_id",
    "task_id": "job_id", "page_size": "limit", "max_results": "limit", "length": "duration", "seconds": "duration",
    "wait": "wait_seconds", "timeout": "wait_seconds", "dryrun": "dry_run", "test": "dry_run",
    # Providers' own names for the common arguments, and model-only knobs (they go in `options`).
    "framing": "aspect_ratio", "orientation": "aspect_ratio", "video_orientation": "aspect_ratio",
    "motion_prompt": "prompt", "custom_motion_prompt": "prompt", "quality": "options", "fit": "options",
    "video_title": "options", "title": "options", "face_index": "options", "enhance_prompt": "options",
    "enhance_custom_motion_prompt": "options",
}
_WHY = {"language": ", which sets the language too (e.g. espeak:fr)",
        "lang": ", which sets the language too (e.g. espeak:fr)"}
# Patterns said the way a person would write the value.
_PATTERNS = {r"^\d{3,4}p$": "a size such as 720p or 1080p", r"^\d{2,4}x\d{2,4}$": "a size such as 1024x1024"}
_PROBLEMS = {
    "missing": "is required",
    "string_type": "{value} is not text",
    "string_unicode": "contains a character that is not valid text (a lone UTF-16 surrogate)",
    "string_pattern_mismatch": "{value} is not in the expected form",
    "literal_error": "{value} is not one of the allowed values",
    "enum": "{value} is not one of the allowed values",
    "int_parsing": "{value} is not a whole number",
    "int_type": "{value} is not a whole number",
    "int_from_float": "{value} is not a whole number",
    "float_parsing": "{value} is not a number",
    "float_type": "{value} is not a number",
    "finite_number": "{value} is not a finite number",
    "bool_parsing": "{value} is not true or false",
    "bool_type": "{value} is not true or false",
    "list_type": "{value} is not a list",
    "too_short": "has too few items",
    "too_long": "has too many items",
    "greater_than_equal": "{value} is below the minimum of {limit}",
    "greater_than": "{value} is not above {limit}",
    "less_than_equal": "{value} is above the maximum of {limit}",
    "less_than": "{value} is not below {limit}",
}


def unknown_names(tool: str, schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> ValidationError | None:
    """Arguments the tool does not take, as a refusal (None when there are none).

    Names starting with `_` (the protocol's `_meta` and whatever it adds later) pass, and so does an unknown
    name sent as null: a client filling in an older schema asks for nothing by it."""
    known = schema.get("properties") or {}
    unknown = [name for name, value in arguments.items()
               if name not in known and not name.startswith("_") and value is not None]
    if not unknown:
        return None
    details = [InitErrorDetails(type="extra_forbidden", loc=(name,), input=arguments[name]) for name in unknown]
    return ValidationError.from_exception_data(tool, details)


def plain_error(tool: str, schema: Mapping[str, Any], error: ValidationError) -> str:
    """One sentence for a refused call: the first wrong argument in full, the others by name."""
    errors = error.errors(include_url=False)
    first = errors[0]
    sentence, question = _sentence(tool, schema, first)
    rest = [e for e in errors[1:] if _argument(e) != _argument(first)]
    if not rest:
        return f"{sentence}; {question}?" if question else f"{sentence}."
    sentence = f"{sentence} ({question}?)" if question else sentence
    properties = schema.get("properties") or {}
    for name in (_argument(e) for e in rest if e["type"] == "extra_forbidden"):
        _, hint = _unknown(tool, name, properties)
        sentence += f"; {_plain_name(name)} is not one either" + (f" ({hint}?)" if hint else "")
    wrong = sorted({_argument(e) for e in rest if e["type"] != "extra_forbidden"})
    if wrong:
        sentence += f"; {_or(wrong, 'and')} also {'needs' if len(wrong) == 1 else 'need'} fixing"
    return sentence + "."


def _argument(error: ErrorDetails) -> str:
    return str(error["loc"][0]) if error["loc"] else "arguments"


def _sentence(tool: str, schema: Mapping[str, Any], error: ErrorDetails) -> tuple[str, str | None]:
    """The sentence without its full stop, and a question to end it with (the closest argument name)."""
    name = _argument(error)
    properties: Mapping[str, Any] = schema.get("properties") or {}
    if error["type"] == "extra_forbidden":
        return _unknown(tool, name, properties)
    prop = compact(properties.get(name) or {}, optional_nulls=False)
    value = show(error.get("input"))
    if len(error["loc"]) > 1 and isinstance(error["loc"][1], int):
        value = f"item {error['loc'][1] + 1} ({value})"
    problem = _problem(error, value)
    wanted = _wanted(prop)
    required = name in (schema.get("required") or ())
    if error["type"] == "missing" and prop.get("description"):
        wanted += f" ({_lower_first(str(prop['description']))})"
    elif not required and wanted:
        wanted += ", or leave it out"
    return f"{name}: {problem}" + (f"; send {wanted}" if wanted else ""), None


def _problem(error: ErrorDetails, value: str) -> str:
    kind, given, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if isinstance(given, float) and not math.isfinite(given):
        return f"{value} is not a finite number"
    if kind == "string_too_long" and isinstance(given, str):
        return f"is {len(given):,} characters long, over the limit of {_number(ctx.get('max_length'))}"
    if kind == "string_too_short":
        return "is empty" if ctx.get("min_length") == 1 else f"is shorter than {ctx.get('min_length')} characters"
    limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), None)
    template = _PROBLEMS.get(kind, "{value} is not a valid value")
    return template.format(value=value, limit=_number(limit))


def _wanted(prop: Mapping[str, Any]) -> str:
    """What the schema allows, in words."""
    if "enum" in prop:
        return "one of " + _or([_literal(v) for v in prop["enum"] if v is not None])
    types = prop.get("type")
    kind = next((t for t in types if t != "null"), None) if isinstance(types, list) else types
    if kind == "boolean":
        return "true or false"
    if kind in ("integer", "number"):
        noun = "a whole number" if kind == "integer" else "a number"
        low, high = prop.get("minimum"), prop.get("maximum")
        if low is not None and high is not None:
            return f"{noun} from {_number(low)} to {_number(high)}"
        if low is not None:
            return f"{noun} of at least {_number(low)}"
        return noun if high is None else f"{noun} of at most {_number(high)}"
    if kind == "string":
        if "pattern" in prop:
            return _PATTERNS.get(str(prop["pattern"]), f"text matching {prop['pattern']}")
        return _sized("text", prop.get("minLength"), prop.get("maxLength"), "characters")
    if kind == "array":
        what = _lower_first(str(prop.get("description") or "items"))
        return _sized("a list", prop.get("minItems"), prop.get("maxItems"), what)
    return ""


def _sized(noun: str, low: int | None, high: int | None, units: str) -> str:
    if noun == "text" and low == 1:
        noun, low = "non-empty text", None
    if low is not None and high is not None:
        return f"{noun} of {_number(low)} to {_number(high)} {units}"
    if high is not None:
        return f"{noun} of at most {_number(high)} {units}"
    if low is not None:
        return f"{noun} of at least {_number(low)} {units}"
    return noun


def _unknown(tool: str, name: str, properties: Mapping[str, Any]) -> tuple[str, str | None]:
    head = f"{_plain_name(name)}: is not an argument of {tool}"
    alias = ALIASES.get(name.lower())
    if alias in properties:
        why = f", as options={{'{name}': …}} (list_models shows each model's)" if alias == "options" else (
            _WHY.get(name.lower(), ""))
        return head, f"did you mean `{alias}`{why}"
    close = difflib.get_close_matches(name.lower(), list(properties), n=1, cutoff=0.6)
    if close:
        return head, f"did you mean `{close[0]}`"
    if not properties:
        return f"{head}, which takes none; send no arguments", None
    return f"{head}; send only {_or(list(properties))}", None


def _plain_name(name: str) -> str:
    """An argument name the caller made up, shown without quotes but made safe as `show` makes values."""
    return show(name).strip("'")


def show(value: Any, *, limit: int = 40) -> str:
    """A value as the assistant sent it, short, on one line, and safe to encode."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 20 else f"a {len(text)}-digit number"
    if isinstance(value, float):
        return _number(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        if len(value) > limit:
            return f"a {len(value):,}-character text"
        clean = "".join(ch if ch.isprintable() and not "\ud800" <= ch <= "\udfff" else "?" for ch in value)
        return f"'{clean}'"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "a list"
    return f"a {type(value).__name__}"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if math.isfinite(value) and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


def _literal(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else show(value)


def _or(items: Sequence[str], word: str = "or") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text
