"""What every tool's wiring shares: the lifespan's services, clean tool errors, result links, progress and
the spend question."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ResourceLink, TextContent, ToolAnnotations
from pydantic import BaseModel, Field
from pydantic_core import to_json

from talking_video_mcp.domain.requests import ToolArgs
from talking_video_mcp.errors import TalkingVideoError, redact
from talking_video_mcp.models import JobView
from talking_video_mcp.services import LazyServices, Services
from talking_video_mcp.tools import jobs, video

F = TypeVar("F", bound=Callable[..., Any])

# Hints left out take the spec's defaults (not read-only, not idempotent, open world).
READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
READ_REMOTE = ToolAnnotations(read_only_hint=True, idempotent_hint=True)
SPENDS = ToolAnnotations(destructive_hint=False)
CANCELS = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True)


def lazy_services(ctx: Context) -> LazyServices:
    state = ctx.request_context.lifespan_context
    assert isinstance(state, LazyServices)
    return state


async def services(ctx: Context) -> Services:
    """The services as this request's user sees them: with OAuth, only their own jobs."""
    return await lazy_services(ctx).for_caller()


async def guarded(ctx: Context, call: Callable[[Services], Awaitable[BaseModel]]) -> CallToolResult:
    """Runs `call` with the services; its result as structured content (and its JSON as text). Typed errors
    become one clean tool error; secrets never leave. A job comes back with links to itself and its file."""
    base = jobs.request_base.set(request_base(ctx))
    try:
        result = await call(await services(ctx))
    except TalkingVideoError as exc:
        raise ToolError(redact(str(exc), lazy_services(ctx).settings.secrets())) from None
    finally:
        jobs.request_base.reset(base)
    if isinstance(result, JobView):
        return _with_links(result)
    # The text is the structured content's JSON, compact (indenting it only made every answer larger), and the
    # model is serialised once for both.
    data = result.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=to_json(data).decode())], structured_content=data)


def request_base(ctx: Context) -> str | None:
    """The base URL of the HTTP request being answered (download links point there); None over stdio."""
    base = getattr(ctx.request_context.request, "base_url", None)
    return str(base) if base is not None else None


def _with_links(view: JobView) -> CallToolResult:
    """The job as structured content, plus resource links to the job and to its finished file: over HTTP
    its download link, over stdio the local file.

    The output schema published for these tools is JobView's (see CompactServer)."""
    content: list[Any] = [TextContent(type="text", text=view.model_dump_json(exclude_none=True))]
    content.append(ResourceLink(type="resource_link", uri=view.resource_uri, name=f"job {view.job_id}",
                                mime_type="application/json"))
    if view.download_url and view.status == "completed":
        content.append(ResourceLink(type="resource_link", uri=view.download_url, name=f"{view.job_id}.mp4",
                                    mime_type="video/mp4"))
        return CallToolResult(content=content, structured_content=view.model_dump(mode="json"))
    for path, mime in ((view.video_path, "video/mp4"), (view.audio_path, "audio/wav")):
        if path and Path(path).is_file() and view.status == "completed":
            content.append(ResourceLink(type="resource_link", uri=Path(path).as_uri(), name=Path(path).name,
                                        mime_type=mime, size=Path(path).stat().st_size))
    return CallToolResult(content=content, structured_content=view.model_dump(mode="json"))


def progress(ctx: Context) -> Callable[[float, str], Awaitable[None]]:
    async def report(fraction: float, message: str) -> None:
        await ctx.report_progress(fraction, 1.0, message)

    return report


class Approval(BaseModel):
    approve: bool = Field(description="Submit the job despite the spend limit")


class NotAsked(BaseModel):
    """Resolver result when the spend guard has nothing to ask (or the client cannot be asked)."""


async def ask_spend(ctx: Context, model: str, args: ToolArgs, *, dry_run: bool) -> Elicit[Approval] | NotAsked:
    """Before a tool body runs: ask the user (MCP elicitation) when the job is over a spend limit."""
    caps = ctx.client_capabilities
    if dry_run or caps is None or caps.elicitation is None:
        return NotAsked()
    try:
        state = await services(ctx)
        guard = await video.spend_check(state, video.estimate(state, model, args))
    except TalkingVideoError:
        return NotAsked()  # the tool body reports the problem
    if not guard:
        return NotAsked()
    return Elicit(f"{guard} Submit it anyway?", Approval)


def answer(approval: Any) -> bool | None:
    """The user's answer: True/False, or None when nobody was asked."""
    if isinstance(approval, AcceptedElicitation):
        data = approval.data
        return bool(data.approve) if isinstance(data, Approval) else None
    return False
