from __future__ import annotations

import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db
from tests.conftest import TEST_PASSWORD, sign_in


def _events(action):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_correct_password_signs_in_and_lands_home(client, world):
    response = sign_in(client, world.worker_a)
    assert response.headers["Location"].endswith("/")
    page = client.get("/").get_data(as_text=True)
    assert world.worker_a.full_name in page and "Provider A" in page
    assert len(_events("auth.signed_in")) == 1


def test_wrong_password_and_unknown_user_get_the_same_message(client, world):
    wrong = client.post("/sign-in", data={"email": world.worker_a.email, "password": "not the password"})
    unknown = client.post("/sign-in", data={"email": "nobody@example.org", "password": "not the password"})
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Enter a correct email address and password" in response.get_data(as_text=True)
    assert len(_events("auth.sign_in_failed")) == 2


def test_blank_and_malformed_input_give_field_messages(client, world):
    page = client.post("/sign-in", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "Enter your email address" in page and "Enter your password" in page
    page = client.post("/sign-in", data={"email": "not-an-email", "password": "x"}).get_data(as_text=True)
    assert "Enter an email address in the correct format" in page


def test_lockout_after_repeated_failures_is_counted_in_the_database(client, world, app):
    """Guesses from many addresses (each under its own per-address limit) lock the account at LOGIN_MAX_FAILURES."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    for i in range(limit):
        client.post("/sign-in", data={"email": world.worker_a.email, "password": "wrong password!"},
                    environ_overrides={"REMOTE_ADDR": f"198.51.100.{i + 1}"})
    db.session.refresh(world.worker_a)
    assert world.worker_a.locked_until is not None
    # Even the right password is refused while locked, with the same message.
    response = client.post("/sign-in", data={"email": world.worker_a.email, "password": TEST_PASSWORD},
                           environ_overrides={"REMOTE_ADDR": "198.51.100.250"})
    assert response.status_code == 200 and "Enter a correct email address" in response.get_data(as_text=True)


def test_disabled_account_cannot_sign_in(client, world):
    world.worker_a.active = False
    db.session.flush()
    response = client.post("/sign-in", data={"email": world.worker_a.email, "password": TEST_PASSWORD})
    assert response.status_code == 200


def test_sign_out_ends_the_session(client, world):
    sign_in(client, world.worker_a)
    assert client.post("/sign-out").status_code == 302
    assert client.get("/").status_code == 302


def test_post_without_csrf_token_is_rejected(client, world):
    response = client.post("/sign-in", data={"email": world.worker_a.email, "password": TEST_PASSWORD},
                           no_csrf=True)
    assert response.status_code == 400


def test_open_redirect_is_refused(client, world):
    response = client.post("/sign-in?next=https://evil.example/", data={"email": world.worker_a.email,
                                                                         "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/"


def test_password_policy():
    from app.auth.passwords import password_problem

    assert "at least 12" in password_problem("short")
    assert "too common" in password_problem("password1234")
    assert password_problem("a long unusual passphrase") is None


def test_hash_is_argon2id(app):
    from app.auth.passwords import hash_password, verify_password

    h = hash_password("a long unusual passphrase")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "a long unusual passphrase")
    assert not verify_password(h, "something else entirely")
    assert not verify_password(None, "anything")
