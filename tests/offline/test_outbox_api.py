"""The outbox's way in (issue 14): a short-lived personal API token from the signed-in session, contacts and
referrals through /api/v1 keeping the time they happened and the time they were saved offline."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db, utcnow
from app.referrals.models import Contact, Referral
from app.tokens.models import ApiToken
from tests.conftest import sign_in

DEVICE = "e" * 48


def _token(client) -> dict:
    csrf = client.get("/offline/csrf").get_json()["csrf_token"]
    body = client.post("/offline/sync", json={"device_id": DEVICE, "need_token": True},
                       headers={"X-CSRFToken": csrf}).get_json()
    return body["api_token"]


def _bearer(token: dict) -> dict:
    return {"Authorization": f"Bearer {token['token']}"}


def test_the_app_gets_a_short_lived_token_that_replaces_the_last(client, world, app):
    sign_in(client, world.worker_a)
    first = _token(client)
    hours = (datetime.fromisoformat(first["expires_at"].rstrip("Z")) - utcnow()).total_seconds() / 3600
    assert 11.9 < hours <= 12
    second = _token(client)
    api = app.test_client()
    assert api.get("/api/v1/referrals", headers=_bearer(first)).status_code == 401  # replaced
    assert api.get("/api/v1/referrals", headers=_bearer(second)).status_code == 200
    live = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == world.worker_a.id,
                                                        ApiToken.revoked_at.is_(None))).scalars().all()
    assert [t.name for t in live] == [live[0].name] and live[0].name.startswith("Offline app (device ")
    # Without need_token none is made.
    csrf = client.get("/offline/csrf").get_json()["csrf_token"]
    plain = client.post("/offline/sync", json={"device_id": DEVICE}, headers={"X-CSRFToken": csrf}).get_json()
    assert plain["api_token"] is None


def test_signing_out_ends_the_offline_token(client, world, app):
    sign_in(client, world.worker_a)
    token = _token(client)
    client.post("/sign-out")
    assert app.test_client().get("/api/v1/referrals", headers=_bearer(token)).status_code == 401


def test_a_contact_saved_offline_keeps_both_times_and_says_so_in_the_audit(client, world, app):
    sign_in(client, world.worker_a)
    token = _token(client)
    occurred = (utcnow() - timedelta(days=1)).replace(hour=15, minute=10, second=0, microsecond=0)
    saved = utcnow() - timedelta(hours=20)
    response = app.test_client().post(
        f"/api/v1/referrals/{world.referral_a.id}/contacts", headers=_bearer(token),
        json={"occurred_at": occurred.isoformat(), "mode": "one_to_one", "attended": True,
              "recorded_offline_at": saved.isoformat() + "Z", "notes": "Seen in A&E"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["recorded_offline_at"].startswith(saved.isoformat()[:16])
    contact = db.session.get(Contact, response.get_json()["id"])
    assert contact.occurred_at == occurred and contact.recorded_offline_at == saved
    assert contact.created_at > contact.recorded_offline_at
    detail = db.session.execute(sa.select(AuditEvent.detail).where(
        AuditEvent.action == "contact.logged", AuditEvent.object_id == contact.id)).scalar_one()
    assert detail["recorded_offline"] is True and detail["occurred_at"].startswith(occurred.isoformat()[:16])
    assert detail["assigned_to_someone_else"] is False


def test_a_contact_on_a_case_given_to_someone_else_stays_with_its_worker(client, world, app):
    world.referral_a.assigned_worker_id = world.worker_a2.id
    db.session.flush()
    sign_in(client, world.worker_a)
    token = _token(client)
    response = app.test_client().post(
        f"/api/v1/referrals/{world.referral_a.id}/contacts", headers=_bearer(token),
        json={"occurred_at": utcnow().replace(microsecond=0).isoformat() + "Z", "mode": "phone", "attended": False,
              "recorded_offline_at": utcnow().isoformat() + "Z"})
    assert response.status_code == 201
    contact = db.session.get(Contact, response.get_json()["id"])
    assert contact.worker_id == world.worker_a.id
    detail = db.session.execute(sa.select(AuditEvent.detail).where(
        AuditEvent.action == "contact.logged", AuditEvent.object_id == contact.id)).scalar_one()
    assert detail["assigned_to_someone_else"] is True


def test_a_device_clock_running_ahead_is_taken_as_now(client, world, app):
    sign_in(client, world.worker_a)
    token = _token(client)
    ahead = utcnow() + timedelta(days=3)
    response = app.test_client().post(
        f"/api/v1/referrals/{world.referral_a.id}/contacts", headers=_bearer(token),
        json={"occurred_at": utcnow().replace(microsecond=0).isoformat() + "Z", "mode": "phone", "attended": False,
              "recorded_offline_at": ahead.isoformat() + "Z"})
    assert response.status_code == 201
    assert db.session.get(Contact, response.get_json()["id"]).recorded_offline_at <= utcnow()


def test_a_closed_case_refuses_the_contact_with_a_plain_reason(client, world, app):
    from app.referrals.transitions import ReferralStatus

    world.referral_a.status = ReferralStatus.CLOSED
    db.session.flush()
    sign_in(client, world.worker_a)
    token = _token(client)
    response = app.test_client().post(
        f"/api/v1/referrals/{world.referral_a.id}/contacts", headers=_bearer(token),
        json={"occurred_at": utcnow().replace(microsecond=0).isoformat() + "Z", "mode": "phone", "attended": True})
    assert response.status_code == 422
    assert "closed" in response.get_json()["detail"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Contact).where(
        Contact.referral_id == world.referral_a.id)).scalar() == 1  # the world's own contact only


def test_a_referral_recorded_offline_keeps_when_it_was_saved(client, world, app):
    sign_in(client, world.worker_a)
    token = _token(client)
    saved = utcnow() - timedelta(hours=3)
    today = utcnow().date()
    response = app.test_client().post("/api/v1/referrals", headers=_bearer(token), json={
        "person": {"given_name": "Nia", "family_name": "Offlineref", "date_of_birth": f"{today.year - 16}-05-01"},
        "programme_id": world.programme.id, "site_id": world.site_a.id, "referred_on": today.isoformat(),
        "source": "school", "reason": "Fight at school", "lawful_basis": "public_task",
        "recorded_offline_at": saved.isoformat() + "Z"})
    assert response.status_code == 201, response.get_json()
    referral = db.session.get(Referral, response.get_json()["id"])
    assert abs((referral.recorded_offline_at - saved).total_seconds()) < 1


def test_the_return_says_how_many_contacts_arrived_from_offline_devices(client, world, app):
    from app.offline.queries import offline_arrivals, offline_note
    from app.periods import fy_quarter_of, quarter_bounds

    sign_in(client, world.worker_a)
    token = _token(client)
    occurred = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    response = app.test_client().post(
        f"/api/v1/referrals/{world.referral_a.id}/contacts", headers=_bearer(token),
        json={"occurred_at": occurred.isoformat() + "Z", "mode": "phone", "attended": True,
              "recorded_offline_at": (occurred + timedelta(hours=1)).isoformat() + "Z"})
    assert response.status_code == 201
    fq = fy_quarter_of(occurred.date())
    start, end = quarter_bounds(fq.fy, fq.quarter)
    found = offline_arrivals(start, end)
    assert found.contacts == 1 and found.longest_days in (1, 2)  # UK summer time shifts the stored hour
    assert "1 contact in this period was recorded on a device without a connection" in offline_note(start, end)
