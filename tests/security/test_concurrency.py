"""Control 8: concurrent writers on one SQLite file get no "database is locked" (WAL, busy timeout, BEGIN IMMEDIATE).

This runs its own app on its own SQLite file with real commits and real threads (the shared test database
wraps each test in a transaction, which would serialise everything and prove nothing).
"""
from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

THREADS = 8
ROUNDS = 12


@pytest.fixture
def file_app(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db

    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'concurrent.db'}",
                              "WTF_CSRF_ENABLED": False,
                              # this test is about the database, not the sign-in limits (tests/auth/test_limits.py)
                              "SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP": "1000 per minute",
                              "SIGN_IN_LIMIT_PER_IP": "1000 per minute"})
    with app.app_context():
        upgrade()
        from app.auth.models import Organisation, OrganisationKind
        from app.auth.roles import Role
        from app.auth.services import create_user

        org = Organisation(name="Provider", kind=OrganisationKind.VCS_PROVIDER)
        db.session.add(org)
        for i in range(THREADS):
            create_user(email=f"w{i}@example.org", full_name=f"Worker {i}", password="correct horse battery staple",
                        role=Role.YOUTH_WORKER, organisation=org)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class _Catch(logging.Handler):
    def __init__(self):
        super().__init__()
        self.locked = 0

    def emit(self, record):
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        if "database is locked" in text:
            self.locked += 1


def test_concurrent_sign_ins_and_audit_writes(file_app):
    from app.audit import AuditEvent
    from app.audit.chain import verify_chain
    from app.auth.models import UserSession
    from app.db import db

    catcher = _Catch()
    file_app.logger.addHandler(catcher)
    statuses: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(THREADS)

    def worker(i: int):
        client = file_app.test_client()
        try:
            barrier.wait()
            for _ in range(ROUNDS):
                # each sign-in writes a session row, an audit event and the user's counters; each GET of the
                # home page writes a personal-data audit event (the hash chain makes every write contend)
                r = client.post("/sign-in", data={"email": f"w{i}@example.org",
                                                  "password": "correct horse battery staple"})
                statuses.append(r.status_code)
                statuses.append(client.get("/").status_code)
                statuses.append(client.post("/sign-out").status_code)
        except Exception as exc:  # noqa: BLE001 - we count them
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    file_app.logger.removeHandler(catcher)
    locked = catcher.locked + sum("database is locked" in e for e in errors)
    with file_app.app_context():
        events = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
        sessions = db.session.execute(sa.select(sa.func.count()).select_from(UserSession)).scalar_one()
        checked, bad = verify_chain()
        db.session.remove()
    server_errors = sum(s >= 500 for s in statuses)
    print(f"\nconcurrency: {THREADS} threads × {ROUNDS} sign-in/page/sign-out rounds = {len(statuses)} requests, "
          f"{events} audit events, {sessions} sessions; {locked} 'database is locked', {server_errors} server errors, "
          f"audit chain {'intact' if not bad else 'BROKEN'} ({checked} events)")
    assert errors == [] and locked == 0 and server_errors == 0
    assert sessions == THREADS * ROUNDS and not bad
    assert all(s == 302 or s == 200 for s in statuses)
