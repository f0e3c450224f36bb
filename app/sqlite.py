"""SQLite settings (SECURITY.md §8): WAL, a busy timeout, foreign keys, and proper transactions.

pysqlite's own transaction handling does not emit BEGIN for SELECTs, which breaks SAVEPOINTs
and lets two writers race; we take over and issue BEGIN ourselves (SQLAlchemy's documented recipe).
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 10_000


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        try:
            cur.execute("PRAGMA journal_mode = WAL")
        except Exception:  # noqa: BLE001 - in-memory databases cannot use WAL
            pass
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writes must not fail with "database is locked": take the write lock up front.
        mode = conn.info.get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")
