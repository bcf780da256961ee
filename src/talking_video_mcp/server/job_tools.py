"""The ledger's tools: check_video_status, list_jobs, cancel_job; the `video://jobs/{id}` resource and the
prompt that walks an assistant through making a video."""

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from talking_video_mcp import params as p
from talking_video_mcp import ui
from talking_video_mcp.models import JobList, JobStatus, JobView
from talking_video_mcp.server.base import CompactServer
from talking_video_mcp.server.common import CANCELS, READ_ONLY, guarded, progress
from talking_video_mcp.tools import jobs


def register(mcp: CompactServer) -> None:
    @mcp.typed_tool(returns=JobView, annotations=READ_ONLY, meta=ui.PLAYER_TOOL_META)
    async def check_video_status(ctx: Context, job_id: p.JobId, wait_seconds: p.WaitSeconds = 0) -> CallToolResult:
        """A job's state, progress and result (wait_seconds waits for the end). Completed: video_path; over
        HTTP also download_url, a link for the user."""
        return await guarded(ctx, lambda state: jobs.check_video_status(state, job_id, wait_seconds, progress(ctx)))

    @mcp.typed_tool(returns=JobList, annotations=READ_ONLY)
    async def list_jobs(
        ctx: Context,
        status: JobStatus | None = None,
        model: p.ModelFilter = None,
        limit: p.Limit = 20,
        cursor: p.Cursor = None,
    ) -> CallToolResult:
        """Jobs in the ledger, newest first, with status and result paths."""
        return await guarded(ctx, lambda state: jobs.list_jobs(
            state, status=status, model=model, limit=limit, cursor=cursor
        ))

    @mcp.typed_tool(returns=JobView, annotations=CANCELS, listed_schema=False)
    async def cancel_job(ctx: Context, job_id: p.JobId) -> CallToolResult:
        """Stop a job: local renders at once; cloud ones at the provider if it cancels, else they may still bill."""
        return await guarded(ctx, lambda state: jobs.cancel_job(state, job_id))
