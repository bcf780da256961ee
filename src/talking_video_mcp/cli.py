"""Command line: serve (stdio or streamable HTTP), worker, emulator, demo, jobs, doctor.

Each command imports what it needs inside its own function: importing the MCP SDK alone takes about 0.7 s
(measured, see benchmarks/results.md), and `jobs`, `emulator` and `--help` must not pay for it, nor `serve`
for the emulator, uvicorn or the demo client."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from talking_video_mcp import __version__
from talking_video_mcp.errors import redact

if TYPE_CHECKING:
    from talking_video_mcp.settings import Settings


def configure_logging(level: str, secrets: list[str]) -> None:
    """Logs go to stderr (stdout is the stdio transport). The package's own records are redacted on their
    way up (logs.py); the handler's filter also covers other libraries' records (httpx, uvicorn, mcp)."""
    from talking_video_mcp.logs import REDACTOR, register_secrets

    register_secrets(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _checked_settings() -> Settings | None:
    """The settings, with logging set up and storage checked; None (after saying why) when the home
    directory or the ledger cannot be used."""
    from talking_video_mcp.errors import TalkingVideoError
    from talking_video_mcp.jobs.home import check_storage
    from talking_video_mcp.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.secrets())
    try:
        check_storage(settings)
    except TalkingVideoError as exc:
        print(f"talking-video-mcp: {redact(str(exc), settings.secrets())}", file=sys.stderr)
        return None
    return settings


def _serve(args: argparse.Namespace) -> int:
    settings = _checked_settings()
    if settings is None:
        return 1
    if args.transport == "stdio":
        from talking_video_mcp.server import build_server

        build_server(settings).run()
        return 0
    from talking_video_mcp.http_app import serve_http

    if args.stateless:
        settings = settings.model_copy(update={"http_stateless": True})
    return serve_http(settings, host=args.host, port=args.port)


def _worker(args: argparse.Namespace) -> int:
    """Drive jobs (provider polls, local renders) from the shared ledger without serving MCP."""
    import signal

    import anyio

    from talking_video_mcp.runtime import app_state

    settings = _checked_settings()
    if settings is None:
        return 1
    settings = settings.guarded()  # it fetches the inputs of jobs that users of the HTTP servers submitted
    if settings.database_url is None:
        logging.getLogger(__name__).warning(
            "worker on the SQLite ledger in %s: it shares jobs only with servers on this machine using the same "
            "TALKING_VIDEO_HOME (set TALKING_VIDEO_DATABASE_URL for several machines)", settings.home)

    async def run() -> None:
        async with app_state(settings) as state:
            logging.getLogger(__name__).info(
                "worker %s running: %d render slot(s); stop with SIGTERM or Ctrl-C",
                state.store.owner, settings.local_render_slots)
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    break

    anyio.run(run)
    return 0


def _emulator(args: argparse.Namespace) -> int:
    from talking_video_mcp.emulator import EmulatorConfig, FaultError, parse_faults, serve

    try:
        faults = parse_faults(args.faults or "")
    except FaultError as exc:
        print(f"--faults: {exc}", file=sys.stderr)
        return 2
    serve(EmulatorConfig(speed=args.speed, faults=faults), host=args.host, port=args.port)
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from talking_video_mcp.domain.records import utc_iso
    from talking_video_mcp.jobs.ledger import open_store
    from talking_video_mcp.settings import Settings

    settings = Settings()
    if settings.database_url is None and not settings.ledger_path.exists():
        print(f"no ledger yet at {settings.ledger_path}")
        return 0
    store = open_store(settings)
    try:
        for job in store.list_jobs(status=args.status, limit=args.limit, owner=args.owner):
            where = job.video_path or job.audio_path or job.error or ""
            whose = f"  [{job.owner}]" if job.owner else ""  # an OAuth user's job
            print(f"{job.id}  {utc_iso(job.created_at)}  {job.model:34}  {job.status:14}  {where}{whose}")
    finally:
        store.close()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from talking_video_mcp.demo import run_demo

    return int(run_demo(seconds=args.seconds))


def _doctor(args: argparse.Namespace) -> int:
    from talking_video_mcp.doctor import run_doctor

    return run_doctor(transport=args.transport, host=args.host)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talking-video-mcp", description=__doc__)
    parser.add_argument("--version", action="version", version=f"talking-video-mcp {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser(
        "serve", help="run the MCP server (stdio by default)",
        description="Run the MCP server. Configuration comes from environment variables (see the README); "
                    "over HTTP it prints its MCP URL and its gallery's URL when it starts.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio",
                       help="stdio: for a desktop client that starts the server itself; http: streamable HTTP at "
                            "/mcp, with the job gallery at / and download links, for remote clients")
    serve.add_argument("--host", default="127.0.0.1",
                       help="HTTP only: the address to listen on; anything but loopback needs "
                            "TALKING_VIDEO_HTTP_TOKEN or OAuth (TALKING_VIDEO_OAUTH_ISSUER)")
    serve.add_argument("--port", type=int, default=8765, help="HTTP only: the port to listen on")
    serve.add_argument("--stateless", action="store_true",
                       help="HTTP only: no server-side sessions, for replicas behind a load balancer "
                            "(also TALKING_VIDEO_HTTP_STATELESS=1)")
    serve.set_defaults(func=_serve)
    worker = sub.add_parser("worker", help="drive jobs (polls, local renders) from the shared ledger; no MCP")
    worker.set_defaults(func=_worker)
    emu = sub.add_parser("emulator", help="run the providers' emulator (their sandbox routes) on loopback")
    emu.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    emu.add_argument("--port", type=int, default=8790, help="the port to listen on")
    emu.add_argument("--speed", type=float, default=50.0, help="time compression (50 = a 5-minute job takes 6 s)")
    emu.add_argument("--faults", default="", help="comma-separated rules, e.g. <provider>.status:429x2")
    emu.set_defaults(func=_emulator)
    demo = sub.add_parser("demo", help="make a talking video offline through a real MCP stdio session")
    demo.add_argument("--seconds", type=float, default=10.0, help="how long the demo video's speech lasts")
    demo.set_defaults(func=_demo)
    jobs = sub.add_parser("jobs", help="list jobs in the ledger")
    jobs.add_argument("--status", default=None, help="only jobs in this status (queued, processing, completed, ...)")
    jobs.add_argument("--limit", type=int, default=20, help="at most this many, newest first")
    jobs.add_argument("--owner", default=None, help="only this OAuth user's jobs (the token subject)")
    jobs.set_defaults(func=_jobs)
    doctor = sub.add_parser("doctor", help="check keys, home, allowed folders, voices and transport; exit 0 when ready")
    doctor.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="the transport serve will use")
    doctor.add_argument("--host", default="127.0.0.1", help="the host serve --transport http will bind")
    doctor.set_defaults(func=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not getattr(args, "command", None):
        args = build_parser().parse_args(["serve", *(argv or [])])
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
