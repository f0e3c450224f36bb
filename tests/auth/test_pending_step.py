"""The "password accepted" step is held on the server and single-use (issue 10, item 6): a copy of the browser's
cookie taken after the password step cannot be replayed once the sign-in has completed, nor after a newer
password step for the same account."""
from __future__ import annotations

from app.db import db
from tests.conftest import TEST_PASSWORD, totp_code


def _password(client, user):
    response = client.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"].endswith("/sign-in/code")


def _code(client, user):
    db.session.refresh(user)
    return client.post("/sign-in/code", data={"code": totp_code(user.totp_secret, user)})


def test_a_copied_password_step_cannot_be_replayed_after_the_sign_in(app, client, world):
    user = world.programme_office
    _password(client, user)
    copied = client.get_cookie("session").value
    assert _code(client, user).headers["Location"] == "/"
    client.post("/sign-out")
    with app.test_client() as thief:
        thief.set_cookie("session", copied)
        response = _code(thief, user)
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
        assert thief.get("/").status_code == 302, "the replayed password step signed someone in"


def test_a_newer_password_step_replaces_the_older_one(app, client, world):
    user = world.programme_office
    _password(client, user)
    with app.test_client() as other:
        _password(other, user)
        response = _code(client, user)
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
        assert _code(other, user).headers["Location"] == "/"
