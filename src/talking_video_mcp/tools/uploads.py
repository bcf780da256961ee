"""create_upload, and `upload://` ids turned into the uploaded files before a job is made (uploads.py)."""

from __future__ import annotations

import functools

import anyio

from talking_video_mcp.domain.requests import TalkingVideoArgs
from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.models import MakerModel, UploadTicket, VideoMaker
from talking_video_mcp.services import Services
from talking_video_mcp.uploads import UploadKind, is_upload_id


def create_upload(state: Services, kind: UploadKind, base: str | None) -> UploadTicket:
    if state.uploads is None:
        raise InvalidInput("create_upload", "is not available on this server; pass the file as an https URL.")
    return state.uploads.create(kind, state.owner_id, base=base)


async def from_uploads(state: Services, args: TalkingVideoArgs) -> TalkingVideoArgs:
    """`image` / `audio` given as `upload://` ids become the caller's uploaded files (refused in one sentence when
    an id was changed, has expired, is another user's, or has no file yet)."""
    update: dict[str, str] = {}
    for field in ("image", "audio"):
        value = getattr(args, field)
        if not is_upload_id(value):
            continue
        uploads = state.uploads
        if uploads is None:
            raise InvalidInput(field, "upload:// ids work over the HTTP transport only; pass a file path or URL.")
        ticket = uploads.id_ticket(value, field=field, owner=state.owner_id)
        if ticket.kind != field:
            raise InvalidInput(field, f"names an {ticket.kind} upload; pass it as `{ticket.kind}`, or call "
                               f"create_upload(kind='{field}') for a file of this kind.")
        path = await anyio.to_thread.run_sync(functools.partial(uploads.local_path, ticket, field=field))
        update[field] = str(path)
    return args.model_copy(update=update) if update else args


def video_maker(state: Services) -> VideoMaker:
    default = state.registry.default_model()
    models = [MakerModel(model=spec.model_id, title=spec.title, free=spec.free)
              for spec in state.registry.specs()
              if spec.kind == "talking_video" and _configured(state, spec.provider)]
    models.sort(key=lambda m: m.model != default)
    return VideoMaker(models=models, message="The video maker is open: the user picks a photo or a preset, writes "
                      "the script, picks a voice, sees the price and submits there. Nothing was submitted yet.")


def _configured(state: Services, provider: str) -> bool:
    found = next((p for p in state.registry if p.name == provider), None)
    return bool(found is not None and found.configured)
