"""A long check or import runs outside the request on SQLite as on PostgreSQL: the page comes back at once and
shows the rows done so far while the work goes on; a server that stops mid-import leaves nothing saved, and the
page then says the work was interrupted. Against a database of its own with real commits (the background
thread has its own connection, so the suite's one-transaction-per-test cannot be used)."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.imports.models import RunStatus

ROOT = Path(__file__).resolve().parents[2]


def _database() -> str:
    from tests.conftest import separate_database

    return separate_database("import_bg")


def _app(url: str):
    from app import create_app
    from tests.conftest import CSRFClient

    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url, "IMPORT_IN_BACKGROUND": True})
    app.test_client_class = CSRFClient
    return app


def _seed(app, folder: Path, people: int):
    """The bench's provider world, its mapping saved, and an uploaded casework file of `people` people."""
    from flask_migrate import upgrade

    from app.db import db
    from app.imports import services
    from bench.casefile import write_casefile
    from bench.import_setup import bench_mapping, seed_world
    from tests.conftest import TEST_PASSWORD
    from tests.factories import password_hash

    with app.app_context():
        upgrade()
        world = seed_world(password_hash(TEST_PASSWORD))
        mapping = bench_mapping()
        services.save_mapping(world.officer, world.provider, columns=mapping.columns, values=mapping.values,
                              defaults=mapping.defaults)
        made = write_casefile(folder / "casework.csv", [s.name for s in world.sites], people=people)
        run = services.start_run(world.officer, world.provider, made.path.name, made.path.read_bytes())
        db.session.commit()
        ids = (world.officer.id, run.id)
        db.session.remove()
    return ids, made


def _counts(app) -> tuple[int, int]:
    from app.db import db
    from app.referrals.models import Contact, Referral

    with app.app_context():
        got = tuple(db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                    for m in (Referral, Contact))
        db.session.remove()
    return got


def _run_status(app, run_id: int) -> RunStatus:
    from app.db import db
    from app.imports.models import ImportRun

    with app.app_context():
        status = db.session.get(ImportRun, run_id).status
        db.session.remove()
    return status


def _signed_in(app, officer_id: int):
    """A browser signed in as the officer. (Requests made later run outside any app context of the test's, each
    with its own, as in a server: a context held open here would keep its SQLite transaction open.)"""
    from app.auth.models import User
    from app.db import db
    from tests.conftest import sign_in

    client = app.test_client()
    with app.app_context():
        sign_in(client, db.session.get(User, officer_id))
        db.session.remove()
    return client


def _dispose(app) -> None:
    from app.db import db

    with app.app_context():
        db.engine.dispose()


def _hold_the_check(monkeypatch):
    """Make the background check stop at its first progress report (1,000 rows) until released."""
    from app.imports import services

    reached, release = threading.Event(), threading.Event()
    original = services.check

    def check(actor, organisation, mapping, rows, progress=None, headers=None):
        def report(stage, n):
            progress(stage, n)
            reached.set()
            assert release.wait(60)
        return original(actor, organisation, mapping, rows, report, headers)

    monkeypatch.setattr(services, "check", check)
    return reached, release


def _wait_until_done(client, run_id: int) -> str:
    for _ in range(600):
        response = client.get(f"/imports/{run_id}")
        if "Refresh" not in response.headers:
            return response.get_data(as_text=True)
        time.sleep(0.1)
    raise AssertionError("the background work did not finish")


@pytest.fixture
def outside():
    """Some other app's context pushed, as the suite's own app's is: every request of the app under test then runs
    in an app context of its own, as in a server (the test client reuses a context of the same app)."""
    with Flask("outside").app_context():
        yield


def test_check_and_import_run_in_the_background_with_progress(monkeypatch, tmp_path, outside):
    url = _database()
    app = _app(url)
    (officer_id, run_id), made = _seed(app, tmp_path, people=250)
    before = _counts(app)
    client = _signed_in(app, officer_id)

    reached, release = _hold_the_check(monkeypatch)
    assert client.post(f"/imports/{run_id}/check").status_code == 302  # back at once, the work goes on
    assert reached.wait(60)
    page = client.get(f"/imports/{run_id}")
    text = page.get_data(as_text=True)
    assert page.headers.get("Refresh") == "2" and "Checking the file" in text
    assert "Checked 1,000 rows so far" in text
    assert _run_status(app, run_id) is RunStatus.CHECKING
    release.set()
    text = _wait_until_done(client, run_id)
    assert _run_status(app, run_id) is RunStatus.CHECKED
    assert f"Import {made.referrals:,} referrals" in text

    reached.clear()
    release.clear()
    assert client.post(f"/imports/{run_id}/import").status_code == 302
    assert reached.wait(60)
    text = client.get(f"/imports/{run_id}").get_data(as_text=True)
    assert "Importing the file" in text and "Checked 1,000 rows so far" in text
    assert _counts(app) == before  # nothing is visible until everything is saved
    release.set()
    text = _wait_until_done(client, run_id)
    assert _run_status(app, run_id) is RunStatus.IMPORTED and "Imported" in text
    assert _counts(app) == (before[0] + made.referrals, before[1] + made.contacts)
    _dispose(app)


