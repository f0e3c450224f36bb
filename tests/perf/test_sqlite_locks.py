"""SQLite: reads take no write lock (app/sqlite.py). GET and HEAD requests begin DEFERRED and run beside a writer;
their side writes (view events, the session's last-seen time) take the write lock only when they are made, waiting
for it like any writer instead of failing; the audit sealer holds the write lock before it reads the chain's head.

These tests open real connections to a SQLite file of their own (not the suite's rolled-back transaction, which
holds its connection's write lock for the whole test), so locks behave as they do under gunicorn."""
from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

import config
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.skipif(config.test_target() == "postgres", reason="SQLite's locking only")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """An app on a migrated SQLite file with the suite's usual world in it (committed)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db
    from tests.factories import build_world

    path = tmp_path_factory.mktemp("sqlite-locks") / "shared.db"
    flask_app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                    "AUDIT_CHECKPOINT_FILE": str(path.with_suffix(".checkpoints"))})
    with flask_app.app_context():
        upgrade()
        world = build_world()
        db.session.commit()
        ids = {"worker": world.worker_a.email, "referral": world.referral_a.id}
        db.session.remove()
    yield flask_app, path, ids
    with flask_app.app_context():
        db.engine.dispose()


class Client(FlaskClient):
    """A browser: adds the CSRF token to posts. Unlike the suite's client it needs no app context of the test's, so
    each request has its own app context and database session, as under gunicorn."""

    def post(self, *args, **kwargs):
        page = self.get("/sign-in" if not getattr(self, "signed_in", False) else "/").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        kwargs["data"] = {**kwargs.get("data", {}), "csrf_token": token}
        return super().post(*args, **kwargs)


def _signed_in_client(flask_app, email):
    client = Client(flask_app, flask_app.response_class, use_cookies=True)
    response = client.post("/sign-in", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302 and "/sign-in" not in response.headers["Location"]
    client.signed_in = True
    return client


class Writer:
    """Another process's connection holding SQLite's write lock (an uncommitted write) until released."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE organisations SET name = name")

    def release(self):
        self.conn.execute("COMMIT")
        self.conn.close()


def test_a_get_reads_while_another_connection_holds_the_write_lock(shared):
    flask_app, path, ids = shared
    client = _signed_in_client(flask_app, ids["worker"])
    assert client.get("/programmes/").status_code == 200  # the session's last-seen time is fresh: no write
    writer = Writer(path)
    try:
        # Under BEGIN IMMEDIATE for every request this waited for the writer and failed: "database is locked".
        response = client.get("/programmes/")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
    finally:
        writer.release()


def test_a_get_that_writes_a_view_event_waits_for_the_writer_instead_of_failing(shared):
    flask_app, path, ids = shared
    client = _signed_in_client(flask_app, ids["worker"])
    writer = Writer(path)
    timer = threading.Timer(0.3, writer.release)  # the writer commits while the GET is under way
    timer.start()
    try:
        response = client.get(f"/referrals/{ids['referral']}")
    finally:
        timer.join()
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


def test_a_read_snapshot_gone_stale_still_writes(shared):
    """The case a plain BEGIN DEFERRED gets wrong: the GET reads (its snapshot begins), another connection commits,
    then the GET writes. SQLite refuses to upgrade a stale snapshot at once (SQLITE_BUSY, no busy-timeout wait);
    app/sqlite.py ends the read-only transaction and takes the write lock instead."""
    from app.audit import AuditEvent
    from app.db import db

    with flask_app_context(shared) as flask_app, flask_app.test_request_context("/", method="GET"):
        before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
        other = sqlite3.connect(shared[1], isolation_level=None, timeout=30)
        other.execute("INSERT INTO audit_events (occurred_at, action, created_at, updated_at) "
                      "VALUES (datetime('now'), 'test.other', datetime('now'), datetime('now'))")
        other.close()
        db.session.execute(sa.insert(AuditEvent).values(action="test.get_side_write", occurred_at=sa.func.now(),
                                                        created_at=sa.func.now(), updated_at=sa.func.now()))
        db.session.commit()
        after = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
        db.session.remove()
    assert after == before + 2


