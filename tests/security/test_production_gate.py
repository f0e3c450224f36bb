"""Control 10: the app refuses to start in production with an unsafe configuration (SECURITY.md)."""
from __future__ import annotations

import secrets

import pytest

from app import create_app
from app.production import UnsafeConfiguration

GOOD = {"SECRET_KEY": secrets.token_urlsafe(48), "SQLALCHEMY_DATABASE_URI": "sqlite://"}

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
]


@pytest.mark.parametrize("name,override,message", CASES, ids=[c[0] for c in CASES])
def test_refuses_to_start(name, override, message):
    with pytest.raises(UnsafeConfiguration, match=message):
        create_app("production", {**GOOD, **override})


def test_starts_when_safe_and_counts_the_refusals():
    app = create_app("production", GOOD)  # in-memory database, not migrated: the demo check is skipped
    assert app.config["SESSION_COOKIE_SECURE"] and not app.debug
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
