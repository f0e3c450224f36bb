"""The sign-in limiter holds across gunicorn workers (issue 10, item 2): two workers sharing Redis answer 429 at
exactly the limit, whichever worker each attempt reaches.

gunicorn runs wsgi:app with two workers on a free loopback port, a SQLite file of its own and REDIS_URL pointing at
this suite's own Redis database. Each attempt is a new connection (a fresh page for the CSRF token, then the POST),
and the access log names the worker (pid) that answered each POST.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REDIS_DB = 12  # this test's own Redis database
ATTEMPTS = 14
PER_CLIENT = 6
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare_database(path: Path) -> str:
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import Organisation, OrganisationKind
    from app.auth.roles import Role
    from app.auth.services import create_user
    from app.db import db

    url = f"sqlite:///{path}"
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        org = Organisation(name="Provider", kind=OrganisationKind.VCS_PROVIDER)
        db.session.add(org)
        create_user(email="target@example.org", full_name="Target", password=PASSWORD, role=Role.YOUTH_WORKER,
                    organisation=org)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def _attempt(base: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/sign-in", timeout=20).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": "target@example.org",
                                   "password": "a wrong password"}).encode()
    try:
        return opener.open(base + "/sign-in", data=body, timeout=20).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def redis_url():
    import redis

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    store = redis.Redis.from_url(url)
    try:
        store.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379")
    store.flushdb()
    yield url
    store.flushdb()


def test_two_gunicorn_workers_sharing_redis_refuse_at_exactly_the_limit(tmp_path, redis_url):
    url = _prepare_database(tmp_path / "workers.db")
    port = _free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "WAYPOINT_CONFIG": "development",
           "SECRET_KEY": "workers-test-" + "k" * 40, "SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP": f"{PER_CLIENT} per 15 minutes",
           "LOGIN_MAX_FAILURES": "100", "RATELIMIT_KEY_PREFIX": f"workers-test-{port}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--access-logfile", str(log),
         "--access-logformat", "%(p)s %(m)s %(s)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/sign-in", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        # Eight at a time (more than two workers can serve at once), so both workers take a share of the attempts.
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: _attempt(base), range(ATTEMPTS)))
    finally:
        server.terminate()
        server.wait(timeout=20)
    posts = [line.split() for line in log.read_text().splitlines() if " POST " in line]
    workers = {pid for pid, _, _ in posts}
    answered = sum(s == 200 for s in statuses)
    print(f"\nsign-in limit across 2 gunicorn workers (Redis): {ATTEMPTS} wrong passwords from one address, limit "
          f"{PER_CLIENT}: {answered} answered, {statuses.count(429)} refused with 429, served by {len(workers)} workers")
    assert answered == PER_CLIENT and statuses.count(429) == ATTEMPTS - PER_CLIENT, statuses
    assert len(workers) == 2, "every attempt reached one worker: the test proves nothing about sharing"
