"""Running a check or an import for the web, with progress a person can watch.

A long file is worked on in a background thread of the web process (its own session and transaction), so the
page can come back at once and refresh itself every two seconds with "rows checked / saved so far". The run's
status is in the database (checking, importing, then checked / imported / not imported); the row counts while
it works are kept in this process, so a page served by another worker shows the status without the count.
With IMPORT_IN_BACKGROUND off (the tests), or on SQLite, the work happens inside the request: SQLite has one
writer at a time and every transaction here takes the write lock up front (`app/sqlite.py`), so a background
job would make the progress page itself wait for the lock.
"""
from __future__ import annotations

import logging
import threading
import time

from app.auth.models import User
from app.db import db
from app.errors import DomainError
from app.imports import services
from app.imports.models import ImportRun, RunStatus

log = logging.getLogger(__name__)
_STATE: dict[int, dict] = {}
_LOCK = threading.Lock()


def state_of(run_id: int) -> dict | None:
    with _LOCK:
        state = _STATE.get(run_id)
        return dict(state) if state else None


def _set(run_id: int, **values) -> None:
    with _LOCK:
        _STATE.setdefault(run_id, {}).update(values)


def _do(actor, run: ImportRun, job: str) -> None:
    def report(stage: str, rows: int) -> None:
        _set(run.id, stage=stage, rows=rows)

    if job == "check":
        services.check_run(actor, run, report)
    else:
        _plan, counts = services.import_run(actor, run, report)
        _set(run.id, saved=counts)


def start(app, user_id: int, run_id: int, job: str) -> None:
    with _LOCK:
        if _STATE.get(run_id, {}).get("running"):
            raise DomainError("This file is already being worked on: wait for it to finish")
        _STATE[run_id] = {"running": True, "job": job, "stage": "reading", "rows": 0, "started": time.time()}
    if not app.config.get("IMPORT_IN_BACKGROUND") or db.engine.dialect.name == "sqlite":
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
    run = db.session.get(ImportRun, run_id)
    run.status = RunStatus.CHECKING if job == "check" else RunStatus.IMPORTING
    db.session.commit()
    threading.Thread(target=_work, args=(app, user_id, run_id, job), daemon=True,
                     name=f"import-run-{run_id}").start()


def _work(app, user_id: int, run_id: int, job: str) -> None:
    with app.app_context():
        try:
            _do(db.session.get(User, user_id), db.session.get(ImportRun, run_id), job)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _set(run_id, error=exc.message)
            _reset_status(run_id)
        except Exception:  # noqa: BLE001 - the person sees a plain message; the log has the detail
            log.exception("import run %s failed", run_id)
            db.session.rollback()
            _set(run_id, error="Something went wrong while working on the file. Nothing was saved. Try again, "
                               "or ask your administrator to look at the server log.")
            _reset_status(run_id)
        finally:
            _set(run_id, running=False)
            db.session.remove()


def _reset_status(run_id: int) -> None:
    run = db.session.get(ImportRun, run_id)
    if run is not None and run.status in (RunStatus.CHECKING, RunStatus.IMPORTING):
        run.status = RunStatus.UPLOADED if run.checked_at is None else RunStatus.CHECKED
        db.session.commit()
