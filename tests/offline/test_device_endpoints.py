"""The offline app's server side (issue 14): shells, service worker, manifest, the key and caseload hand-over,
wipe signals (sign-out, revocation) — with the test client, CSRF on."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db, utcnow
from app.offline import services
from app.offline.models import OfflineDevice
from tests.conftest import sign_in

DEVICE = "d" * 48


def _csrf(client) -> str:
    response = client.get("/offline/csrf")
    assert response.status_code == 200
    return response.get_json()["csrf_token"]


def _state(client, device_id=DEVICE) -> dict:
    return client.post("/offline/device-state", json={"device_id": device_id},
                       headers={"X-CSRFToken": _csrf(client)}).get_json()


def _sync(client, device_id=DEVICE, token=None):
    return client.post("/offline/sync", json={"device_id": device_id},
                       headers={"X-CSRFToken": token or _csrf(client)})


def test_shells_worker_and_manifest_are_public_and_hold_no_personal_data(client, world):
    for path in ("/offline/", "/offline/case?id=1", "/offline/contact", "/offline/refer", "/offline/outbox"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert world.person_a.family_name not in response.get_data(as_text=True)
        assert 'rel="manifest"' in response.get_data(as_text=True)
    sw = client.get("/offline/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    text = sw.get_data(as_text=True)
    assert "workbox-sw.js" in text and "/offline/contact" in text and "precacheAndRoute" in text
    assert "http" not in text.replace("https://", "").split("importScripts")[1][:80], "no CDN"
    manifest = json.loads(client.get("/offline/manifest.webmanifest").get_data(as_text=True))
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/offline/"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}


def test_sync_needs_a_session_and_a_csrf_token(client, world):
    assert client.post("/offline/sync", json={"device_id": DEVICE}).status_code in (302, 400, 401)
    sign_in(client, world.worker_a)
    refused = client.post("/offline/sync", json={"device_id": DEVICE})
    assert refused.status_code == 400  # no CSRF token
    assert db.session.execute(sa.select(OfflineDevice)).first() is None


def test_sync_hands_over_own_open_cases_with_the_fewest_fields(client, world):
    sign_in(client, world.worker_a)
    response = _sync(client)
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "active" and len(body["key"]) >= 43
    cases = body["data"]["cases"]
    assert [c["id"] for c in cases] == [world.referral_a.id]  # not worker_b's, not another provider's
    assert set(cases[0]) == {"id", "name", "age", "programme", "site", "status", "status_label", "referred_on",
                             "reached_on", "last_contact_at", "contacts", "version", "assigned_worker_id"}
    text = response.get_data(as_text=True)
    assert world.person_b.family_name not in text
    assert str(world.person_a.date_of_birth) not in text  # the age, not the date of birth
    assert world.contact_a.notes is None or world.contact_a.notes not in text
    assert body["data"]["max_age_hours"] == 12
    assert [s["id"] for s in body["data"]["choices"]["sites"]] == [world.site_a.id]
    # The same browser gets the same key again (its outbox stays readable after signing in again).
    assert _sync(client).get_json()["key"] == body["key"]
    actions = db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.action.like("offline.%"))).scalars().all()
    assert actions.count("offline.caseload_copied") == 2 and "offline.device_registered" in actions


def test_a_browser_of_one_worker_never_gets_anothers_key(client, world, app):
    sign_in(client, world.worker_a)
    assert _sync(client).status_code == 200
    other = app.test_client()
    sign_in(other, world.worker_a2)
    response = _sync(other)
    assert response.status_code == 410 and response.get_json()["state"] == "revoked"


def test_revoked_or_disabled_devices_are_told_to_wipe(client, world):
    sign_in(client, world.worker_a)
    assert _sync(client).status_code == 200
    assert _state(client, DEVICE) == {"state": "active"}
    assert _state(client, "x" * 40) == {"state": "unknown"}
    assert _state(client, 5) == {"state": "unknown"}
    services.revoke_devices(world.worker_a, "test")
    db.session.flush()
    assert _state(client, DEVICE) == {"state": "revoked"}
    assert _sync(client).status_code == 410


def test_disabling_the_account_revokes_its_devices(client, world):
    sign_in(client, world.worker_a)
    assert _sync(client).status_code == 200
    world.worker_a.active = False
    db.session.flush()
    assert _state(client, DEVICE) == {"state": "revoked"}


def test_bad_device_ids_get_a_plain_answer(client, world):
    sign_in(client, world.worker_a)
    token = _csrf(client)
    for bad in (None, "", "short", "é" * 40, "x" * 500, 12345, ["a"]):
        response = client.post("/offline/sync", json={"device_id": bad}, headers={"X-CSRFToken": token})
        assert response.status_code == 422, bad
        assert "reload the page" in response.get_json()["message"]
    garbage = client.post("/offline/sync", data="not json", content_type="application/json", headers={"X-CSRFToken": token})
    assert garbage.status_code == 422


def test_roles_without_casework_cannot_take_a_caseload_offline(app, client, world):
    assert client.get("/offline/csrf").get_json()["signed_in"] is False
    sign_in(client, world.finance)
    assert client.get("/offline/csrf").get_json()["signed_in"] is False
    assert _sync(client).status_code == 403
    worker = app.test_client()
    sign_in(worker, world.worker_a)
    assert worker.get("/offline/csrf").get_json()["signed_in"] is True


def test_device_state_needs_a_csrf_token(client, world):
    assert client.post("/offline/device-state", json={"device_id": DEVICE}).status_code == 400


def test_signing_out_tells_the_browser_to_clear_what_it_keeps(client, world):
    sign_in(client, world.worker_a)
    response = client.post("/sign-out", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert "storage" in response.headers.get("Clear-Site-Data", "")
    assert "storage" not in client.get("/sign-in").headers.get("Clear-Site-Data", "")


def test_cli_withdraws_a_workers_devices(app, client, world):
    sign_in(client, world.worker_a)
    assert _sync(client).status_code == 200
    result = app.test_cli_runner().invoke(args=["offline", "revoke", "--email", world.worker_a.email])
    assert result.exit_code == 0, result.output
    assert "Withdrew 1 device" in result.output
    assert _state(client, DEVICE) == {"state": "revoked"}
    unknown = app.test_cli_runner().invoke(args=["offline", "revoke", "--email", "nobody@example.org"])
    assert unknown.exit_code != 0 and "No account" in unknown.output


def _sync_unsent(client, device_id=DEVICE):
    return client.post("/offline/sync", json={"device_id": device_id, "unsent": True},
                       headers={"X-CSRFToken": _csrf(client)})


def test_a_withdrawn_device_of_a_signed_in_worker_gets_minutes_to_send_what_waits_and_nothing_else(
        client, world, app):
    sign_in(client, world.worker_a)
    assert _sync(client).status_code == 200
    services.revoke_devices(world.worker_a, "lost phone")
    db.session.commit()
    # Nothing waiting: no token.
    plain = _sync(client)
    assert plain.status_code == 410 and plain.get_json()["api_token"] is None
    # Items waiting: a token that lasts minutes, acts as the worker, and carries no key or caseload.
    answer = _sync_unsent(client)
    body = answer.get_json()
    assert answer.status_code == 410 and body["state"] == "revoked" and "key" not in body and "data" not in body
    left = datetime.fromisoformat(body["api_token"]["expires_at"].rstrip("Z")) - utcnow()
    assert timedelta(minutes=9) < left <= timedelta(minutes=10)
    api = app.test_client()
    sent = api.post(f"/api/v1/referrals/{world.referral_a.id}/contacts",
                    headers={"Authorization": f"Bearer {body['api_token']['token']}", "Idempotency-Key": "last-1"},
                    json={"occurred_at": "2024-06-12T10:00:00", "mode": "phone", "attended": False})
    assert sent.status_code == 201
    assert db.session.execute(sa.select(AuditEvent.detail).where(
        AuditEvent.action == "api_token.created").order_by(AuditEvent.id.desc()).limit(1)).scalar_one()["for"] \
        .startswith("sending a withdrawn device's unsent items")
    # Another worker signed in on that browser never gets one; nor does a disabled account (no session).
    other = app.test_client()
    sign_in(other, world.worker_a2)
    assert _sync_unsent(other).get_json()["api_token"] is None
    world.worker_a.active = False
    db.session.commit()
    refused = _sync_unsent(client)
    assert refused.status_code in (302, 401) and not (refused.get_json(silent=True) or {}).get("api_token")
