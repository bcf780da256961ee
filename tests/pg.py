"""A throwaway PostgreSQL server for the tests: `initdb` + `pg_ctl start` in a temporary directory, on a
free loopback port, its unix socket in that directory too. As root (initdb refuses root) the server runs
as the `postgres` user (or `nobody`) through `runuser`."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import free_port


def find_bin() -> Path | None:
    """The directory holding initdb and pg_ctl: $PG_BIN, then PATH, then Debian's /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    if os.environ.get("PG_BIN"):
        candidates.append(os.environ["PG_BIN"])
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2] or 0),
                         reverse=True)
    for folder in candidates:
        if all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


@dataclass
class PgServer:
    url: str  # the maintenance database, as the superuser
    port: int
    pg_ctl: list[str] = field(default_factory=list)  # the command line that controls it, up to the action

    def stop(self, mode: str = "fast") -> None:
        """Stop the server as an administrator would for a routine restart (`fast`: connections are closed)."""
        subprocess.run([*self.pg_ctl, "-m", mode, "-w", "stop"], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        subprocess.run([*self.pg_ctl, "-w", "-t", "60", "start"], check=True, capture_output=True, timeout=90)

    def url_for(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh, empty database for one test; dropped afterwards."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield self.url_for(name)
        finally:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


@contextmanager
def pg_server(bin_dir: Path) -> Iterator[PgServer]:
    base = Path(tempfile.mkdtemp(prefix="tvm-pg-"))
    data, sockets, log = base / "data", base / "sock", base / "server.log"
    sockets.mkdir()
    prefix = _as_user()
    if prefix:
        user = pwd.getpwnam(prefix[2])
        for path in (base, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = free_port()
    try:
        subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-locale", "--no-sync"], check=True, capture_output=True, timeout=120)
        options = (f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off -c full_page_writes=off "
                   "-c synchronous_commit=off -c max_connections=200")
        control = [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options]
        started = subprocess.run([*control, "-w", "-t", "60", "start"], capture_output=True, text=True, timeout=90)
        if started.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stdout}{started.stderr}{tail}")
        try:
            yield PgServer(url=f"postgresql://postgres@127.0.0.1:{port}/postgres", port=port, pg_ctl=control)
        finally:
            subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60)
    finally:
        shutil.rmtree(base, ignore_errors=True)
