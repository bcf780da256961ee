"""Shared by the benchmarks: statistics, a raw JSON-RPC stdio client, the servers to compare and
their virtualenvs, machine facts.

The raw client speaks newline-delimited JSON-RPC itself (initialize → notifications/initialized →
tools/list), so every server, ours and the peers, is measured the same way and no MCP SDK's client
behaviour is part of the figure.
"""

from __future__ import annotations

import json
import os
import platform
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENVS = BENCH_DIR / ".venvs"
PROTOCOL_VERSION = "2025-06-18"  # understood by our SDK and by the peers' mcp 1.x
CLIENT_INFO = {"name": "talking-video-bench", "version": "1.0"}


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summary_ms(seconds: list[float], *, qs: tuple[int, ...] = (50, 90, 99)) -> dict[str, float]:
    """Percentiles, mean, min and max of durations in seconds, reported in milliseconds."""
    out: dict[str, float] = {"n": float(len(seconds))}
    if not seconds:
        return out
    for q in qs:
        out[f"p{q}_ms"] = round(percentile(seconds, q) * 1000, 3)
    out["mean_ms"] = round(sum(seconds) / len(seconds) * 1000, 3)
    out["min_ms"] = round(min(seconds) * 1000, 3)
    out["max_ms"] = round(max(seconds) * 1000, 3)
    return out


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def payload_size(value: Any) -> dict[str, int]:
    """Bytes of the compact UTF-8 JSON of `value`, and approximate tokens (characters / 4)."""
    text = compact_json(value)
    return {"bytes": len(text.encode()), "chars": len(text), "approx_tokens": round(len(text) / 4)}


# ---------------------------------------------------------------- machine facts


def machine_facts() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except (OSError, ValueError):
        pass
    try:
        mcp_version = dist_version("mcp")
    except Exception:  # pragma: no cover - informative only
        mcp_version = "?"
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "mcp_sdk": mcp_version,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


# ---------------------------------------------------------------- servers to compare


@dataclass
class ServerSpec:
    """How to start one MCP server over stdio."""

    name: str
    command: list[str]
    env: dict[str, str]
    cwd: str | None = None
    version: str = ""
    python: str = ""
    ours: bool = False
    reference: bool = False  # a yardstick (not a peer): excluded from the ratios and "fastest peer"
    note: str = ""


@dataclass
class PeerPackage:
    """A peer MCP server from PyPI, installed into benchmarks/.venvs/<name>."""

    name: str  # distribution name on PyPI
    env: dict[str, str]  # dummy keys and whatever else it needs to start
    label: str = ""
    extra_interpreters: tuple[str, ...] = ("python3.12", "python3.13")

    @property
    def title(self) -> str:
        return self.label or self.name


PEERS: tuple[PeerPackage, ...] = (
    PeerPackage("heygen-mcp", {"HEYGEN_API_KEY": "dummy-heygen-key"}),
    PeerPackage(
        "minimax-mcp",
        {"MINIMAX_API_KEY": "dummy-minimax-key", "MINIMAX_API_HOST": "https://api.minimax.io",
         "MINIMAX_MCP_BASE_PATH": "{tmp}", "MINIMAX_API_RESOURCE_MODE": "url"},
        label="minimax-mcp (MiniMax-MCP)",
    ),
    PeerPackage("elevenlabs-mcp", {"ELEVENLABS_API_KEY": "dummy-elevenlabs-key", "ELEVENLABS_MCP_BASE_PATH": "{tmp}"}),
)


@dataclass
class PeerInstall:
    name: str
    ok: bool
    spec: ServerSpec | None = None
    reused: bool = False
    seconds: float = 0.0
    error: str = ""
    attempts: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "reused_venv": self.reused, "install_s": round(self.seconds, 1)}
        if self.spec is not None:
            out.update(version=self.spec.version, python=self.spec.python, command=" ".join(self.spec.command))
            if self.spec.note:
                out["note"] = self.spec.note
        if self.error:
            out["error"] = self.error
        if self.attempts:
            out["attempts"] = self.attempts
        return out


