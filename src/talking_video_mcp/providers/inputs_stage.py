"""Shared steps before a paid submit: resolve image/audio inputs, speak a script offline,
and upload local files through the provider's upload endpoint (once; URLs are persisted)."""

from __future__ import annotations

import base64
import contextlib
import json
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import httpx

from talking_video_mcp.domain.advice import TOLERANCE_S, too_long
from talking_video_mcp.domain.provider import JobControl
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import InputFile, OfflineSpeech
from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.media.image import check_image_limits, probe_image
from talking_video_mcp.media.inputs import ResolvedInput, materialize, resolve_input
from talking_video_mcp.media.url_guard import FetchPolicy
from talking_video_mcp.tts import UnsupportedLanguage, VoiceChoice, choose_voice, list_voices

if TYPE_CHECKING:
    from talking_video_mcp.render.check import FaceCheck

PresetLookup = Callable[[str], Path | None]
# What an unusable URL or path raises before media.inputs words it: a malformed host or port, a
# lone surrogate (valid JSON, not valid UTF-8), a URL too long for httpx, a port out of range.
_UNUSABLE = (ValueError, OverflowError, httpx.InvalidURL)



def file_data_url(path: Path, mime: str | None = None) -> str:
    mime = mime or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def job_files(job: JobRecord) -> dict[str, InputFile]:
    """The job's inputs: those resolved at request time, and those its steps made (speech)."""
    made = {name: InputFile.model_validate(spec) for name, spec in (job.state.get("files") or {}).items()}
    return {**{name: spec for name, spec in job.request.inputs.items() if spec is not None}, **made}