class flask_app_context:  # noqa: N801 - used as a context manager
    def __init__(self, shared):
        self.app = shared[0]

    def __enter__(self):
        self.ctx = self.app.app_context()
        self.ctx.push()
        return self.app

    def __exit__(self, *exc):
        self.ctx.pop()


def test_concurrent_gets_that_write_view_events_and_posts_all_succeed(shared):
    flask_app, path, ids = shared
    clients = [_signed_in_client(flask_app, ids["worker"]) for _ in range(6)]
    pages = [f"/referrals/{ids['referral']}", "/referrals/mine", "/", "/todo",
             "/referrals/people?q=Amara"]

    def browse(client):
        statuses = []
        for _ in range(4):
            for page in pages:
                statuses.append((page, client.get(page).status_code))
        return statuses

    def write(client):
        statuses = []
        for i in range(6):
            response = client.post(f"/referrals/{ids['referral']}/contacts/new", data={
                "attended": "yes", "mode": "one_to_one", "occurred_on": ["5", "6", "2024"], "occurred_time": "10:00",
                "duration_minutes": "30",
                "notes": f"concurrent {i}"})
            statuses.append(("contact", response.status_code if response.status_code != 200 else "form refused"))
        return statuses

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(browse, c) for c in clients[:4]] + [pool.submit(write, c) for c in clients[4:]]
        results = [s for f in futures for s in f.result()]
    failures = [(page, status) for page, status in results if status >= 500]
    assert not failures, failures
    assert all(status in (200, 302) for _, status in results), results
    assert sum(1 for page, status in results if page == "contact") == 12


def test_sealers_in_read_transactions_under_concurrent_writers_keep_the_chain_intact(shared):
    """Several sealers, each in a GET's read-only transaction, while events keep arriving: each must read the head
    under the write lock, or two append after the same head (a duplicate number or a fork)."""
    from app.audit import AuditEvent
    from app.audit import chain
    from app.db import db

    flask_app, path, _ = shared
    stop = threading.Event()
    errors = []

    def add_events():
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO audit_events (occurred_at, action, created_at, updated_at) "
                             "VALUES (datetime('now'), 'test.concurrent', datetime('now'), datetime('now'))",
                             [()] * 5)
            conn.execute("COMMIT")
            time.sleep(0.005)  # requests come and go; a loop that never lets go would starve every other writer
        conn.close()

    def seal():
        try:
            for _ in range(15):
                with flask_app.app_context(), flask_app.test_request_context("/", method="GET"):
                    db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
                    chain.seal_pending()
                    db.session.remove()
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(repr(err))

    producers = [threading.Thread(target=add_events) for _ in range(2)]
    sealers = [threading.Thread(target=seal) for _ in range(3)]
    for t in producers + sealers:
        t.start()
    for t in sealers:
        t.join()
    stop.set()
    for t in producers:
        t.join()
    assert not errors, errors[:3]
    with flask_app.app_context():  # the CLI runs in the app context it finds: this app's, not the suite's
        result = flask_app.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 0, result.output
        assert "Audit chain intact" in result.output, result.output
        assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.seq.is_(None))).scalar_one() == 0
        db.session.remove()


def test_the_sealer_holds_the_write_lock_before_it_reads_the_head(shared):
    """In a read-only (GET) transaction the sealer's lock is SQLite's write lock, taken before the head is read: no
    other connection can append to or seal the chain between its reading the head and committing."""
    from app.audit import chain
    from app.db import db

    flask_app, path, _ = shared
    with flask_app.app_context(), flask_app.test_request_context("/", method="GET"):
        db.session.execute(sa.text("SELECT 1")).scalar_one()  # the GET's read-only transaction
        chain._take_seal_lock()
        chain.head()
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
            db.session.rollback()
            db.session.remove()
