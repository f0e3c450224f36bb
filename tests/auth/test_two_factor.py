"""Control 4: TOTP second factor, required for programme office, finance and admin (SECURITY.md §4)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
import time_machine

from app.audit import AuditEvent
from app.auth import services
from app.auth.roles import TWO_FACTOR_REQUIRED, Role
from app.db import db
from tests.conftest import TEST_PASSWORD, sign_in, totp_code


def _password(client, user):
    return client.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD})


def _actions():
    return [a for (a,) in db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id))]


def test_password_alone_does_not_sign_in_an_enrolled_user(client, world):
    response = _password(client, world.programme_office)
    assert response.headers["Location"].endswith("/sign-in/code")
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/sign-in/code", data={"code": "000000"})
    assert "Enter the 6-digit code shown in your authenticator app now" in wrong.get_data(as_text=True)
    ok = client.post("/sign-in/code", data={"code": totp_code(world.programme_office.totp_secret)})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert {"auth.password_accepted", "auth.two_factor_failed", "auth.signed_in"} <= set(_actions())


def test_a_code_cannot_be_replayed(client, world, app):
    user = world.finance
    with time_machine.travel(datetime(2025, 1, 13, 9, 0, 5), tick=False):
        code = pyotp.TOTP(user.totp_secret).now()
        _password(client, user)
        assert client.post("/sign-in/code", data={"code": code}).headers["Location"] == "/"
        client.post("/sign-out")
        _password(client, user)
        replay = client.post("/sign-in/code", data={"code": code})
        assert replay.status_code == 200 and client.get("/").status_code == 302


def test_wrong_codes_count_towards_lockout(client, world, app):
    _password(client, world.admin)
    for i in range(app.config["LOGIN_MAX_FAILURES"]):  # from several addresses: each has its own limit too
        client.post("/sign-in/code", data={"code": "123456"}, environ_overrides={"REMOTE_ADDR": f"198.51.100.{i}"})
    db.session.refresh(world.admin)
    assert world.admin.locked_until is not None
    good = client.post("/sign-in/code", data={"code": totp_code(world.admin.totp_secret, world.admin)})
    assert good.status_code == 200, "a locked account got in with a right code"


def test_code_step_times_out(client, world):
    with time_machine.travel(datetime(2025, 1, 13, 9, 0), tick=False) as traveller:
        _password(client, world.programme_office)
        traveller.shift(timedelta(minutes=6))
        response = client.post("/sign-in/code", data={"code": totp_code(world.programme_office.totp_secret)})
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


def test_required_roles_must_enrol_before_reaching_anything(app, client, world):
    required = 0
    for role in Role:
        user = world.users_by_role[role]
        user.totp_secret = None
        db.session.flush()
        response = _password(client, user)
        if role in TWO_FACTOR_REQUIRED:
            required += 1
            assert response.headers["Location"].endswith("/account/two-factor"), role
            for path in ("/", "/programmes/", "/account", "/account/password"):
                r = client.get(path)
                assert r.status_code == 302 and r.headers["Location"].endswith("/account/two-factor"), (role, path)
            page = client.get("/account/two-factor").get_data(as_text=True)
            assert 'src="data:image/svg+xml' in page, "QR code must be drawn locally as inline data"
            assert "<script>" not in page and "http" not in re.sub(r'xmlns[^ ]*|https?://www\.w3\.org[^"\']*', "", page.split("<main")[1]).split("</main>")[0]
            secret = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
            bad = client.post("/account/two-factor", data={"code": "999999"})
            assert "That code did not match" in bad.get_data(as_text=True)
            done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
            assert done.status_code == 302
            assert client.get("/").status_code == 200
            db.session.refresh(user)
            assert user.totp_secret == secret
        else:
            assert response.headers["Location"] == "/"
            assert client.get("/").status_code == 200
        client.post("/sign-out")
    print(f"\ntwo-factor: {required} roles forced to enrol before anything else; {len(Role) - required} offered it")


def test_everyone_is_offered_it_and_only_optional_users_can_turn_it_off(client, world):
    sign_in(client, world.worker_a)
    page = client.get("/account").get_data(as_text=True)
    assert "Not set up" in page
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    db.session.refresh(world.worker_a)
    assert world.worker_a.two_factor_enabled
    client.post("/account/two-factor/turn-off")
    db.session.refresh(world.worker_a)
    assert not world.worker_a.two_factor_enabled
    # A programme-office account cannot drop its second factor.
    client.post("/sign-out")
    sign_in(client, world.programme_office)
    client.post("/account/two-factor/turn-off")
    db.session.refresh(world.programme_office)
    assert world.programme_office.two_factor_enabled


def test_admin_reset_is_the_recovery_route(client, world):
    services.reset_two_factor(world.admin, world.finance)
    db.session.commit()
    assert _password(client, world.finance).headers["Location"].endswith("/account/two-factor")


def test_demo_code_cli_only_for_demo_accounts(app, world):
    import pyotp

    from app.db import db

    runner = app.test_cli_runner()
    world.programme_office.is_demo = True
    db.session.flush()
    result = runner.invoke(args=["users", "demo-code", "--email", world.programme_office.email])
    assert result.exit_code == 0, result.output
    assert pyotp.TOTP(world.programme_office.totp_secret).verify(result.output.strip(), valid_window=1)
    refused = runner.invoke(args=["users", "demo-code", "--email", world.finance.email])
    assert refused.exit_code != 0 and "Only demo accounts" in refused.output


def test_demo_code_cli_enrols_a_demo_account_without_a_phone(app, world):
    import pyotp

    runner = app.test_cli_runner()
    world.admin.is_demo = True
    world.admin.totp_secret = None
    from app.db import db

    db.session.flush()
    result = runner.invoke(args=["users", "demo-code", "--email", world.admin.email])
    assert result.exit_code == 0, result.output
    assert world.admin.totp_secret
    assert pyotp.TOTP(world.admin.totp_secret).verify(result.output.strip().splitlines()[-1], valid_window=1)


def test_demo_code_cli_refuses_an_account_that_needs_no_second_factor(app, world):
    from app.db import db

    runner = app.test_cli_runner()
    world.worker_a.is_demo = True
    world.worker_a.totp_secret = None
    db.session.flush()
    refused = runner.invoke(args=["users", "demo-code", "--email", world.worker_a.email])
    assert refused.exit_code != 0 and "does not need a security code" in refused.output
    assert world.worker_a.totp_secret is None  # not silently switched on
