"""Control 5: server-side, revocable sessions with idle and absolute timeouts (SECURITY.md §5)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.auth import services
from app.auth.models import UserSession
from app.auth.sessions import SESSION_KEY, _hash
from app.db import db
from tests.conftest import sign_in

START = datetime(2025, 1, 13, 9, 0)


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def _live_sessions(user) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None))).scalar_one()


def test_sign_in_mints_a_new_session_id_so_a_planted_one_is_useless(client, world):
    with client.session_transaction() as s:
        s[SESSION_KEY] = "planted-by-an-attacker"
        s["csrf_token"] = "planted-token"
    sign_in(client, world.worker_a)
    with client.session_transaction() as s:
        sid = s[SESSION_KEY]
        assert sid != "planted-by-an-attacker" and s.get("csrf_token") != "planted-token"
    row = db.session.execute(sa.select(UserSession).where(UserSession.token_hash == _hash(sid))).scalar_one()
    assert row.user_id == world.worker_a.id and row.revoked_at is None
    # Only the hash is stored: the table cannot be replayed as cookies.
    assert db.session.execute(sa.select(UserSession).where(UserSession.token_hash == sid)).first() is None
    print("\nsessions: new id at sign-in; planted id rejected; only hashes stored")


def test_idle_timeout_is_a_setting(app, client, world):
    idle = app.config["SESSION_IDLE_MINUTES"]
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, world.worker_a)
        traveller.shift(timedelta(minutes=idle - 1))
        assert _signed_in(client)
        traveller.shift(timedelta(minutes=idle - 1))  # still inside: the last request reset the clock
        assert _signed_in(client)
        traveller.shift(timedelta(minutes=idle + 1))
        response = client.get("/")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "had not used Waypoint for a while" in page
    print(f"\nsessions: idle timeout {idle} min holds")


def test_absolute_lifetime_ends_even_a_busy_session(app, client, world):
    hours = app.config["SESSION_ABSOLUTE_HOURS"]
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, world.worker_a)
        for _ in range(hours * 3 - 1):  # a request every 20 minutes, all day
            traveller.shift(timedelta(minutes=20))
            assert _signed_in(client)
        traveller.shift(timedelta(minutes=25))
        assert not _signed_in(client)
    print(f"\nsessions: absolute lifetime {hours} h holds")


@pytest.fixture
def second_client(app):
    return app.test_client()


def test_sign_out_ends_every_session_and_a_copied_cookie_is_dead(client, second_client, world):
    sign_in(client, world.worker_a)
    sign_in(second_client, world.worker_a)
    with client.session_transaction() as s:
        stolen = dict(s)
    assert _live_sessions(world.worker_a) == 2
    client.post("/sign-out")
    assert not _signed_in(second_client)
    with client.session_transaction() as s:
        s.update(stolen)
    assert not _signed_in(client), "a cookie copied before sign-out still works"
    assert _live_sessions(world.worker_a) == 0


def test_password_change_ends_other_sessions_but_keeps_this_one(client, second_client, world):
    sign_in(client, world.worker_a)
    sign_in(second_client, world.worker_a)
    response = client.post("/account/password", data={
        "current_password": "correct horse battery staple", "new_password": "a brand new long passphrase",
        "confirm": "a brand new long passphrase"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _signed_in(client)
    assert not _signed_in(second_client)
    assert _live_sessions(world.worker_a) == 1


def test_disabling_an_account_ends_its_sessions(client, world):
    sign_in(client, world.worker_a)
    assert _signed_in(client)
    services.set_active(world.admin, world.worker_a, False)
    db.session.commit()
    assert not _signed_in(client)
    assert _live_sessions(world.worker_a) == 0


def test_session_figures(app, client, second_client, world):
    """One figure for the CI log: every way a session must end, ended."""
    cases = 0
    for action in ("sign_out", "password", "disable", "reset_2fa"):
        user = {"sign_out": world.worker_a, "password": world.worker_a2, "disable": world.manager_a,
                "reset_2fa": world.programme_office}[action]
        sign_in(second_client, user)
        sign_in(client, user)
        if action == "sign_out":
            client.post("/sign-out")
        elif action == "password":
            services.change_password(user, "correct horse battery staple", "another long passphrase here")
        elif action == "disable":
            services.set_active(world.admin, user, False)
        else:
            services.reset_two_factor(world.admin, user)
        db.session.commit()
        assert not _signed_in(second_client), action
        cases += 1
    print(f"\nsessions: {cases} of 4 revocation paths end every other session")
