"""SQLite settings (SECURITY.md §8): WAL, a busy timeout, foreign keys, and proper transactions.

pysqlite's own transaction handling does not emit BEGIN for SELECTs, which breaks SAVEPOINTs and lets two writers
race; we take over and issue BEGIN ourselves (SQLAlchemy's documented recipe), choosing the kind:

* Everything that may change data — a POST, a command, a script — begins ``BEGIN IMMEDIATE``: it takes the write
  lock up front (waiting up to the busy timeout for it), so a write never fails with "database is locked" half-way.
* A GET or HEAD request only reads, so it begins ``BEGIN DEFERRED``, which takes no lock: with WAL, reads run beside
  each other and beside the one writer. A GET may still write a little on the side (its "viewed" audit event, the
  session's last-seen time). A deferred transaction that has read cannot safely become a writer — SQLite refuses
  the upgrade with SQLITE_BUSY at once, without waiting on the busy timeout, if another connection committed since
  its snapshot began. So at the first statement that writes (INSERT, UPDATE, DELETE, SAVEPOINT, …) the read-only
  transaction is ended (nothing was written, nothing is lost) and a ``BEGIN IMMEDIATE`` takes its place, waiting
  for the write lock like any writer. From then on the request is an ordinary writer until it commits; the side
  writes are made just before the commit, so the lock is held only for them.
* ``hold_write_lock`` does the same on demand, for code that must read under the write lock before it writes (the
  audit sealer reads the chain's head and then appends after it).
"""
from __future__ import annotations

import re
import sqlite3

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_MS = 10_000

# Statements that only read. Anything else counts as a write (an unknown statement is treated as a write: taking
# the lock needlessly is slower, failing to take it is an error).
_READS = {"SELECT", "PRAGMA", "EXPLAIN", "VALUES"}
_WRITE_WORDS = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_STATE = "sqlite_txn"  # in Connection.info: "deferred" (read-only so far) or "immediate" (holds the write lock)


def _reads_only(statement: str) -> bool:
    word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if word == "WITH":
        return not _WRITE_WORDS.search(statement)
    return word in _READS


def _begin_mode() -> str:
    from flask import has_request_context, request

    if has_request_context() and request.method in ("GET", "HEAD"):
        return "DEFERRED"
    return "IMMEDIATE"


def _run(conn: Connection, sql: str) -> None:
    """Transaction control on the DBAPI connection itself (no statement events, so no recursion)."""
    try:
        conn.connection.driver_connection.execute(sql)
    except sqlite3.Error as err:
        raise exc.OperationalError(sql, (), err) from err


def _become_writer(conn: Connection) -> None:
    """End the read-only transaction and begin one that holds the write lock (waits on the busy timeout)."""
    _run(conn, "COMMIT")
    conn.info[_STATE] = None
    _run(conn, "BEGIN IMMEDIATE")
    conn.info[_STATE] = "immediate"


def hold_write_lock(conn: Connection) -> None:
    """Make sure the transaction on `conn` holds SQLite's write lock before the caller reads what it will write on.
    A no-op on other databases and in a transaction that already holds it. Reads made earlier in the transaction are
    not carried over: call this before them."""
    if conn.dialect.name != "sqlite":
        return
    if conn.info.get(_STATE) == "deferred":
        _become_writer(conn)


def configure_postgresql(engine: Engine) -> None:
    """PostgreSQL: no JIT compilation. Waypoint's statements are short index look-ups and small aggregates; when
    the planner's cost estimate passes jit_above_cost (an OR over an EXISTS in the people search estimates a
    million), compiling the plan took 1.6 s of a 1.7 s search that runs in 80 ms without it."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        cur.execute("SET jit = off")
        cur.close()
        dbapi_connection.commit()


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
        mode = conn.info.get("sqlite_begin") or _begin_mode()
        conn.info[_STATE] = None
        _run(conn, f"BEGIN {mode}")
        conn.info[_STATE] = "immediate" if mode in ("IMMEDIATE", "EXCLUSIVE") else "deferred"

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn, _cursor, statement, _parameters, _context, _executemany):
        if conn.info.get(_STATE) == "deferred" and not _reads_only(statement):
            _become_writer(conn)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn):
        conn.info[_STATE] = None
