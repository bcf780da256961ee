"""Where a server keeps its work: TALKING_VIDEO_HOME (videos, scratch files) and the job ledger, checked
before serving so that a full disk or a read-only folder is reported with what to do."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3

from talking_video_mcp.errors import StorageError
from talking_video_mcp.jobs.ledger import Ledger, open_store
from talking_video_mcp.settings import Settings

_DISK_FULL = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def prepare_home(settings: Settings) -> None:
    probe = settings.home / f".write-test-{os.getpid()}"  # several processes may share one home
    try:
        for path in (settings.home, settings.videos_dir, settings.home / "scratch"):
            path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
        full = " (the disk looks full: free some space)" if exc.errno in _DISK_FULL else ""
        raise StorageError(
            f"TALKING_VIDEO_HOME ({settings.home}) is not writable: {exc.strerror or exc}{full}. "
            "Point TALKING_VIDEO_HOME at a writable directory."
        ) from None


def open_ledger(settings: Settings) -> Ledger:
    """The ledger; a PostgreSQL one that cannot be reached raises LedgerError (a StorageError) saying so."""
    try:
        return open_store(settings)
    except (sqlite3.Error, OSError) as exc:
        raise _unusable_ledger(settings, exc) from None


def _unusable_ledger(settings: Settings, exc: Exception) -> StorageError:
    return StorageError(
        f"the job ledger {settings.ledger_path} cannot be opened or written ({exc}). Free disk space, or "
        "point TALKING_VIDEO_HOME at a writable directory (move the old ledger aside if it is damaged)."
    )


def check_storage(settings: Settings) -> None:
    """At start-up, before serving: fail with what to do when TALKING_VIDEO_HOME or the ledger
    cannot be written (a full disk, a read-only or missing directory)."""
    prepare_home(settings)
    if settings.database_url is not None:
        open_ledger(settings).close()  # PostgreSQL: reached, signed in to and migrated, or a clear error
        return
    # SQLite: opened and its header read, not the whole ledger set up. The services open and migrate it a
    # moment later, off the first answers' path (loading the ledger code and its pragmas there cost about
    # 5 ms of every cold start, measured with benchmarks/bench_cold_start.py).
    try:
        conn = sqlite3.connect(str(settings.ledger_path), timeout=5.0)
        try:
            conn.execute("PRAGMA user_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _unusable_ledger(settings, exc) from None
