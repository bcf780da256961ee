"""The `video://jobs/{id}` resource and the prompt that walks an assistant through making a video. They are
listed from the start (resources/templates/list, prompts/list), so the job machinery they read loads on
their first use, as the tools' does."""

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from talking_video_mcp.errors import TalkingVideoError
from talking_video_mcp.server.base import CompactServer
from talking_video_mcp.services import LazyServices
from talking_video_mcp.tools import prompts


def register(mcp: CompactServer) -> None:
    @mcp.resource("video://jobs/{job_id}", name="job", mime_type="application/json",
                  description="A job of the ledger as JSON (status, progress, result paths)")
    async def job_resource(job_id: str, ctx: Context) -> str:
        from talking_video_mcp.server.common import request_base  # with the tools (see server/__init__.py)
        from talking_video_mcp.tools import jobs

        lazy = ctx.request_context.lifespan_context
        assert isinstance(lazy, LazyServices)
        try:
            state = await lazy.for_caller()  # another user's job is not found
            job = await jobs.get_job(state, job_id)
        except TalkingVideoError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        base = jobs.request_base.set(request_base(ctx))
        try:
            return (await jobs.current_view(state, job)).model_dump_json(indent=2)
        finally:
            jobs.request_base.reset(base)

    @mcp.prompt(title="Make a talking video")
    def make_talking_video(topic: str, length_seconds: int = 10, tone: str = "friendly") -> str:
        """Write a script of the right length, pick a voice and a face, check the cost, then submit and poll."""
        return prompts.make_talking_video(topic, length_seconds, tone)
