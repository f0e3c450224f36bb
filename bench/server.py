"""Start and stop gunicorn for the benches and the attack campaign: production settings, a database of the
caller's, a free loopback port — and an empty database to start from. One helper instead of another copy of the
start-and-wait loop."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "bench-only-secret-key-" + "Zq8rT2vW9xY4kL7m" * 3
AUDIT_KEY = "bench-only-audit-key-" + "Hn3Jp6Bc1Df5Gs0e" * 3


def empty_database(url: str) -> None:
    """A database with nothing in it at ``url``: a SQLite file (and its WAL files) removed, a PostgreSQL database
    created if missing and emptied. The caller runs the migrations."""
    from tests.conftest import ensure_postgres_database, reset_database

    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    else:
        ensure_postgres_database(url)
        reset_database(url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def start(url: str, workers: int, port: int | None = None, env: dict[str, str] | None = None,
          timeout: float = 240, log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """gunicorn serving wsgi:app in production mode on ``url``; returns (process, base URL) once /healthz answers.
    With ``log``, the server's messages (errors and their tracebacks) go to that file instead of the terminal."""
    port = port or free_port()
    full_env = {**os.environ, "WAYPOINT_CONFIG": "production", "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
                "WAYPOINT_AUDIT_KEY": AUDIT_KEY, "WAYPOINT_WORKERS": str(workers), **(env or {})}
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=full_env, start_new_session=True,
                            stderr=log.open("w") if log else None)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode} (see its messages above)")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    """Stop the gunicorn this module started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
