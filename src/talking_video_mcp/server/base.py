"""The server class: MCPServer with tools registered on first need and a compact tools/list."""

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError, UnexpectedToolError
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations
from mcp.types import Tool as MCPTool
from pydantic import BaseModel, ValidationError

from talking_video_mcp.errors import TooBusy
from talking_video_mcp.schema import compact, shallow
from talking_video_mcp.server import listing
from talking_video_mcp.services import LazyServices

F = TypeVar("F", bound=Callable[..., Any])


class CompactServer(MCPServer[LazyServices]):
    """tools/list with compact schemas (see schema.py), made on the first listing rather than at start-up.

    Our tools return a `CallToolResult` built from a pydantic model (`returns`): its output schema is made
    here, once per model, when tools are first listed. Letting the SDK derive one per tool at registration
    cost about 12 ms of every cold start (measured) for a schema we then cut down to its top level."""

    _listed: list[MCPTool] | None = None
    _registered = False
    _returns: dict[str, type[BaseModel]]  # tool name → the model its result is made from (typed_tool)

    def defer_tools(self, variant: str, register: Callable[[], None]) -> None:
        """`register` adds this server's tools; until it has run, tools/list is answered from the shipped
        snapshot of `variant` when it matches this code (see listing.py)."""
        self._variant, self._register = variant, register
        self._returns = {}

    @property
    def tools_registered(self) -> bool:
        return self._registered

    def register_tools(self) -> None:
        if not self._registered:
            self._registered = True
            self._register()

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[LazyServices, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Every tool's one error path: a refused argument (unknown, or not what the schema allows) and a
        tool's own refusal both reach the client as one plain sentence, without the SDK's wording around it.
        A crash keeps the SDK's generic message (its text stays on the server)."""
        # The error wording (difflib, pydantic's error details) loads with the first call: ~3 ms of start-up.
        from talking_video_mcp.server import arguments as plain

        self.register_tools()
        schema = self._tool_input_schema(name)
        if schema is None:
            raise ToolError(f"{plain.show(name)} is not a tool of this server; see tools/list for the tools there are.")
        unknown = plain.unknown_names(name, schema, arguments)
        if unknown is not None:
            raise ToolError(plain.plain_error(name, schema, unknown)) from unknown
        _take_call(context)
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                raise ToolError(plain.plain_error(name, schema, cause)) from cause
            if isinstance(cause, ToolError | ResourceError):
                raise ToolError(str(cause)) from cause
            raise

    def typed_tool(
        self, *, returns: type[BaseModel], annotations: ToolAnnotations, meta: dict[str, Any] | None = None,
        listed_schema: bool = True,
    ) -> Callable[[F], F]:
        """`listed_schema=False`: the result is the same structured model, but tools/list carries no output
        schema for it (one JobView schema is listed per job tool; the main ones keep theirs)."""
        def register(fn: F) -> F:
            if listed_schema:
                self._returns[fn.__name__] = returns
            return self.tool(annotations=annotations, meta=meta, structured_output=False)(fn)

        return register

    async def list_tools(self) -> list[MCPTool]:
        if self._listed is None:
            if not self._registered and (shipped := listing.load(self._variant)) is not None:
                return shipped
            self.register_tools()
            listed = await super().list_tools()
            self._listed = [_compacted(tool, self._returns.get(tool.name)) for tool in listed]
        return self._listed


def _take_call(context: Context[LazyServices, Any] | None) -> None:
    """A signed-in user's call spends one from their bucket (call_rates.py); past the rate it is refused, saying
    when to retry. Every tool counts, before anything runs."""
    from talking_video_mcp.identity import current_owner  # the job record module: off the start-up path

    owner = current_owner()
    state = context.request_context.lifespan_context if context is not None else None
    if owner is not None and isinstance(state, LazyServices):
        try:
            state.call_rates.take(owner.id)
        except TooBusy as exc:
            raise ToolError(str(exc)) from None


def _compacted(tool: MCPTool, returns: type[BaseModel] | None) -> MCPTool:
    output = _output_schema(returns) if returns is not None else tool.output_schema
    return tool.model_copy(update={
        "description": " ".join((tool.description or "").split()),
        "input_schema": compact(tool.input_schema, optional_nulls=True),
        "output_schema": shallow(output) if output is not None else None,
    })


@cache
def _output_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()
