"""Control 10: the app refuses to start in production with an unsafe configuration (SECURITY.md)."""
from __future__ import annotations

import secrets

import pytest

from app import create_app
from app.production import UnsafeConfiguration

GOOD = {"SECRET_KEY": secrets.token_urlsafe(48), "AUDIT_KEY": secrets.token_urlsafe(48)}


@pytest.fixture(scope="module", autouse=True)
def migrated_database(tmp_path_factory):
    """A database at the latest migration: the gate refuses any other."""
    from flask_migrate import upgrade

    from app.db import db

    url = f"sqlite:///{tmp_path_factory.mktemp('gate') / 'migrated.db'}"
    setup = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with setup.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    GOOD["SQLALCHEMY_DATABASE_URI"] = url
    yield url

CASES = [
    ("DEBUG on", {"DEBUG": True}, "DEBUG is on"),
    ("no secret", {"SECRET_KEY": None}, "SECRET_KEY is not set"),
    ("dev secret", {"SECRET_KEY": "dev-only-not-secret-change-me"}, "development default"),
    ("short secret", {"SECRET_KEY": "abcdefghij0123456789"}, "weak"),
    ("repetitive secret", {"SECRET_KEY": "ab" * 32}, "weak"),
    ("insecure cookie", {"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
    ("script-readable cookie", {"SESSION_COOKIE_HTTPONLY": False}, "HTTPONLY"),
    ("no samesite", {"SESSION_COOKIE_SAMESITE": None}, "SAMESITE"),
    ("csrf off", {"WTF_CSRF_ENABLED": False}, "CSRF"),
    ("no audit key", {"AUDIT_KEY": None}, "WAYPOINT_AUDIT_KEY is not set"),
    ("default audit key", {"AUDIT_KEY": "dev-only-audit-key-not-secret"}, "WAYPOINT_AUDIT_KEY is weak"),
    ("no HSTS", {"HSTS_SECONDS": 0}, "Strict-Transport-Security"),
    ("memory rate limits with 4 workers", {"RATELIMIT_STORAGE_URI": "memory://", "WAYPOINT_WORKERS": 4},
     "counted separately by each of the 4 workers"),
    ("unreachable database", {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://waypoint:secret@127.0.0.1:1/waypoint"},
     "the database cannot be reached at postgresql\\+psycopg://waypoint:\\*\\*\\*@127.0.0.1:1/waypoint"),
    ("unmigrated database", {"SQLALCHEMY_DATABASE_URI": "sqlite://"},
     "not up to date \\(it is at migration none, this version needs 0"),
]


@pytest.mark.parametrize("name,override,message", CASES, ids=[c[0] for c in CASES])
def test_refuses_to_start(name, override, message):
    with pytest.raises(UnsafeConfiguration, match=message):
        create_app("production", {**GOOD, **override})


def test_starts_when_safe_and_counts_the_refusals():
    app = create_app("production", GOOD)
    assert app.config["SESSION_COOKIE_SECURE"] and not app.debug
    hsts = app.test_client().get("/sign-in").headers.get("Strict-Transport-Security", "")
    assert hsts.startswith("max-age=31536000")
    print(f"\nproduction gate: refuses {len(CASES) + 1} of {len(CASES) + 1} unsafe configurations "
          "(incl. demo accounts); starts when safe")


def test_refuses_when_demo_accounts_are_in_the_database(tmp_path):
    from flask_migrate import upgrade

    from app.db import db
    from tests.factories import OrganisationFactory  # noqa: F401

    url = f"sqlite:///{tmp_path / 'prod.db'}"
    setup = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with setup.app_context():
        upgrade()
        from app.auth.models import Organisation, OrganisationKind
        from app.auth.roles import Role
        from app.auth.services import create_user

        org = Organisation(name="VRU", kind=OrganisationKind.VRU)
        db.session.add(org)
        create_user(email="admin@example.org", full_name="Demo", password="x" * 12, role=Role.ADMIN,
                    organisation=org, is_demo=True)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    with pytest.raises(UnsafeConfiguration, match="demo accounts"):
        create_app("production", {**GOOD, "SQLALCHEMY_DATABASE_URI": url})


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


def test_an_older_database_is_refused_until_upgraded(tmp_path):
    from flask_migrate import upgrade

    from app.db import db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    setup = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with setup.app_context():
        upgrade(revision="0006")
        db.session.remove()
        db.engine.dispose()
    with pytest.raises(UnsafeConfiguration, match="it is at migration 0006.*run `flask --app wsgi db upgrade`"):
        create_app("production", {**GOOD, "SQLALCHEMY_DATABASE_URI": url})
