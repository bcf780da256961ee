"""The `video://jobs/{id}` resource and the prompt that walks an assistant through making a video. They are
listed from the start (resources/templates/list, prompts/list), so the job machinery they read loads on
their first use, as the tools' does."""

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

from talking_video_mcp.errors import TalkingVideoError
from talking_video_mcp.server.base import CompactServer
from talking_video_mcp.services import LazyServices
from talking_video_mcp.tools import prompts
from talking_video_mcp.ui.state import StateRef

JOB_TEMPLATE = "video://jobs/{job_id}"


def register(mcp: CompactServer, state_ref: StateRef) -> None:
    @mcp.resource(JOB_TEMPLATE, name="job", mime_type="application/json",
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
    def make_talking_video(topic: str, length_seconds: int = 10, tone: str = "friendly", voice: str | None = None,
                           preset: str | None = None, model: str | None = None) -> str:
        """Write a script of the right length, pick a voice and a face, check the cost, then submit and poll."""
        return prompts.make_talking_video(topic, length_seconds, tone, voice=voice, preset=preset, model=model)

    @mcp.completion()  # type: ignore[no-untyped-call, untyped-decorator]  # the SDK leaves it untyped
    async def complete(ref: PromptReference | ResourceTemplateReference, argument: CompletionArgument,
                       context: CompletionContext | None) -> Completion | None:
        """The prompt's voice, preset and model, and the template's job_id (the caller's own jobs)."""
        from talking_video_mcp.tools import completions  # with the tools (see server/__init__.py)

        lazy = state_ref.get()
        if lazy is None:
            return None
        try:
            state = await lazy.for_caller()
        except TalkingVideoError:
            return None
        if isinstance(ref, ResourceTemplateReference) and ref.uri == JOB_TEMPLATE and argument.name == "job_id":
            values = await completions.job_ids(state, argument.value)
        elif isinstance(ref, PromptReference) and ref.name == "make_talking_video":
            model = (context.arguments or {}).get("model") if context else None
            values = await completions.prompt_values(state, argument.name, argument.value, model)
        else:
            return None
        cut = values[:completions.MAX_VALUES]
        return Completion(values=cut, total=len(values), has_more=len(values) > len(cut))