class InputsStage:
    """Checks inputs at request time (nothing spent yet) and prepares them in the job's steps."""

    def __init__(
        self,
        *,
        allowed_roots: Sequence[Path],
        scratch_dir: Path,
        client: httpx.AsyncClient,
        preset_lookup: PresetLookup,
        check_urls: bool = True,
        fetch: FetchPolicy | None = None,
    ) -> None:
        self.allowed_roots = list(allowed_roots)
        self.scratch_dir = scratch_dir
        self._client = client
        self._preset_lookup = preset_lookup
        self.check_urls = check_urls
        # Which addresses a user's URL may reach (media/url_guard.py); None or private_ok: any.
        self.fetch = fetch

    @contextlib.asynccontextmanager
    async def _fetcher(self) -> AsyncIterator[httpx.AsyncClient]:
        """The client that fetches a user's URL: the shared one where any address may be fetched, else a guarded
        one, made for this fetch (input checks are rare, and its connections must not outlive the check)."""
        if self.fetch is None or self.fetch.private_ok:
            yield self._client
            return
        timeout = self._client.timeout.read or 30.0
        async with self.fetch.client(timeout_s=timeout) as client:
            yield client

    async def _resolve(self, value: str, *, field: str, kind: str) -> InputFile:
        try:
            async with self._fetcher() as client:
                resolved = await resolve_input(
                    value, field=field, kind=kind,  # type: ignore[arg-type]
                    allowed_roots=self.allowed_roots, client=client if self.check_urls else None,
                    scratch_dir=self.scratch_dir, check_url=self.check_urls, guard=self.fetch,
                )
        except InvalidInput:
            raise
        except (*_UNUSABLE, ExceptionGroup) as exc:
            raise _unusable(field, exc) from None
        if resolved.source == "url":
            return InputFile(url=resolved.url, mime=resolved.mime_type)
        assert resolved.path is not None
        return InputFile(path=str(resolved.path), mime=resolved.mime_type)

    async def image(
        self, value: str | None, preset: str | None = None, *, field: str = "image", upload_supported: bool,
        max_side: int = 4096,
        max_bytes: int = 10 * 2**20,
    ) -> InputFile:
        if value and preset:
            raise InvalidInput("avatar_preset_id", "give either image or avatar_preset_id, not both.")
        if preset:
            path = self._preset_lookup(preset)
            if path is None:
                raise InvalidInput(
                    "avatar_preset_id", f"{preset!r} is not a preset of this model; see list_avatar_presets."
                )
            spec = InputFile(path=str(path), mime=mimetypes.guess_type(path.name)[0])
        elif value:
            spec = await self._resolve(value, field=field, kind="image")
        else:
            raise InvalidInput(
                "image", "give a face photo as an https URL, a local file path or a data: URL, or an avatar_preset_id."
            )
        if spec.path is not None:
            await anyio.to_thread.run_sync(_check_image_file, Path(spec.path), field, max_side, max_bytes)
            if not upload_supported:
                raise InvalidInput(
                    field, "this provider takes URLs only and has no upload endpoint: put the file at a public "
                    "https URL and pass that URL instead.",
                )
        return spec

    async def faces(self, spec: InputFile, *, field: str = "image") -> FaceCheck:
        """The faces in the photo, found before anything is spent: a photo without one is refused here rather
        than rendered or billed. URLs are fetched once into the scratch folder for the look."""
        path = await self.local_file(spec, field=field)

        def look() -> FaceCheck:
            # OpenCV and the face model load here, on the first photo, never at server start-up.
            from talking_video_mcp.render.check import check_faces

            try:
                return check_faces(path)
            except ValueError as exc:
                raise InvalidInput(field, f"could not be read as a photo ({exc}); pass a JPEG, PNG or WEBP.") from None

        found = await anyio.to_thread.run_sync(look)
        if not found.has_face:
            raise InvalidInput(field, found.message or "no face was found; pass a photo with one face, facing front.")
        return found

    async def url_only(self, value: str, *, field: str, kind: str) -> str:
        """For providers without an upload endpoint: the input must already be a public URL."""
        spec = await self._resolve(value, field=field, kind=kind)
        if spec.url is None:
            raise InvalidInput(
                field, "this provider takes URLs only and has no upload endpoint: put the file at a public https "
                "URL and pass that URL instead (or use a model that accepts local files).",
            )
        return spec.url

    async def local_file(self, spec: InputFile, *, field: str) -> Path:
        """A local copy of an input (URLs are downloaded into the scratch directory)."""
        if spec.path is not None:
            return Path(spec.path)
        assert spec.url is not None
        return await self._download(spec.url, field)

    async def audio_or_script(
        self,
        audio: str | None,
        script: str | None,
        voice_id: str | None,
        *,
        duration_limit_s: float | None,
        needs_wav: bool,
        script_ok: bool,
        model: str = "",
        probe: bool = False,
        gender: str | None = None,
    ) -> tuple[InputFile | None, OfflineSpeech | None]:
        """The speech of a job: audio checked now (decoded when it must fit `duration_limit_s`, be converted to
        WAV, or when `probe` asks: a file that cannot be decoded is refused before anything runs), or a script
        for an offline voice (of `gender`, the pictured person's, when voice_id is left out and the script's
        language has one). `model` words the advice when the speech is too long."""
        script = (script or "").strip()
        if audio and script:
            raise InvalidInput("audio", "give either audio or a script, not both.")
        if not audio and not script:
            raise InvalidInput("audio", "give audio (URL, local path or data: URL) or a script with a voice_id.")
        if script:
            if not script_ok:
                raise InvalidInput("script", "this model takes audio only here; pass audio instead.")
            if voice_id:
                await anyio.to_thread.run_sync(_check_local_voice, voice_id)
            choice = await anyio.to_thread.run_sync(_voice_for, script, voice_id, gender)
            return None, OfflineSpeech(script=script, voice_id=choice.voice_id, max_seconds=duration_limit_s,
                                       warning=choice.warning)
        assert audio is not None
        spec = await self._resolve(audio, field="audio", kind="audio")
        if duration_limit_s is not None or needs_wav or probe:
            path = Path(spec.path) if spec.path is not None else await self._download(str(spec.url), "audio")
            duration = await anyio.to_thread.run_sync(_check_audio_file, path, duration_limit_s, model)
            spec = spec.model_copy(update={"probe_path": str(path), "duration_s": duration})
        return spec.model_copy(update={"needs_wav": needs_wav}), None

    async def _download(self, url: str, field: str) -> Path:
        try:
            resolved = ResolvedInput(field=field, source="url", url=url, path=None, mime_type=None, size_bytes=None)
            async with self._fetcher() as client:
                return await materialize(resolved, client, self.scratch_dir, 50 * 2**20)
        except InvalidInput:
            raise
        except (*_UNUSABLE, ExceptionGroup) as exc:
            raise _unusable(field, exc) from None

    async def run_tts(self, job: JobRecord, ctl: JobControl, *, target: str) -> Path:
        """Speak the job's script with an offline voice; the WAV becomes input `target`."""
        tts = job.request.tts
        assert tts is not None, "run_tts on a job without a script"
        out = ctl.scratch_dir / f"{job.id}-speech.wav"
        timing = ctl.scratch_dir / f"{job.id}-phonemes.json"

        def speak() -> float:
            # The voices (onnxruntime, piper, espeak) load here, in the job, never at server start-up.
            from talking_video_mcp.tts import synthesize

            try:
                result = synthesize(tts.script, tts.voice_id, out)
            except ValueError as exc:  # the voice's own sentence (no words, a voice that made no sound)
                said = str(exc)
                raise InvalidInput("script", said[:1].lower() + said[1:]) from None
            if result.phonemes:
                timing.write_text(json.dumps(result.phonemes))
            return float(result.duration_s)

        await ctl.update(step="tts", status="processing", progress=0.02)
        duration = await anyio.to_thread.run_sync(speak)
        limit = tts.max_seconds
        if limit and duration > limit + TOLERANCE_S:
            raise InvalidInput(
                "script", f"spoken, it lasts {duration:.1f} s, longer than duration={limit:g} s; "
                f"{too_long('script', duration, limit, job.model)}.",
            )
        state = dict(job.state)
        spec = InputFile(path=str(out), mime="audio/wav", phonemes=str(timing) if timing.exists() else None)
        state.setdefault("files", {})[target] = spec.model_dump(mode="json", exclude_defaults=True)
        await ctl.update(state=state, audio_path=str(out))
        return out

    async def upload_pending(self, job: JobRecord, ctl: JobControl, upload: Callable[[str], Awaitable[str]]) -> None:
        """Upload each local input once; the URL is persisted before the next upload starts."""
        state = dict(ctl.job.state)
        uploaded: dict[str, str] = dict(state.get("uploaded") or {})
        files = job_files(job)
        for name, spec in files.items():
            if name in uploaded or spec.path is None:
                continue
            path, mime = Path(spec.path), spec.mime
            if spec.needs_wav and path.suffix.lower() != ".wav":
                path = await anyio.to_thread.run_sync(_to_wav, path, ctl.scratch_dir / f"{job.id}-{name}.wav")
                mime = "audio/wav"
            await ctl.update(step="upload", status="processing")
            uploaded[name] = await upload(await anyio.to_thread.run_sync(file_data_url, path, mime))
            state["uploaded"] = dict(uploaded)
            await ctl.update(state=state)
        # URL audio that must be WAV: fetched at request time, transcoded and uploaded here.
        for name, spec in files.items():
            if spec.needs_wav and spec.url and spec.probe_path and name not in uploaded:
                src = Path(spec.probe_path)
                if src.suffix.lower() == ".wav" or (spec.mime or "").endswith("wav"):
                    continue
                wav = await anyio.to_thread.run_sync(_to_wav, src, ctl.scratch_dir / f"{job.id}-{name}.wav")
                uploaded[name] = await upload(await anyio.to_thread.run_sync(file_data_url, wav, "audio/wav"))
                state["uploaded"] = dict(uploaded)
                await ctl.update(state=state)


