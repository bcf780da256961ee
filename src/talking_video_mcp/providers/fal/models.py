"""fal's models as the registry sees them (`ModelSpec`): built from catalog.MODELS and the prices the operator
set (FAL_PRICES_USD_PER_S), which take the place of published ones and make usable the models that have none."""

from __future__ import annotations

from collections.abc import Mapping

from talking_video_mcp.domain.provider import ModelSpec
from talking_video_mcp.providers.fal.catalog import MODELS, FalModel, NoOptions

PRICE_SETTING = "FAL_PRICES_USD_PER_S"
# Taken by every fal model: the photo (a file, URL or preset) and the speech (audio, or a script spoken by the
# model or an offline voice first; audio_task_id: a text_to_speech job of this server, passed on as its audio).
_ALWAYS = frozenset({"image", "avatar_preset_id", "audio", "audio_task_id", "script"})


def unpriced_sentence(model: str) -> str:
    return (f"fal publishes no price for {model} in the sources this server was built from, so its cost cannot be "
            f"estimated and the spend guard refuses it; the operator can allow it by setting its price per second "
            f"in {PRICE_SETTING} (e.g. {model}=0.05).")


def spec_of(m: FalModel, operator_price: float | None = None) -> ModelSpec:
    takes = _ALWAYS | set(m.fields) | (set() if m.text_endpoint else {"voice_id"})
    per_s: float | None = None
    rows: tuple[tuple[str, float], ...] = ()
    note: str | None = None
    if operator_price is not None:
        per_s, note = operator_price, f"set by the operator ({PRICE_SETTING})"
    elif m.price_per_s is not None and set(m.price_per_s) == {None}:
        per_s = m.price_per_s[None]
    elif m.price_per_s is not None:
        rows = tuple((f"resolution={r}, per second", p) for r, p in m.price_per_s.items() if r is not None)
    limit = max(m.max_audio_s.values()) if m.max_audio_s else None
    unpriced = unpriced_sentence(m.model_id) if per_s is None and not rows else None
    return ModelSpec(
        m.model_id, "fal", m.title, m.typical_s, m.summary, takes=frozenset(takes),
        options=None if m.options is NoOptions else m.options, price_per_second_usd=per_s, prices=rows,
        price_note=note, max_speech_s=limit, unpriced=unpriced,
    )


def specs(prices: Mapping[str, float] | None = None) -> tuple[ModelSpec, ...]:
    prices = prices or {}
    return tuple(spec_of(m, prices.get(m.model_id)) for m in MODELS)
