"""The read-only catalogue tools: voices, avatar presets, Higgsfield motions and sounds, and the account."""

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from talking_video_mcp import params as p
from talking_video_mcp.models import AccountView, AvatarPresetList, ModelList, MotionList, SoundList, VoiceList
from talking_video_mcp.server.base import CompactServer
from talking_video_mcp.server.common import READ_REMOTE, guarded
from talking_video_mcp.tools import account, catalog


def register(mcp: CompactServer, *, higgsfield: bool) -> None:
    @mcp.typed_tool(returns=VoiceList, annotations=READ_REMOTE)
    async def list_voices(
        ctx: Context,
        provider: p.ProviderFilter = None,
        search: p.Search = None,
        gender: p.Gender = None,
        language: p.Language = None,
        limit: p.Limit = 20,
        cursor: p.Cursor = None,
    ) -> CallToolResult:
        """Voices of the configured providers, for scripts and text_to_speech; each lists its models."""
        return await guarded(ctx, lambda state: catalog.list_voices(
            state, provider=provider, search=search, gender=gender, language=language, limit=limit, cursor=cursor
        ))

    @mcp.typed_tool(returns=AvatarPresetList, annotations=READ_REMOTE)
    async def list_avatar_presets(
        ctx: Context,
        provider: p.ProviderFilter = None,
        search: p.Search = None,
        limit: p.Limit = 20,
        cursor: p.Cursor = None,
    ) -> CallToolResult:
        """Ready-made faces. Pass avatar_preset_id to generate_talking_video instead of an image."""
        return await guarded(ctx, lambda state: catalog.list_avatar_presets(
            state, provider=provider, search=search, limit=limit, cursor=cursor
        ))

    @mcp.typed_tool(returns=AccountView, annotations=READ_REMOTE)
    async def get_account(ctx: Context) -> CallToolResult:
        """Balance per provider (cached), prices, spend limits and today's budget left."""
        return await guarded(ctx, account.get_account)

    @mcp.typed_tool(returns=ModelList, annotations=READ_REMOTE)
    async def list_models(ctx: Context, configured: p.OnlyConfigured = False, script: p.TakesScript = False,
                          audio: p.TakesAudio = False, free: p.OnlyFree = False) -> CallToolResult:
        """Every model: price, limits, arguments taken, `options` schema."""
        return await guarded(ctx, lambda state: account.list_models(
            state, configured=configured, script=script, audio=audio, free=free))

    if not higgsfield:
        return

    @mcp.typed_tool(returns=MotionList, annotations=READ_REMOTE)
    async def list_motions(ctx: Context, search: p.Search = None, limit: p.Limit = 20, cursor: p.Cursor = None
                           ) -> CallToolResult:
        """Motion templates for generate_video_from_image."""
        return await guarded(ctx, lambda state: catalog.list_motions(state, search=search, limit=limit, cursor=cursor))

    @mcp.typed_tool(returns=SoundList, annotations=READ_REMOTE)
    async def list_sounds(ctx: Context, search: p.Search = None, limit: p.Limit = 20, cursor: p.Cursor = None
                          ) -> CallToolResult:
        """Sound templates for text_to_speech's options.sound_id."""
        return await guarded(ctx, lambda state: catalog.list_sounds(state, search=search, limit=limit, cursor=cursor))
