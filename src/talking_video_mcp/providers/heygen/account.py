"""HeyGen's reads outside a job: its voices and avatar looks (paged with HeyGen's own token), the API wallet
for get_account, and doctor's key check. All idempotent GETs, sent ahead of the jobs' polls (`urgent`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from talking_video_mcp.domain.provider import KeyCheck
from talking_video_mcp.errors import AuthRejected, InvalidInput, ProviderError
from talking_video_mcp.models import AvatarPreset, AvatarPresetList, ProviderAccount, Voice, VoiceList
from talking_video_mcp.provider_http import RetryPolicy
from talking_video_mcp.providers.access import ProviderAccess, account_of
from talking_video_mcp.providers.heygen import models as m
from talking_video_mcp.providers.heygen.wire import data_of, raise_for_error

P = TypeVar("P", Voice, AvatarPreset)
Page = tuple[list[dict[str, Any]], str | None, list[str]]  # items, HeyGen's next token, notes


class HeygenReads:
    """The reads of one HeyGen key (its access: key, URL, HTTP client, request budget, cached balance)."""

    def __init__(self, access: ProviderAccess, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._access = access
        self.base_url = access.root
        self._clock = clock
        # Listings from the start, kept LIST_TTL_S: list_voices asks every provider for everything it has, and
        # HeyGen's catalogues are many pages long.
        self._lists: dict[tuple[str, int], tuple[float, Page]] = {}

    def _headers(self) -> dict[str, str]:
        return {m.KEY_HEADER: self._access.api_key or "", "accept": "application/json"}

    async def _page(self, path: str, limit: int, cursor: str | None, most: int) -> Page:
        """`limit` items of a HeyGen list, read `most` a page (at most LIST_PAGES pages); our cursor is HeyGen's
        `next_token`, passed through. Also says when HeyGen has more than was read."""
        kept = self._lists.get((path, limit)) if cursor is None else None
        if kept is not None and self._clock() - kept[0] < m.LIST_TTL_S:
            return kept[1]
        page = await self._read_pages(path, limit, cursor, most)
        if cursor is None:
            self._lists[(path, limit)] = (self._clock(), page)
        return page

    async def _read_pages(self, path: str, limit: int, cursor: str | None, most: int) -> Page:
        items: list[dict[str, Any]] = []
        for _ in range(m.LIST_PAGES):
            params: dict[str, Any] = {"limit": max(1, min(limit - len(items), most))}
            if cursor:
                params["token"] = cursor
            response = await self._access.send("GET", f"{self.base_url}{path}", idempotent=True,
                                               headers=self._headers(), params=params, describe=f"the list {path}",
                                               urgent=True)
            if response.status_code == 400 and cursor:
                raise InvalidInput("cursor", "is not a cursor HeyGen accepts; send the next_cursor of the previous "
                                   "page, or leave it out to start from the beginning.")
            raise_for_error(response, f"the list {path}")
            body = response.json()
            items += [dict(i) for i in body.get("data") or [] if isinstance(i, Mapping)]
            token = body.get("next_token") if body.get("has_more") else None
            cursor = str(token) if token else None
            if cursor is None or len(items) >= limit:
                break
        what = "voices" if "voices" in path else "avatars"
        more = [f"HeyGen has more {what} than one listing reads; narrow them with search."] if (
            cursor is not None and len(items) < limit) else []
        return items, cursor, more

    async def voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        items, next_cursor, more = await self._page("/v3/voices", limit, cursor, m.VOICES_PAGE_MAX)
        voices = [
            Voice(voice_id=str(v["voice_id"]), name=str(v.get("name") or v["voice_id"]), provider=m.PROVIDER,
                  language=v.get("language"), gender=v.get("gender"), preview_url=v.get("preview_audio_url"),
                  models=[m.MODEL_ID])
            for v in items if v.get("voice_id")
        ]
        voices, notes = _searched(voices, search, lambda v: f"{v.name} {v.language or ''}", "voices")
        return VoiceList(voices=voices, next_cursor=next_cursor, notes=notes + more)

    async def looks(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        items, next_cursor, more = await self._page("/v3/avatars/looks", limit, cursor, m.LOOKS_PAGE_MAX)
        presets = [
            AvatarPreset(avatar_preset_id=str(i["id"]), name=str(i.get("name") or i["id"]), provider=m.PROVIDER,
                         image_url=i.get("preview_image_url"), width=i.get("image_width"),
                         height=i.get("image_height"), models=[m.MODEL_ID])
            for i in items if i.get("id")
        ]
        presets, notes = _searched(presets, search, lambda p: p.name, "avatars")
        return AvatarPresetList(presets=presets, next_cursor=next_cursor,
                                notes=notes + more)

    async def account(self, *, configured: bool) -> ProviderAccount:
        """The API wallet, through the shared cached-balance reading (access.account_of)."""
        return await account_of(m.PROVIDER, configured=configured, endpoint=self.base_url,
                                models=[s.model_id for s in m.MODELS], reads=self._access.reads,
                                read=self._read_balance)

    async def _me(self) -> Mapping[str, Any]:
        response = await self._access.send("GET", f"{self.base_url}/v3/users/me", idempotent=True,
                                           headers=self._headers(), describe="the balance request", urgent=True)
        raise_for_error(response, "the balance request", key_name=m.ENV_API_KEY)
        data = data_of(response)
        return data if isinstance(data, Mapping) else {}

    async def _read_balance(self, info: ProviderAccount) -> None:
        data = await self._me()
        billing = data.get("billing_type")
        wallet, usage = data.get("wallet") or {}, data.get("usage_based") or {}
        if billing == "wallet" or (billing is None and wallet):
            balance = wallet.get("remaining_balance")
            info.balance_unit = "USD" if str(wallet.get("currency") or "usd").lower() == "usd" else "credits"
        elif billing == "usage_based":
            balance, info.balance_unit = usage.get("remaining_credits"), "credits"
        else:  # a subscription's credits pay for the web app, not for API videos
            balance, info.balance_unit = None, None
        info.balance = float(balance) if balance is not None else None

    async def check_key(self) -> KeyCheck:
        """doctor's check: one read of /v3/users/me (never retried, never spending), ok, rejected or unreachable."""
        if not self._access.api_key:
            return KeyCheck("unconfigured", f"{m.ENV_API_KEY} is not set: HeyGen's model is off.")
        try:
            response = await self._access.send(
                "GET", f"{self.base_url}/v3/users/me", idempotent=True, retry=RetryPolicy(attempts=1),
                headers=self._headers(), describe="the key check", urgent=True)
            raise_for_error(response, "the key check", key_name=m.ENV_API_KEY)
        except AuthRejected:
            return KeyCheck("rejected", f"HeyGen rejected {m.ENV_API_KEY}; copy the key again from HeyGen's API "
                            "settings.")
        except ProviderError as exc:
            return KeyCheck("unreachable", f"HeyGen at {self.base_url} did not answer the key check ({exc}).")
        data = data_of(response)
        wallet = data.get("wallet") if isinstance(data, Mapping) else None
        balance = wallet.get("remaining_balance") if isinstance(wallet, Mapping) else None
        extra = f"; the API wallet holds {balance} USD" if balance is not None else ""
        return KeyCheck("ok", f"HeyGen accepts {m.ENV_API_KEY}{extra}.")


def _searched(items: list[P], search: str | None, text: Callable[[P], str], what: str) -> tuple[list[P], list[str]]:
    """HeyGen's lists filter by language or gender, not by name: `search` filters each page here, and says so."""
    if not search:
        return items, []
    needle = search.lower()
    note = f"search filters each page HeyGen sends, so a page may hold fewer {what}; follow next_cursor for more."
    return [item for item in items if needle in text(item).lower()], [note]