def _unusable(field: str, exc: Exception) -> InvalidInput:
    """The clear error for an input that cannot even be tried; anything else is re-raised as it is."""
    if isinstance(exc, ExceptionGroup):  # the socket layer's errors arrive grouped (happy eyeballs)
        matched, rest = exc.split(_UNUSABLE)
        if matched is None or rest is not None:
            raise exc
        exc = matched.exceptions[0] if isinstance(matched.exceptions[0], Exception) else exc
    return InvalidInput(
        field, f"is not a usable URL or file path ({type(exc).__name__}); check it for typos, stray or invalid "
        "characters and the port, or pass an https URL, a local file path or a data: URL.",
    )


def _check_image_file(path: Path, field: str, max_side: int, max_bytes: int) -> None:
    try:
        check_image_limits(probe_image(path), field=field, max_side=max_side, max_bytes=max_bytes)
    except InvalidInput:
        raise
    except ValueError as exc:
        raise InvalidInput(field, f"{exc}") from None


def _check_audio_file(path: Path, limit_s: float | None, model: str) -> float:
    from talking_video_mcp.media.audio import probe_audio  # NumPy and PyAV: kept off the start-up path

    try:
        info = probe_audio(path)
    except ValueError as exc:
        said = str(exc)  # a sentence that names the file and the formats to use instead
        raise InvalidInput("audio", said[:1].lower() + said[1:]) from None
    if info.is_silent:
        raise InvalidInput("audio", "is silent; pass a recording with speech in it.")
    if limit_s is not None and info.duration_s > limit_s + TOLERANCE_S:
        raise InvalidInput(
            "audio", f"lasts {info.duration_s:.1f} s, longer than duration={limit_s:g} s, so the video would cut it "
            f"off; {too_long('audio', info.duration_s, limit_s, model)}.",
        )
    return float(info.duration_s)


def _voice_for(script: str, voice_id: str | None, gender: str | None = None) -> VoiceChoice:
    """The offline voice that speaks the script's language (or the one asked for, with a warning when it
    does not); a language no offline voice speaks is refused before anything runs."""
    try:
        return choose_voice(script, voice_id, gender=gender)
    except UnsupportedLanguage as exc:
        raise InvalidInput("script", str(exc)) from None


def _check_local_voice(voice_id: str) -> None:
    known = {v.voice_id for v in list_voices()}
    if voice_id not in known:
        raise InvalidInput(
            "voice_id", f"{voice_id!r} is not an offline voice; pick one from list_voices (offline voices start "
            "with piper: or espeak:).",
        )


def _to_wav(src: Path, dst: Path) -> Path:
    from talking_video_mcp.media.audio import transcode_to_wav  # NumPy and PyAV: kept off the start-up path

    transcode_to_wav(src, dst)
    return dst
