"""Test harness (DESIGN.md §5).

The database is built once per session by running the migrations (never create_all), on SQLite by
default or on PostgreSQL when WAYPOINT_TEST_DB=postgres (TEST_DATABASE_URL). Each test runs inside a
transaction that is rolled back; the app's own commits only release a SAVEPOINT.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm)
from flask.testing import FlaskClient

import config

TEST_PASSWORD = "correct horse battery staple"


def database_url_for_tests(tmp_root: Path) -> str:
    if config.test_target() == "postgres":
        url = config.test_database_url()
        if not url:
            pytest.exit("WAYPOINT_TEST_DB=postgres needs TEST_DATABASE_URL", returncode=2)
        return url
    return f"sqlite:///{tmp_root / 'waypoint-test.db'}"


def reset_database(url: str) -> None:
    """Start from an empty schema so the migrations build everything."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def separate_database(name: str) -> str:
    """An empty database of the kind under test, apart from the session's (for a test that runs the app in another
    process): on PostgreSQL the test database's name with `_name` added, on SQLite a file in a new folder."""
    if config.test_target() == "postgres":
        base = sa.engine.make_url(config.test_database_url())
        url = base.set(database=f"{base.database}_{name}").render_as_string(hide_password=False)
        ensure_postgres_database(url)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix=f'waypoint-{name}-')) / f'{name}.db'}"
    reset_database(url)
    return url


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL if it does not exist yet."""
    u = sa.engine.make_url(url)
    admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from app import create_app

    tmp_root = Path(tempfile.mkdtemp(prefix="waypoint-tests-"))
    url = database_url_for_tests(tmp_root)
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    reset_database(url)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = CSRFClient
    with app.app_context():
        upgrade()
        yield app
        from app.db import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _db_transaction(request):
    """Wrap each test that uses the app in a transaction that is rolled back afterwards."""
    if "app" not in request.fixturenames:
        yield None
        return
    request.getfixturevalue("app")  # the database exists and is migrated
    from app.db import db

    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    factory = sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.session = _OneSessionPerTest(factory, scopefunc=lambda: 0)
    try:
        yield db.session
    finally:
        _OneSessionPerTest.close_for_good(db.session)
        db.session = original
        outer.rollback()
        connection.close()


class _OneSessionPerTest(sa.orm.scoped_session):
    """Test code and the requests it makes share one session on one connection (so fixtures stay
    attached); Flask-SQLAlchemy's end-of-request remove() is ignored until the test ends."""

    def remove(self):
        self.registry().expire_all()

    @staticmethod
    def close_for_good(session):
        sa.orm.scoped_session.remove(session)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Every test starts with no rate-limit counts (the suite signs in from one address many times)."""
    if "app" in request.fixturenames:
        from app.limits import reset

        reset()
    yield


@pytest.fixture
def db_session(app, _db_transaction):
    return _db_transaction


_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class CSRFClient(FlaskClient):
    """A test client that adds the CSRF token to form posts, as a browser would (CSRF stays on)."""

    def csrf_token(self) -> str:
        page = self.get("/", follow_redirects=True)
        match = _TOKEN.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the home or sign-in page"
        return match.group(1) or match.group(2)

    def open(self, *args, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        data = kwargs.get("data")
        no_token = kwargs.pop("no_csrf", False)
        if method in ("POST", "PUT", "PATCH", "DELETE") and not no_token and kwargs.get("json") is None:
            if data is None:
                data = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                data = {**data, "csrf_token": self.csrf_token()}
                kwargs["data"] = data
        # The suite keeps an app context pushed, which Flask reuses for requests; give each request a
        # clean `g` so nothing (signed-in user, CSRF token) carries over as it could not in production.
        from flask import g

        saved = dict(g.__dict__)
        g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            g.__dict__.clear()
            g.__dict__.update(saved)


@pytest.fixture
def client(app):
    return app.test_client()


def totp_code(secret: str, user=None) -> str:
    """The code an authenticator app would show now; the next step's if this one was already used."""
    import time

    import pyotp

    from app.auth.two_factor import STEP

    step = int(time.time() // STEP)
    if user is not None and user.totp_last_step is not None and user.totp_last_step >= step:
        step = user.totp_last_step + 1
    return pyotp.TOTP(secret).at(step * STEP)


def sign_in(client, user, password: str = TEST_PASSWORD):
    """Sign in as a browser would, completing the second factor (or its first-time set-up) when asked."""
    from app.db import db

    response = client.post("/sign-in", data={"email": user.email, "password": password})
    assert response.status_code == 302, f"sign-in failed for {user.email}: {response.status_code}"
    if response.headers["Location"].endswith("/sign-in/code"):
        db.session.refresh(user)
        response = client.post("/sign-in/code", data={"code": totp_code(user.totp_secret, user)})
        assert response.status_code == 302 and "/sign-in" not in response.headers["Location"], \
            f"second factor failed for {user.email}"
    if response.headers["Location"].endswith("/account/two-factor"):
        page = client.get("/account/two-factor").get_data(as_text=True)
        secret = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        response = client.post("/account/two-factor", data={"code": totp_code(secret)})
        assert response.status_code == 302, f"second-factor set-up failed for {user.email}"
        db.session.refresh(user)
    return response


@pytest.fixture
def world(app, db_session):
    """Two providers, each with a worker, a manager, a person and a referral; VRU staff of every role."""
    from tests.factories import build_world

    return build_world()
