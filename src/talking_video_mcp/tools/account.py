"""get_account: balances per provider (cached: providers/reads.py), the price table, what is left of today's
budget, and whether the sandbox emulator is answering."""

from __future__ import annotations

import time

import anyio

from talking_video_mcp.models import AccountView, PriceRow
from talking_video_mcp.providers import segmind_catalog as seg
from talking_video_mcp.providers import unifically_catalog as uni
from talking_video_mcp.services import Services
from talking_video_mcp.tools.video import start_of_day_utc

SANDBOX_NOTE = (
    "Sandbox mode (TALKING_VIDEO_SANDBOX): the built-in provider emulator answers here, so this balance and the "
    "videos are not real and nothing is charged; unset TALKING_VIDEO_SANDBOX and set a real API key to use the "
    "real provider."
)


def price_table(unit_price_usd: float) -> list[PriceRow]:
    rows = [
        PriceRow(model=f"segmind/{seg.SPEECH2VIDEO}", option=f"quality={q}, duration={d}", price_usd=p)
        for (q, d), p in sorted(seg.SPEECH2VIDEO_PRICE_USD.items())
    ]
    rows.append(PriceRow(model=f"segmind/{seg.AVATAR_IV}", option="per video", price_usd=seg.AVATAR_IV_PRICE_USD))
    labels = {"talking": uni.MODEL_SPEAK, "tts": uni.MODEL_TTS, "ad": uni.MODEL_ADS}
    for option, factor in uni.RELATIVE_COST.items():
        rows.append(PriceRow(
            model=labels.get(option, uni.MODEL_IMAGE_VIDEO), option=option, relative_cost=factor,
            price_usd=round(factor * unit_price_usd, 4),
            note="relative cost from Higgsfield's guide; USD = factor × UNIFICALLY_UNIT_PRICE_USD (an estimate)",
        ))
    rows.append(PriceRow(model="local", option="any", price_usd=0.0, note="rendered on this machine"))
    return rows


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
            if account.provider != "local":
                account.sandbox = True
                account.note = " ".join(filter(None, [SANDBOX_NOTE, account.note]))
    return AccountView(
        providers=accounts,
        default_model=state.registry.default_model(),
        prices=price_table(state.settings.unifically_unit_price_usd),
        max_job_cost_usd=state.settings.max_job_cost_usd,
        daily_budget_usd=budget,
        spent_today_usd=round(spent, 4),
        budget_left_today_usd=round(max(0.0, left), 4),
        user_daily_budget_usd=user_budget,
        user_spent_today_usd=None if mine is None else round(mine, 4),
    )