CRASHING_SERVER = """
import os, sys, time
from app import create_app
from app.auth.models import User
from app.db import db
from app.imports import progress, writing

app = create_app("test", {"SQLALCHEMY_DATABASE_URI": sys.argv[1], "IMPORT_IN_BACKGROUND": True})
original = writing.Writer.write_events

def write_events(self, rows, report):
    # Part of the sessions are written (inside the import's transaction): then the server dies.
    def then_die(n):
        if n >= 1000:
            print("dying", flush=True)
            os._exit(9)
    return original(self, rows, then_die)

writing.Writer.write_events = write_events
with app.app_context():
    progress.start(app, int(sys.argv[2]), int(sys.argv[3]), "import")
time.sleep(120)
"""


def test_a_server_stopped_mid_import_saves_nothing_and_says_so(tmp_path, outside):
    url = _database()
    app = _app(url)
    (officer_id, run_id), made = _seed(app, tmp_path, people=250)
    before = _counts(app)
    done = subprocess.run([sys.executable, "-c", CRASHING_SERVER, url, str(officer_id), str(run_id)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert "dying" in done.stdout, done.stderr[-3000:]
    assert done.returncode == 9
    assert _counts(app) == before  # all or nothing: the sessions written before it died are gone
    assert _run_status(app, run_id) is RunStatus.IMPORTING  # what the dead server left behind
    client = _signed_in(app, officer_id)
    text = client.get(f"/imports/{run_id}").get_data(as_text=True)
    assert "stopped before it finished" in text and "Nothing was saved" in text
    assert "could not be imported" in text
    assert _run_status(app, run_id) is RunStatus.UPLOADED  # so it can be checked and imported again
    _dispose(app)


def test_a_double_click_on_upload_makes_one_import_run(monkeypatch, tmp_path, outside):
    """Two posts of the same upload form at the same moment (one browser, one form token), each request in its
    own thread with its own connection, as in a server: the second waits for the first's claim and lands on the
    run it made."""
    import re

    from app.imports import services

    url = _database()
    app = _app(url)
    (officer_id, _run_id), made = _seed(app, tmp_path, people=5)
    first = _signed_in(app, officer_id)
    second = app.test_client()
    for cookie in first._cookies.values():  # the same browser: the same session
        second.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    page = first.get("/imports/").get_data(as_text=True)
    token = re.search(r'name="idempotency_token"[^>]*value="([^"]+)"', page).group(1)
    organisation = re.search(r'<option value="(\d+)"', page).group(1)
    original = services.start_run

    def slow_start_run(*args, **kwargs):
        run = original(*args, **kwargs)
        time.sleep(0.5)  # the first is still saving when the second arrives
        return run

    monkeypatch.setattr(services, "start_run", slow_start_run)
    before = len(_runs(app))
    barrier, answers = threading.Barrier(2), []

    def post(client):
        with Flask("outside").app_context(), open(made.path, "rb") as handle:  # as the `outside` fixture, per thread
            data = {"organisation_id": organisation, "idempotency_token": token, "csrf_token": client.csrf_token(),
                    "file": (handle, made.path.name)}
            barrier.wait(10)
            answers.append(client.post("/imports/", data=data, content_type="multipart/form-data"))

    threads = [threading.Thread(target=post, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    runs = _runs(app)
    assert len(runs) == before + 1 and f"/imports/{runs[-1]}/columns" in answers[0].headers["Location"]
    _dispose(app)


def _runs(app) -> list[int]:
    from app.db import db
    from app.imports.models import ImportRun

    with app.app_context():
        ids = list(db.session.execute(sa.select(ImportRun.id).order_by(ImportRun.id)).scalars())
        db.session.remove()
    return ids
