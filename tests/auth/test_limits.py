"""Rate limits on every credential endpoint (issue 10, item 2): per account and address, per address across
accounts, on the second factor and on password change; and an attacker cannot keep the real user out."""
from __future__ import annotations

from app.db import db
from tests.conftest import TEST_PASSWORD, sign_in

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OFFICE = {"REMOTE_ADDR": "192.0.2.10"}


def _per(app, name: str) -> int:
    return int(app.config[name].split()[0])


def _guess(client, email, where=ATTACKER, password="a wrong password"):
    return client.post("/sign-in", data={"email": email, "password": password}, environ_overrides=where)


def test_guesses_at_one_account_from_one_address_get_a_429_in_plain_words(app, client, world):
    allowed = _per(app, "SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP")
    statuses = [_guess(client, world.worker_a.email).status_code for _ in range(allowed + 2)]
    assert statuses == [200] * allowed + [429, 429]
    refused = _guess(client, world.worker_a.email)
    text = refused.get_data(as_text=True)
    assert "Too many attempts" in text and "wait 15 minutes and then try again" in text
    assert "ask your administrator" in text and int(refused.headers["Retry-After"]) > 0
    # The same account from another address is answered as usual (its own allowance).
    assert _guess(client, world.worker_a.email, where=OFFICE).status_code == 200


def test_spraying_many_accounts_from_one_address_is_throttled(app, client, world):
    allowed = _per(app, "SIGN_IN_LIMIT_PER_IP")
    statuses = [_guess(client, f"person{i}@example.org").status_code for i in range(allowed + 1)]
    assert statuses.count(200) == allowed and statuses[-1] == 429
    # and it is the address that is throttled, not the accounts
    assert _guess(client, "person0@example.org", where=OFFICE).status_code == 200


def test_an_attacker_cannot_keep_the_real_user_out_of_their_usual_place(app, client, world):
    user = world.worker_a
    with app.test_client() as office:
        office.environ_base.update(OFFICE)
        assert office.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 302
        office.post("/sign-out")
    # Guesses from many addresses lock the account for everywhere else ...
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        _guess(client, user.email, where={"REMOTE_ADDR": f"198.51.100.{i + 1}"})
    db.session.refresh(user)
    assert user.locked_until is not None
    assert _guess(client, user.email, where={"REMOTE_ADDR": "198.51.100.200"}, password=TEST_PASSWORD
                  ).status_code == 200  # refused (the sign-in page again), not signed in
    # ... but the person at their usual desk still signs in.
    with app.test_client() as office:
        office.environ_base.update(OFFICE)
        response = office.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_second_factor_codes_are_limited(app, client, world):
    client.post("/sign-in", data={"email": world.admin.email, "password": TEST_PASSWORD}, environ_overrides=ATTACKER)
    allowed = _per(app, "SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP")
    statuses = [client.post("/sign-in/code", data={"code": "000000"}, environ_overrides=ATTACKER).status_code
                for _ in range(allowed + 1)]
    assert statuses.count(200) == allowed and statuses[-1] == 429


def test_password_change_is_limited(app, client, world):
    sign_in(client, world.worker_a)
    allowed = _per(app, "PASSWORD_CHANGE_LIMIT")
    statuses = [client.post("/account/password", data={"current_password": "not it at all",
                                                       "new_password": "another long passphrase 42",
                                                       "confirm": "another long passphrase 42"}).status_code
                for _ in range(allowed + 1)]
    assert statuses.count(200) == allowed and statuses[-1] == 429


def test_a_client_header_does_not_choose_the_address_that_is_counted(app, client, world):
    allowed = _per(app, "SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP")
    statuses = [client.post("/sign-in", data={"email": world.worker_a.email, "password": "wrong"},
                            headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(allowed + 1)]
    assert statuses[-1] == 429, "a made-up X-Forwarded-For escaped the limit"
