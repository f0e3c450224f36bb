"""Scale out: two app servers (gunicorn, separate processes, different ports) on one database keep no state
of their own — a session made on one works on the other, signing out on one ends it on both, and failed
sign-ins count towards one lockout whichever server they reach. Real HTTP, real processes, a database of
its own (PostgreSQL when the suite runs there, else a SQLite file both servers open)."""
from __future__ import annotations

import http.cookies
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

import config

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "two servers share one database 42"


class Browser:
    """Cookies kept by hand: production cookies are Secure, which urllib's jar will not send over HTTP."""

    def __init__(self):
        self.cookies = http.cookies.SimpleCookie()
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, url, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        header = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        req = urllib.request.Request(url, data=body, headers={"Cookie": header} if header else {})
        try:
            with self.opener.open(req, timeout=30) as r:
                status, headers, text = r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            status, headers, text = e.code, e.headers, e.read().decode()
        for value in headers.get_all("Set-Cookie") or []:
            self.cookies.load(value)
        return status, headers.get("Location", ""), text

    def post_form(self, base, path, data):
        _, _, page = self.request(base + path if path.startswith("/sign-in") else base + "/")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self.request(base + path, {**data, "csrf_token": token})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import Organisation, User
    from app.auth.passwords import hash_password
    from app.auth.roles import Role
    from app.db import db
    from tests.conftest import ensure_postgres_database, reset_database

    if config.test_target() == "postgres":
        url = str(sa.engine.make_url(config.test_database_url()).set(
            database=sa.engine.make_url(config.test_database_url()).database + "_two_servers")
            .render_as_string(hide_password=False))
        ensure_postgres_database(url)
        reset_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('two-servers') / 'shared.db'}"
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "DEBUG": False})
    with app.app_context():
        upgrade()
        org = Organisation(name="Shared Provider", kind="vcs_provider")
        db.session.add(org)
        db.session.flush()
        for email in ("shared.worker@example.org", "locked.worker@example.org"):
            db.session.add(User(email=email, full_name="Shared Worker", role=Role.YOUTH_WORKER,
                                organisation_id=org.id, password_hash=hash_password(PASSWORD)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


@pytest.fixture(scope="module")
def two_servers(shared_database):
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        pytest.fail("gunicorn is not installed in .venv (make setup)")
    env = {**os.environ, "WAYPOINT_CONFIG": "production", "DATABASE_URL": shared_database,
           "SECRET_KEY": secrets.token_urlsafe(48), "WAYPOINT_AUDIT_KEY": secrets.token_urlsafe(48)}
    procs, bases = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                                       "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env,
                                      start_new_session=True, stdout=sys.stderr))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            for _ in range(120):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.25)
            else:
                pytest.fail(f"gunicorn at {base} did not start")
        yield bases
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=20)


def _sign_in(browser, base, password=PASSWORD, email="shared.worker@example.org"):
    return browser.post_form(base, "/sign-in", {"email": email, "password": password})


def _signed_in(status, location) -> bool:
    return status == 302 and "/sign-in" not in location


def test_a_session_made_on_one_server_works_on_the_other_and_ends_on_both(two_servers):
    a, b = two_servers
    browser = Browser()
    assert _signed_in(*_sign_in(browser, a)[:2])
    assert browser.request(b + "/referrals/mine")[0] == 200, "server B did not know server A's session"
    assert browser.request(a + "/referrals/mine")[0] == 200
    status, _, _ = browser.post_form(b, "/sign-out", {})
    assert status == 302
    status, location, _ = browser.request(a + "/referrals/mine")
    assert status == 302 and "/sign-in" in location, "signing out on B left the session alive on A"


def test_failed_sign_ins_count_towards_one_lockout_across_servers(two_servers):
    a, b = two_servers
    limit = config.Base.LOGIN_MAX_FAILURES
    email = "locked.worker@example.org"
    for attempt in range(limit):
        status, location, _ = _sign_in(Browser(), (a, b)[attempt % 2], password="not the password", email=email)
        assert not _signed_in(status, location)
    # The right password is now refused on both servers: each counted the other's failures.
    for base in (a, b):
        assert not _signed_in(*_sign_in(Browser(), base, email=email)[:2]), f"{base} let a locked account in"
