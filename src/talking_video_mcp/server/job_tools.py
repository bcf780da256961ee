"""The ledger's tools: check_video_status, list_jobs, cancel_job; the `video://jobs/{id}` resource and the
prompt that walks an assistant through making a video."""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from talking_video_mcp import params as p
from talking_video_mcp import ui
from talking_video_mcp.errors import TalkingVideoError
from talking_video_mcp.models import JobList, JobStatus, JobView
from talking_video_mcp.server.common import CANCELS, READ_ONLY, guarded, progress, services
from talking_video_mcp.services import Services
from talking_video_mcp.tools import jobs, prompts


def register(mcp: MCPServer[Services]) -> None:
    @mcp.tool(annotations=READ_ONLY, meta=ui.PLAYER_TOOL_META)
    async def check_video_status(ctx: Context, job_id: p.JobId, wait_seconds: p.WaitSeconds = 0) -> JobView:
        """State, progress and result of a job. With wait_seconds, waits (sending progress) until the job
        finishes or the time is up. A completed job has video_path, a local MP4."""
        return await guarded(ctx, jobs.check_video_status(services(ctx), job_id, wait_seconds, progress(ctx)))

    @mcp.tool(annotations=READ_ONLY)
    async def list_jobs(
        ctx: Context,
        status: JobStatus | None = None,
        model: p.Model = None,
        limit: p.Limit = 20,
        cursor: p.Cursor = None,
    ) -> JobList:
        """Jobs in the ledger, newest first, with status and result paths."""
        return await guarded(ctx, jobs.list_jobs(services(ctx), status=status, model=model, limit=limit,
                                                 cursor=cursor))

    @mcp.tool(annotations=CANCELS)
    async def cancel_job(ctx: Context, job_id: p.JobId) -> JobView:
        """Stop a job: local renders stop at once; for cloud jobs polling stops, but the provider has no cancel
        endpoint and may still bill."""
        return await guarded(ctx, jobs.cancel_job(services(ctx), job_id))

    @mcp.resource("video://jobs/{job_id}", name="job", mime_type="application/json",
                  description="A job of the ledger as JSON (status, progress, result paths)")
    async def job_resource(job_id: str, ctx: Context) -> str:
        state = services(ctx)
        try:
            job = await jobs.get_job(state, job_id)
        except TalkingVideoError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        return jobs.view(state, job).model_dump_json(indent=2)

    @mcp.prompt(title="Make a talking video")
    def make_talking_video(topic: str, length_seconds: int = 10, tone: str = "friendly") -> str:
        """Write a script of the right length, pick a voice and a face, check the cost, then submit and poll."""
        return prompts.make_talking_video(topic, length_seconds, tone)
