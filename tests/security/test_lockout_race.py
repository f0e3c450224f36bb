"""Control 4: parallel wrong passwords lock the account at exactly the limit (issue 10, item 1).

The outside attack sent sixteen parallel wrong-password POSTs for one account on PostgreSQL: all were checked and
the counter ended at 4, so twenty guesses got through against a limit of five. Here the same attack runs against an
app of its own with real commits (PostgreSQL when the run is on PostgreSQL, else SQLite), each request from its
own address so the per-address limits do not hide the account's own count.
"""
from __future__ import annotations

import threading

import sqlalchemy as sa

from tests.security.real_db import committing_app

THREADS = 16
LIMIT = 5
PASSWORD = "correct horse battery staple"


def _attack(app, email: str, password: str, first_ip: int) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(THREADS)

    def worker(i: int):
        client = app.test_client()
        barrier.wait()
        r = client.post("/sign-in", data={"email": email, "password": password},
                        environ_overrides={"REMOTE_ADDR": f"198.51.100.{first_ip + i}"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_parallel_wrong_passwords_lock_at_exactly_the_limit(tmp_path):
    from app.audit import AuditEvent
    from app.auth.models import Organisation, OrganisationKind, User
    from app.auth.roles import Role
    from app.auth.services import create_user
    from app.db import db

    with committing_app(tmp_path, "lockout", LOGIN_MAX_FAILURES=LIMIT) as app:
        with app.app_context():
            org = Organisation(name="Provider", kind=OrganisationKind.VCS_PROVIDER)
            db.session.add(org)
            create_user(email="target@example.org", full_name="Target", password=PASSWORD,
                        role=Role.YOUTH_WORKER, organisation=org)
            db.session.commit()
            db.session.remove()

        statuses = _attack(app, "target@example.org", "wrong password, guess", first_ip=1)

        with app.app_context():
            def count(reason):
                return db.session.execute(
                    sa.select(sa.func.count()).select_from(AuditEvent).where(
                        AuditEvent.action == "auth.sign_in_failed",
                        AuditEvent.detail["reason"].as_string() == reason)).scalar_one()

            checked, refused = count("bad_password"), count("locked")
            locks = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "auth.locked_out")).scalar_one()
            user = db.session.execute(sa.select(User)).scalar_one()
            locked = user.locked_until is not None
            db.session.remove()
        kind = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
        print(f"\nlockout race ({kind}): {THREADS} parallel wrong passwords, limit {LIMIT}: {checked} checked, "
              f"{refused} refused as locked, {locks} lock event; server errors {sum(s >= 500 for s in statuses)}")
        assert checked == LIMIT and refused == THREADS - LIMIT and locks == 1 and locked
        assert all(s == 200 for s in statuses)

        # The right password, tried in parallel from elsewhere while locked, gets nobody in.
        statuses = _attack(app, "target@example.org", PASSWORD, first_ip=101)
        assert all(s == 200 for s in statuses), "a locked account was signed in to"
