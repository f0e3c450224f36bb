"""Whose an Idempotency-Key is (issue 14): the caller's, not the token's. A retry sent through a renewed token
(the offline app gets a new one with each session) finds the first answer; two people never share a key."""
from __future__ import annotations

import sqlalchemy as sa

from app import idempotency
from app.auth.roles import Role
from app.db import db
from app.offline import services as offline
from app.referrals.models import Contact
from tests.api.conftest import ApiClient, personal_token, service_token

BODY = {"occurred_at": "2024-06-12T10:00:00", "mode": "phone", "attended": False}


def _contacts(referral) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Contact)
                              .where(Contact.referral_id == referral.id)).scalar_one()


def _url(world) -> str:
    return f"/api/v1/referrals/{world.referral_a.id}/contacts"


def test_one_person_through_two_tokens_makes_one_record_and_gets_the_first_answer(app, world):
    before = _contacts(world.referral_a)
    old = ApiClient(app.test_client(), personal_token(world.worker_a))
    new = ApiClient(app.test_client(), personal_token(world.worker_a))
    key = {"Idempotency-Key": "cut-off-mid-send-1"}
    first = old.post(_url(world), json=BODY, headers=key)
    again = new.post(_url(world), json=BODY, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json == first.json
    assert _contacts(world.referral_a) == before + 1
    # The same key for something else is still refused, whichever of the person's tokens brings it.
    other = new.post(_url(world), json={**BODY, "mode": "in_person"}, headers=key)
    assert other.status_code == 422
    assert _contacts(world.referral_a) == before + 1


def test_the_offline_apps_renewed_token_replays_what_the_revoked_one_sent(app, world):
    """The outbox's case: an item sent, the answer lost, the session ended (its token revoked), a new session
    and a new token, the item sent again with its key."""
    device = offline.unlock_device(world.worker_a, "d" * 48)
    first_token = offline.issue_outbox_token(world.worker_a, device)["token"]
    db.session.commit()
    before = _contacts(world.referral_a)
    key = {"Idempotency-Key": "offline-7f1c"}
    first = ApiClient(app.test_client(), first_token).post(_url(world), json=BODY, headers=key)
    assert first.status_code == 201
    offline.revoke_outbox_tokens(world.worker_a)
    second_token = offline.issue_outbox_token(world.worker_a, device)["token"]
    db.session.commit()
    assert ApiClient(app.test_client(), first_token).post(_url(world), json=BODY, headers=key).status_code == 401
    again = ApiClient(app.test_client(), second_token).post(_url(world), json=BODY, headers=key)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["id"] == first.json["id"]
    assert _contacts(world.referral_a) == before + 1


def test_two_people_with_the_same_key_make_two_records(app, world):
    before = _contacts(world.referral_a)
    key = {"Idempotency-Key": "1"}
    worker = ApiClient(app.test_client(), personal_token(world.worker_a))
    manager = ApiClient(app.test_client(), personal_token(world.manager_a))
    first = worker.post(_url(world), json=BODY, headers=key)
    second = manager.post(_url(world), json=BODY, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") is None and second.json["id"] != first.json["id"]
    assert _contacts(world.referral_a) == before + 2


def test_service_tokens_share_keys_per_organisation_and_role_only(app, world):
    before = _contacts(world.referral_a)
    key = {"Idempotency-Key": "case-system-42"}
    _, old_raw = service_token(world.admin, world.org_a)
    _, rotated_raw = service_token(world.admin, world.org_a)  # an administrator's replacement token
    _, manager_raw = service_token(world.admin, world.org_a, Role.PROVIDER_MANAGER)
    db.session.commit()
    first = ApiClient(app.test_client(), old_raw).post(_url(world), json=BODY, headers=key)
    rotated = ApiClient(app.test_client(), rotated_raw).post(_url(world), json=BODY, headers=key)
    assert first.status_code == rotated.status_code == 201
    assert rotated.headers.get("Idempotent-Replayed") == "true" and rotated.json == first.json
    assert _contacts(world.referral_a) == before + 1
    # Another role of the same organisation is another caller; so is a person of it.
    as_manager = ApiClient(app.test_client(), manager_raw).post(_url(world), json=BODY, headers=key)
    as_person = ApiClient(app.test_client(), personal_token(world.worker_a)).post(_url(world), json=BODY, headers=key)
    assert as_manager.headers.get("Idempotent-Replayed") is None and as_person.headers.get("Idempotent-Replayed") is None
    assert _contacts(world.referral_a) == before + 3


def test_a_key_kept_under_its_token_before_the_change_is_still_replayed(app, world):
    token, raw = service_token(world.admin, world.org_a)
    client = ApiClient(app.test_client(), raw)
    before = _contacts(world.referral_a)
    first = client.post(_url(world), json=BODY, headers={"Idempotency-Key": "legacy-1"})
    row = idempotency.lookup(f"api-service:{world.org_a.id}:{Role.YOUTH_WORKER.value}", "legacy-1")
    row.scope = f"api-token:{token.id}"  # as a key claimed before keys were the caller's was stored
    db.session.commit()
    again = client.post(_url(world), json=BODY, headers={"Idempotency-Key": "legacy-1"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json == first.json
    assert _contacts(world.referral_a) == before + 1