def scratch_dir(name: str) -> str:
    path = Path(tempfile.gettempdir()) / "talking-video-bench" / name
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def base_env() -> dict[str, str]:
    """A clean environment for a server subprocess: no keys or settings of ours leak into it."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "TZ")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def our_server(home: str | None = None) -> ServerSpec:
    """This server over stdio, as users start it: a fresh TALKING_VIDEO_HOME and no keys."""
    from talking_video_mcp import __version__

    home = home or tempfile.mkdtemp(prefix="tv-bench-home-")
    env = base_env()
    env.update(TALKING_VIDEO_HOME=home, TALKING_VIDEO_LOG_LEVEL="WARNING")
    return ServerSpec(
        name="talking-video-mcp (ours)",
        command=[sys.executable, "-m", "talking_video_mcp", "serve"],
        env=env,
        cwd=str(REPO),
        version=__version__,
        python=platform.python_version(),
        ours=True,
    )


def floor_server() -> ServerSpec:
    """benchmarks/floor_server.py: a one-tool MCPServer on our SDK and interpreter."""
    from importlib.metadata import version

    return ServerSpec(
        name="floor: bare MCPServer, 1 tool (our SDK)",
        command=[sys.executable, str(BENCH_DIR / "floor_server.py")],
        env=base_env(), cwd=str(BENCH_DIR), version=f"mcp {version('mcp')}", python=platform.python_version(),
        reference=True,
    )


def _venv_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


_PROBE = r"""
import json, platform, sys
from importlib.metadata import distribution
d = distribution(sys.argv[1])
eps = [(e.name, e.value) for e in d.entry_points if e.group == "console_scripts"]
print(json.dumps({"version": d.version, "python": platform.python_version(), "scripts": eps}))
"""


def _probe(python: Path, dist: str) -> dict[str, Any]:
    done = subprocess.run([str(python), "-c", _PROBE, dist], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "probe failed")
    info: dict[str, Any] = json.loads(done.stdout)
    return info


def _entry_command(venv_dir: Path, dist: str, info: dict[str, Any]) -> list[str]:
    """The peer's console script named like the distribution (else the first one), from its metadata."""
    scripts: list[tuple[str, str]] = [(str(s[0]), str(s[1])) for s in info["scripts"]]
    if not scripts:
        raise RuntimeError(f"{dist} declares no console_scripts entry point")
    chosen = next((s for s in scripts if s[0] == dist), scripts[0])
    script = venv_dir / "bin" / chosen[0]
    if script.exists():
        return [str(script)]
    module, _, func = chosen[1].partition(":")
    code = f"import sys; from {module} import {func} as m; sys.exit(m())"
    return [str(_venv_python(venv_dir)), "-c", code]


