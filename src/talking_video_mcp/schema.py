"""Compact JSON Schemas for tools/list: the same constraints in fewer tokens.

pydantic adds a `title` to every property and spells `X | None` as `anyOf`; an LLM reads
every byte of tools/list on every turn, so both are folded away here."""

from __future__ import annotations

from typing import Any

_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


def compact(schema: Any, *, descriptions: bool = True, optional_nulls: bool = False) -> Any:
    """Drop titles (and descriptions when asked); with `optional_nulls`, an optional `X | None`
    argument is advertised as plain `X` (omitting it is how a client says null)."""
    if not isinstance(schema, dict):
        return schema

    def sub(value: Any) -> Any:
        return compact(value, descriptions=descriptions, optional_nulls=optional_nulls)

    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (key == "description" and not descriptions and not isinstance(value, dict)):
            continue
        if key == "default" and (value is None or (optional_nulls and value is False)):
            continue  # null, and for arguments false, is what leaving them out means
        if key == "additionalProperties" and value is True:
            continue  # JSON Schema's default
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: sub(item) for name, item in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [sub(item) for item in value]
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = sub(value)
        else:
            out[key] = value
    folded = _fold_nullable(out)
    if optional_nulls and "properties" in folded:
        required = set(folded.get("required", ()))
        for name, prop in folded["properties"].items():
            if name not in required and isinstance(prop.get("type"), list) and "null" in prop["type"]:
                kinds = [k for k in prop["type"] if k != "null"]
                prop["type"] = kinds[0] if len(kinds) == 1 else kinds
                if "enum" in prop:
                    prop["enum"] = [e for e in prop["enum"] if e is not None]
    return folded


def _fold_nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [{type: T, ...}, {type: null}]` → `{type: [T, "null"], ...}`."""
    options = schema.get("anyOf")
    if not isinstance(options, list) or len(options) != 2:
        return schema
    nulls = [o for o in options if o == {"type": "null"}]
    others = [o for o in options if o != {"type": "null"}]
    if len(nulls) != 1 or len(others) != 1:
        return schema
    inner = dict(others[0])
    kind = inner.get("type")
    if not isinstance(kind, str) or "$ref" in inner:
        return schema
    folded = {k: v for k, v in schema.items() if k != "anyOf"}
    folded.update(inner)
    folded["type"] = [kind, "null"]
    if "enum" in inner:
        folded["enum"] = [*inner["enum"], None]
    return folded


def shallow(schema: dict[str, Any]) -> dict[str, Any]:
    """An output schema reduced to its top level: each field's name, with its enum, and its type where the name
    does not say it (a list or an object); no nested models.

    Structured results still validate against it, and the field names tell the assistant what comes back. The
    full nested shapes cost several kilobytes of tools/list per tool for little use, and so do the scalar types:
    six tools return the job view, so its `"type":"string"`s alone were about 1 KB of every turn."""
    properties: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        folded = compact(prop, descriptions=False)
        kept = {k: folded[k] for k in ("type", "enum", "anyOf") if k in folded}
        if "anyOf" in kept:
            kinds = sorted({str(o.get("type")) for o in kept.pop("anyOf") if isinstance(o, dict) and "type" in o})
            if kinds:
                kept["type"] = kinds[0] if len(kinds) == 1 else kinds
        if isinstance(kept.get("type"), list) and "null" in kept["type"]:
            kept = {}  # optional result field: its name says enough
        elif kept.get("type") not in ("array", "object"):
            kept.pop("type", None)  # a string, number or flag: the name says enough (job_id, progress, ...)
        properties[name] = kept
    return {"type": "object", "properties": properties}
