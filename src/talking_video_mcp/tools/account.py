"""get_account: balances per provider (cached: providers/reads.py), the price table, what is left of today's
budget, and whether the sandbox emulator is answering."""

from __future__ import annotations

import time

import anyio

from talking_video_mcp.domain.provider import COMMON_ARGS
from talking_video_mcp.models import AccountView, ModelInfo, ModelList, PriceRow
from talking_video_mcp.schema import compact
from talking_video_mcp.services import Services
from talking_video_mcp.tools.video import start_of_day_utc

SANDBOX_NOTE = (
    "Sandbox mode (TALKING_VIDEO_SANDBOX): the built-in provider emulator answers here, so this balance and the "
    "videos are not real and nothing is charged; unset TALKING_VIDEO_SANDBOX and set a real API key to use the "
    "real provider."
)


def price_table(state: Services) -> list[PriceRow]:
    """Every model's price, from its declaration (ModelSpec): one row per priced option, or one per job."""
    rows: list[PriceRow] = []
    for spec in state.registry.specs():
        if spec.prices:
            rows.extend(PriceRow(model=spec.model_id, option=option, price_usd=price, note=spec.price_note)
                        for option, price in spec.prices)
        elif spec.price_per_second_usd is not None:
            rows.append(PriceRow(model=spec.model_id, option="per second", price_usd=spec.price_per_second_usd,
                                 note=spec.price_note))
        elif spec.price_usd is not None:
            rows.append(PriceRow(model=spec.model_id, option="per job", price_usd=spec.price_usd,
                                 note=spec.price_note or ("rendered on this machine" if spec.free else None)))
        elif spec.unpriced:
            rows.append(PriceRow(model=spec.model_id, option="unknown", note=spec.unpriced))
    return rows


async def list_models(state: Services, *, configured: bool = False, script: bool = False, audio: bool = False,
                free: bool = False) -> ModelList:
    """Every model (talking videos first, then speech and the rest): what it does, whether it runs here, price,
    limits, the common arguments it takes and its options schema."""
    infos: list[ModelInfo] = []
    specs = state.registry.specs()
    for spec in sorted(specs, key=lambda s: s.kind != "talking_video"):
        ready = state.registry.providers[spec.provider].configured
        if (configured and not ready) or (script and "script" not in spec.takes) or (
                audio and "audio" not in spec.takes) or (free and not spec.free):
            continue
        limits = [f"speech up to {spec.max_speech_s:g} s" if spec.max_speech_s else "",
                  f"durations {', '.join(map(str, spec.durations))} s" if spec.durations else "",
                  f"photo {spec.photo_limit}" if spec.photo_limit else ""]
        infos.append(ModelInfo(
            model=spec.model_id, provider=spec.provider, kind=spec.kind, summary=spec.summary, configured=ready,
            price_usd=spec.price_usd, price_per_second_usd=spec.price_per_second_usd,
            prices=dict(spec.prices) or None, price_note=spec.unpriced or spec.price_note,
            limits="; ".join(filter(None, limits)) or None,
            takes=[name for name in COMMON_ARGS if name in spec.takes],
            options=compact(spec.options.model_json_schema()) if spec.options is not None else None,
        ))
    return ModelList(models=infos, default_model=state.registry.default_model())


async def get_account(state: Services) -> AccountView:
    accounts = [await provider.account() for provider in state.registry]
    since = start_of_day_utc(time.time())
    spent = await anyio.to_thread.run_sync(state.store.spent_since, since)
    budget = state.settings.daily_budget_usd
    left = budget - spent
    user_budget = state.settings.user_daily_budget_usd if state.owner is not None else None
    mine: float | None = None
    if user_budget is not None:  # a signed-in user's own limit also bounds what is left to them
        mine = await anyio.to_thread.run_sync(lambda: state.store.spent_since(since, owner=state.owner_id))
        left = min(left, user_budget - mine)
    if state.settings.sandbox:
        for account in accounts:
            if state.registry.key_env(account.provider):
                account.sandbox = True
                account.note = " ".join(filter(None, [SANDBOX_NOTE, account.note]))
    return AccountView(
        providers=accounts,
        default_model=state.registry.default_model(),
        prices=price_table(state),
        max_job_cost_usd=state.settings.max_job_cost_usd,
        daily_budget_usd=budget,
        spent_today_usd=round(spent, 4),
        budget_left_today_usd=round(max(0.0, left), 4),
        user_daily_budget_usd=user_budget,
        user_spent_today_usd=None if mine is None else round(mine, 4),
    )