def _works(interpreter: str) -> bool:
    try:
        done = subprocess.run([interpreter, "-c", "import venv"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _interpreters(peer: PeerPackage) -> list[str]:
    """This Python first, then newer ones for peers that require them (real binaries, not pyenv shims)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    found = [base if Path(base).exists() else sys.executable]
    for name in peer.extra_interpreters:
        minor = name.removeprefix("python")
        candidates = [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{minor}.*/bin/{name}"))]
        candidates += [p for p in (shutil.which(name), f"/usr/bin/{name}", f"/usr/local/bin/{name}") if p]
        for candidate in candidates:
            if Path(candidate).exists() and _works(candidate):
                found.append(candidate)
                break
    return found


def _pip(python: Path, args: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", *args],
        capture_output=True, text=True, timeout=timeout_s,
    )


def _pip_errors(done: subprocess.CompletedProcess[str]) -> str:
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR")] or done.stderr.splitlines()[-3:]
    return " | ".join(errors)[:600]


SDK2_BREAK = ("mcp 2.x", "mcp.server.fastmcp")


def _smoke(peer: PeerPackage, venv_dir: Path, python: Path) -> tuple[ServerSpec | None, str]:
    """Probe the metadata and start the server once; (spec, "") or (None, why it failed)."""
    try:
        spec = _peer_spec(peer, venv_dir, _probe(python, peer.name))
        handshake_once(spec, timeout_s=60)
    except Exception as exc:
        return None, str(exc)[:600]
    return spec, ""


def install_peer(peer: PeerPackage, *, log: Any = None, timeout_s: float = 300.0) -> PeerInstall:
    """Create benchmarks/.venvs/<name> and pip-install the peer (or reuse one that works).

    When pip says the package needs another Python (heygen-mcp wants >= 3.12), the next
    interpreter found on this machine is tried. A peer that declares an unbounded `mcp`
    requirement and fails to start under mcp 2.x (FastMCP was renamed) gets `mcp<2`, the SDK
    it was written for; the report says so."""
    start = time.perf_counter()
    venv_dir = VENVS / peer.name
    stamp = venv_dir / ".bench-installed"
    result = PeerInstall(peer.name, ok=False)

    def done(ok: bool) -> PeerInstall:
        result.ok = ok
        result.seconds = time.perf_counter() - start
        if not ok:
            shutil.rmtree(venv_dir, ignore_errors=True)
            result.error = result.attempts[-1] if result.attempts else "no usable interpreter found"
        if log is not None:
            how = "reused" if result.reused else ("installed" if ok else "FAILED")
            log(f"  {peer.name}: {how} in {result.seconds:.1f} s")
        return result

    if stamp.exists():
        try:
            old_notes: list[str] = json.loads(stamp.read_text()).get("notes", [])
        except ValueError:
            old_notes = []
        spec, why = _smoke(peer, venv_dir, _venv_python(venv_dir))
        if spec is not None:
            spec.note = "; ".join(old_notes)
            result.spec, result.reused = spec, True
            return done(True)
        result.attempts.append(f"existing venv does not start ({why[:200]}); recreating")
    interpreters = _interpreters(peer)
    for interpreter in interpreters:
        shutil.rmtree(venv_dir, ignore_errors=True)
        try:
            subprocess.run([interpreter, "-m", "venv", str(venv_dir)], check=True, capture_output=True, text=True,
                           timeout=120)
        except (subprocess.SubprocessError, OSError) as exc:
            result.attempts.append(f"{interpreter}: venv failed: {exc}")
            continue
        python = _venv_python(venv_dir)
        try:
            installed = _pip(python, [peer.name], timeout_s)
        except subprocess.TimeoutExpired:
            result.attempts.append(f"{interpreter}: pip install timed out after {timeout_s:.0f} s")
            return done(False)
        if installed.returncode != 0:
            result.attempts.append(f"{interpreter}: {_pip_errors(installed)}")
            if "Requires-Python" in installed.stderr or "different python version" in installed.stderr:
                continue  # try a newer interpreter
            return done(False)
        notes: list[str] = []
        if interpreter != interpreters[0]:
            notes.append(f"needs a newer Python: installed with {Path(interpreter).name}")
        spec, why = _smoke(peer, venv_dir, python)
        if spec is None and any(marker in why for marker in SDK2_BREAK):
            result.attempts.append(f"{interpreter}: fails to start under mcp 2.x: {why[:200]}")
            pinned = _pip(python, ["mcp<2"], timeout_s)
            if pinned.returncode != 0:
                result.attempts.append(f"{interpreter}: pip install 'mcp<2' failed: {_pip_errors(pinned)}")
                return done(False)
            notes.append("declares mcp>=1.x unbounded and breaks under mcp 2.x: installed with mcp<2")
            spec, why = _smoke(peer, venv_dir, python)
        if spec is None:
            result.attempts.append(f"{interpreter}: installed but does not start: {why}")
            return done(False)
        spec.note = "; ".join(notes)
        result.spec = spec
        stamp.write_text(json.dumps({"interpreter": interpreter, "version": spec.version, "notes": notes}))
        return done(True)
    return done(False)


def _peer_spec(peer: PeerPackage, venv_dir: Path, info: dict[str, Any]) -> ServerSpec:
    env = base_env()
    tmp = scratch_dir(peer.name)
    env.update({k: v.replace("{tmp}", tmp) for k, v in peer.env.items()})
    return ServerSpec(
        name=peer.title, command=_entry_command(venv_dir, peer.name, info), env=env, cwd=tmp,
        version=str(info["version"]), python=str(info["python"]),
    )


def install_peers(log: Any = None) -> list[PeerInstall]:
    """Install (or reuse) every peer, in parallel: pip is mostly waiting on the network."""
    from concurrent.futures import ThreadPoolExecutor

    VENVS.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=len(PEERS)) as pool:
        return list(pool.map(lambda p: install_peer(p, log=log), PEERS))


# ---------------------------------------------------------------- raw JSON-RPC over stdio


class RpcError(RuntimeError):
    pass


@dataclass
class Handshake:
    """One spawn → initialize → tools/list, timed from just before Popen."""

    initialize_s: float
    tools_list_s: float
    server_info: dict[str, Any]
    protocol_version: str
    tools: dict[str, Any]


class RawStdioClient:
    """Newline-delimited JSON-RPC 2.0 to a server subprocess; stderr goes to a file."""

    def __init__(self, spec: ServerSpec, stderr_path: Path) -> None:
        self.spec = spec
        self._stderr = stderr_path.open("wb")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            spec.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=spec.env,
            cwd=spec.cwd, bufsize=0,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.proc.stdout, selectors.EVENT_READ)
        self._buf = b""
        self._next_id = 0

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((compact_json(message) + "\n").encode())
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None, timeout_s: float) -> dict[str, Any]:
        self._next_id += 1
        rid = self._next_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        deadline = time.perf_counter() + timeout_s
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == rid and ("result" in reply or "error" in reply):
                if "error" in reply:
                    raise RpcError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
            # notifications (logging, list_changed) and server requests are ignored

    def _read_message(self, deadline: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while True:
            newline = self._buf.find(b"\n")
            if newline >= 0:
                line, self._buf = self._buf[:newline], self._buf[newline + 1 :]
                if not line.strip():
                    continue
                try:
                    parsed = json.loads(line)
                except ValueError:
                    continue  # a stray print on stdout; not a JSON-RPC message
                if isinstance(parsed, dict):
                    return parsed
                continue
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("no answer in time")
            if not self._sel.select(left):
                continue
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                try:
                    code: int | None = self.proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    code = None
                raise RpcError(f"the server closed stdout (exit code {code}) before answering")
            self._buf += chunk

    def handshake(self, timeout_s: float = 60.0) -> Handshake:
        init = self.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO},
            timeout_s,
        )
        t_init = time.perf_counter() - self.t0
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        tools = self.request("tools/list", {}, timeout_s)
        t_list = time.perf_counter() - self.t0
        return Handshake(t_init, t_list, init.get("serverInfo", {}), str(init.get("protocolVersion")), tools)

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._sel.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


def stderr_tail(path: Path, lines: int = 4) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])[:500]


def handshake_once(spec: ServerSpec, timeout_s: float = 60.0) -> Handshake:
    """Spawn, initialize, tools/list, then close; raises with the server's stderr on failure."""
    log = Path(tempfile.mkstemp(prefix="bench-stderr-", suffix=".log")[1])
    client = RawStdioClient(spec, log)
    try:
        return client.handshake(timeout_s)
    except (RpcError, TimeoutError, OSError) as exc:
        raise RpcError(f"{exc}; stderr: {stderr_tail(log)}") from None
    finally:
        client.close()
        log.unlink(missing_ok=True)


_INSTALLS: list[PeerInstall] | None = None


def all_servers(log: Any = None) -> tuple[list[ServerSpec], list[PeerInstall]]:
    """Ours plus every peer that installed (peers are installed once per process)."""
    global _INSTALLS
    if _INSTALLS is None:
        _INSTALLS = install_peers(log)
    installs = _INSTALLS
    specs = [our_server()] + [i.spec for i in installs if i.ok and i.spec is not None]
    return specs, installs


def ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs == 0:
        return None
    return round(ours / theirs, 2)


def log_line(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- emulator-backed runs (traffic, load)


def png_bytes(width: int = 256, height: int = 256) -> bytes:
    """A face photo as PNG (the shipped Grace Hopper preset, scaled): the server refuses a photo without a face
    before anything is spent."""
    import cv2

    photo = cv2.imread(str(REPO / "src" / "talking_video_mcp" / "assets" / "presets" / "grace_hopper.jpg"))
    img = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise RuntimeError("could not encode the PNG")
    return bytes(buf)


def wav_bytes(seconds: float = 4.0, rate: int = 16000) -> bytes:
    """A non-silent mono 16-bit WAV (a modulated tone)."""
    import io
    import wave

    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    signal = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((signal * 32767).astype("<i2").tobytes())
    return out.getvalue()


FIXTURE_KEY = "bench-fixture-uploader"


def upload_fixture(base_url: str, data: bytes, mime: str) -> str:
    """Host a file on the emulator (under a key of its own, so it is not counted as a job's traffic)."""
    import base64

    import httpx

    data_url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    response = httpx.post(f"{base_url}/upload-asset", json={"data_urls": [data_url]},
                          headers={"x-api-key": FIXTURE_KEY}, timeout=30)
    response.raise_for_status()
    body = response.json()
    return str((body.get("urls") or body.get("file_urls"))[0])


def emulator_env(home: Path, base_url: str, key: str, *, time_scale: float, requests_per_minute: int) -> dict[str, str]:
    """Settings (as environment variables) for a server that uses the emulator with one Segmind key."""
    return {
        "SEGMIND_API_KEY": key,
        "SEGMIND_BASE_URL": base_url,
        "SEGMIND_UPLOAD_URL": f"{base_url}/upload-asset",
        "SEGMIND_REQUESTS_PER_MINUTE": str(requests_per_minute),
        "TALKING_VIDEO_HOME": str(home),
        "TALKING_VIDEO_ALLOWED_ROOTS": str(home),
        "TALKING_VIDEO_TIME_SCALE": str(time_scale),
        "TALKING_VIDEO_HTTP_TIMEOUT": "30",
        "TALKING_VIDEO_MAX_JOB_COST_USD": "1000",
        "TALKING_VIDEO_DAILY_BUDGET_USD": "1000000",
        "TALKING_VIDEO_LOG_LEVEL": "WARNING",
    }


def settings_from_env(values: dict[str, str]) -> Any:
    """A Settings object from the same variables a subprocess would get (like tests' make_settings)."""
    from talking_video_mcp.settings import Settings

    return Settings(**values)  # type: ignore[arg-type]


def peak_in_window(times: list[float], window_s: float) -> int:
    """The most timestamps that fall in any window of `window_s` seconds (two pointers)."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Wait until a server subprocess listens on loopback `port` (or fail if it exits)."""
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode}") from None
            time.sleep(0.05)
    raise RuntimeError("the server did not start listening")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
