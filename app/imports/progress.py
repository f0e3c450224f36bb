"""Running a check or an import for the web, with progress a person can watch.

A long file is worked on in a background thread of the web process (its own app context, session and
connection), on PostgreSQL and on SQLite alike, so the page comes back at once and refreshes itself every two
seconds with "rows checked / saved so far". The run's status is in the database (checking, importing, then
checked / imported / not imported); the row counts while it works are kept in this process, so a page served
by another worker shows the status without the count.

All or nothing: everything an import saves is saved in one transaction, committed at the end. If the server
stops meanwhile, the transaction never commits and nothing is saved. Whoever works on a run holds its *work
lock* — on PostgreSQL an advisory lock on a connection of its own, on SQLite (one machine) a lock on a file —
which the operating system or the database lets go of when the process ends. A run still marked "checking" or
"importing" whose lock nobody holds was interrupted: the page says so and offers to check or import again.

SQLite has one writer at a time and every write transaction takes the write lock up front (`app/sqlite.py`).
So there the thread checks the file in a read transaction (BEGIN DEFERRED: other people go on saving), and
takes the write lock only to save, after making sure nothing the check depends on has changed meanwhile
(`services.fingerprint`; if it has, it checks again under the lock). While it saves, other people's saves —
and the progress page, which is a request like any other — wait for it (up to the busy timeout).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
import threading
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import db
from app.errors import DomainError
from app.imports import services
from app.imports.models import ImportRun, RunStatus

log = logging.getLogger(__name__)
_STATE: dict[int, dict] = {}
_LOCK = threading.Lock()
_LOCK_SPACE = 0x1A7B  # advisory lock space of import runs (PostgreSQL)
INTERRUPTED = ("The work on this file stopped before it finished (the server was restarted). Nothing was saved. "
               "Check or import the file again.")
FAILED = ("Something went wrong while working on the file. Nothing was saved. Try again, or ask your "
          "administrator to look at the server log.")


def state_of(run_id: int) -> dict | None:
    with _LOCK:
        state = _STATE.get(run_id)
        return dict(state) if state else None


def _set(run_id: int, **values) -> None:
    with _LOCK:
        _STATE.setdefault(run_id, {}).update(values)


# --- the work lock ----------------------------------------------------------------------------------


class WorkLock:
    """Held by whoever works on a run, for as long as they do; let go of by the OS / database if they die."""

    def __init__(self, engine, run_id: int):
        self.engine, self.run_id = engine, run_id
        self._file = None
        self._connection = None

    def _path(self) -> str:
        where = hashlib.sha256(str(self.engine.url).encode()).hexdigest()[:16]
        return os.path.join(tempfile.gettempdir(), f"waypoint-import-{where}-{self.run_id}.lock")

    def acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            self._connection = self.engine.connect()
            got = self._connection.execute(sa.text("SELECT pg_try_advisory_lock(:space, :run)"),
                                           {"space": _LOCK_SPACE, "run": self.run_id}).scalar_one()
            self._connection.commit()
            if not got:
                self._connection.close()
                self._connection = None
            return bool(got)
        self._file = open(self._path(), "a+")  # noqa: SIM115 - held open for as long as the work goes on
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            self._file = None
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.execute(sa.text("SELECT pg_advisory_unlock(:space, :run)"),
                                         {"space": _LOCK_SPACE, "run": self.run_id})
                self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def held_elsewhere(self) -> bool:
        """Is someone (this process or another) working on the run now?"""
        if not self.acquire():
            return True
        self.release()
        return False


# --- starting and doing the work --------------------------------------------------------------------


def _reporter(run_id: int):
    def report(stage: str, rows: int) -> None:
        _set(run_id, stage=stage, rows=rows)
    return report


def _do(actor, run: ImportRun, job: str) -> None:
    if job == "check":
        services.check_run(actor, run, _reporter(run.id))
    else:
        _plan, counts = services.import_run(actor, run, _reporter(run.id))
        _set(run.id, saved=counts)


def start(app, user_id: int, run_id: int, job: str) -> None:
    with _LOCK:
        if _STATE.get(run_id, {}).get("running"):
            raise DomainError("This file is already being worked on: wait for it to finish")
        _STATE[run_id] = {"running": True, "job": job, "stage": "reading", "rows": 0, "started": time.time()}
    if not app.config.get("IMPORT_IN_BACKGROUND"):
        try:
            run = db.session.get(ImportRun, run_id)
            _do(db.session.get(User, user_id), run, job)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _set(run_id, error=exc.message)
        finally:
            _set(run_id, running=False)
        return
    lock = WorkLock(db.engine, run_id)
    if not lock.acquire():
        _set(run_id, running=False)
        raise DomainError("This file is already being worked on: wait for it to finish")
    try:
        run = db.session.get(ImportRun, run_id)
        run.status = RunStatus.CHECKING if job == "check" else RunStatus.IMPORTING
        db.session.commit()
        threading.Thread(target=_work, args=(app, user_id, run_id, job, lock), daemon=True,
                         name=f"import-run-{run_id}").start()
    except BaseException:
        lock.release()
        _set(run_id, running=False)
        raise


def _work(app, user_id: int, run_id: int, job: str, lock: WorkLock) -> None:
    with app.app_context():
        try:
            if db.engine.dialect.name == "sqlite":
                _work_sqlite(user_id, run_id, job)
            else:
                _do(db.session.get(User, user_id), db.session.get(ImportRun, run_id), job)
                db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _set(run_id, error=exc.message)
            _reset_status(run_id)
        except Exception:  # noqa: BLE001 - the person sees a plain message; the log has the detail
            log.exception("import run %s failed", run_id)
            db.session.rollback()
            _set(run_id, error=FAILED)
            _reset_status(run_id)
        finally:
            _set(run_id, running=False)
            db.session.remove()
            lock.release()


@contextlib.contextmanager
def _sqlite_transaction(mode: str):
    """This thread's session on a connection of its own whose transaction begins `mode` (DEFERRED: a reader
    that takes no lock; IMMEDIATE: the write lock up front)."""
    connection = db.engine.connect()
    connection.info["sqlite_begin"] = mode  # read by app/sqlite.py's begin hook; cleared before the pool has it
    session = Session(bind=connection, expire_on_commit=False)
    db.session.registry.set(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        db.session.registry.clear()
        connection.info.pop("sqlite_begin", None)
        connection.close()


def _work_sqlite(user_id: int, run_id: int, job: str) -> None:
    report = _reporter(run_id)
    with _sqlite_transaction("DEFERRED") as session:
        actor, run = session.get(User, user_id), session.get(ImportRun, run_id)
        if job == "import" and run.status is RunStatus.IMPORTED:
            raise DomainError("This file has already been imported")
        before = services.fingerprint(run)
        plan = services.check(actor, run.organisation, services.mapping_of(run), services.file_rows(run), report,
                              run.headers)
        session.rollback()  # read only: nothing to keep, and the snapshot is let go of
    with _sqlite_transaction("IMMEDIATE") as session:
        actor, run = session.get(User, user_id), session.get(ImportRun, run_id)
        if job == "check":
            services.record_check(actor, run, plan)
            return
        if services.fingerprint(run) != before:
            plan = None  # someone saved something the check depends on: check again, under the lock
        _plan, counts = services.import_run(actor, run, report, checked=plan)
        _set(run_id, saved=counts)


def _reset_status(run_id: int) -> None:
    run = db.session.get(ImportRun, run_id)
    if run is not None and run.status in (RunStatus.CHECKING, RunStatus.IMPORTING):
        run.status = RunStatus.UPLOADED if run.checked_at is None else RunStatus.CHECKED
        db.session.commit()


def interrupted(run: ImportRun) -> bool:
    """A run marked as being worked on that nobody is working on (the server stopped meanwhile): its status is
    put back to what it was before (nothing was saved) and True is returned, for the page to say so."""
    if run.status not in (RunStatus.CHECKING, RunStatus.IMPORTING):
        return False
    state = state_of(run.id)
    if state and state.get("running"):
        return False
    if WorkLock(db.engine, run.id).held_elsewhere():
        return False
    job = "check" if run.status is RunStatus.CHECKING else "import"
    run.status = RunStatus.UPLOADED if run.checked_at is None else RunStatus.CHECKED
    db.session.commit()
    _set(run.id, error=INTERRUPTED, job=job)
    return True
