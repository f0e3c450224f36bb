"""Writes through the API go through the pages' services: the same rules, the same audit events."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db
from app.referrals.models import Contact, Person, Referral
from tests.factories import ProgrammeFactory, SiteFactory


def _actions(since_id: int) -> list[str]:
    return list(db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.id > since_id)
                                   .order_by(AuditEvent.id)).scalars())


def _last_event_id() -> int:
    return db.session.execute(sa.select(sa.func.max(AuditEvent.id))).scalar() or 0


NEW = {"given_name": "Kofi", "family_name": "Mensah", "date_of_birth": "2007-03-09", "sex": "male",
       "ethnicity": "black_african"}


def _referral_body(world, **extra):
    body = {"programme_id": world.programme.id, "site_id": world.site_a.id,
            "referred_on": date.today().isoformat(), "source": "ae_clinician", "lawful_basis": "public_task",
            "reason": "Stab wound, A&E"}
    body.update(extra)
    return body


def test_create_person_checks_duplicates_like_the_page(world, system_a):
    mark = _last_event_id()
    r = system_a.post("/api/v1/people", json={"given_name": "amara", "family_name": "OKOYE",
                                              "date_of_birth": "2008-05-17"})
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    assert [c["id"] for c in r.json["candidates"]] == [world.person_a.id]
    assert r.json["type"].endswith("#problem-possible-duplicate")
    r = system_a.post("/api/v1/people", json={"given_name": "amara", "family_name": "OKOYE",
                                              "date_of_birth": "2008-05-17", "create_anyway": True})
    assert r.status_code == 201 and r.headers["ETag"] == '"1"'
    person = db.session.get(Person, r.json["id"])
    assert person.organisation_id == world.org_a.id
    assert "person.created" in _actions(mark)


def test_duplicate_candidates_are_only_those_the_caller_may_see(world, system_a):
    # Bethany Clarke is provider B's: provider A's system is not told she exists.
    r = system_a.post("/api/v1/people", json={"given_name": "Bethany", "family_name": "Clarke",
                                              "date_of_birth": "2008-05-17"})
    assert r.status_code == 201


def test_field_errors_are_listed_one_by_one(world, system_a):
    r = system_a.post("/api/v1/people", json={"family_name": "", "date_of_birth": "31/02/2008",
                                              "sex": "robot", "surprise": 1})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    fields = {e["field"] for e in r.json["errors"]}
    assert {"given_name", "family_name", "date_of_birth", "sex", "surprise"} <= fields
    r = system_a.post("/api/v1/people", json={"given_name": "Z", "family_name": "Y", "date_of_birth": "2999-01-01"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "date_of_birth"
    r = system_a.client.post("/api/v1/people", data="{not json", content_type="application/json",
                             headers={"Authorization": f"Bearer {system_a.token}"})
    assert r.status_code in (400, 422) and r.mimetype == "application/problem+json"


def test_partner_referral_for_someone_new_then_409_on_a_likely_duplicate(world, system_a):
    mark = _last_event_id()
    r = system_a.post("/api/v1/referrals", json=_referral_body(world, person=NEW))
    assert r.status_code == 201, r.json
    referral = db.session.get(Referral, r.json["id"])
    assert referral.person.family_name == "Mensah" and referral.provider_id == world.org_a.id
    assert r.json["status"] == "received" and r.headers["ETag"] == f'"{referral.version_id}"'
    assert {"person.created", "referral.submitted"} <= set(_actions(mark))
    again = system_a.post("/api/v1/referrals", json=_referral_body(world, person={**NEW, "given_name": "KOFI"}))
    assert again.status_code == 409 and again.json["candidates"][0]["id"] == referral.person_id
    existing = system_a.post("/api/v1/referrals", json=_referral_body(world, person_id=referral.person_id))
    assert existing.status_code == 201


def test_referral_refusals_name_their_field(world, system_a):
    r = system_a.post("/api/v1/referrals", json=_referral_body(world, person_id=world.person_a.id,
                                                               site_id=world.site_b.id))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "site_id"
    r = system_a.post("/api/v1/referrals", json=_referral_body(world))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "person_id"
    r = system_a.post("/api/v1/referrals", json=_referral_body(world, person_id=world.person_b.id))
    assert r.status_code == 404  # another provider's person


def test_status_assign_close_with_etags(world, api_as):
    api = api_as(world.manager_a)
    url = f"/api/v1/referrals/{world.referral_a.id}"
    etag = api.get(url).headers["ETag"]
    stale = '"999"'
    r = api.post(url + "/status", json={"to_status": "contacted"}, headers={"If-Match": stale})
    assert r.status_code == 412 and r.mimetype == "application/problem+json"
    db.session.refresh(world.referral_a)
    assert world.referral_a.status.value == "received"  # nothing overwritten
    r = api.post(url + "/status", json={"to_status": "contacted"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json["status"] == "contacted"
    assert r.headers["ETag"] != etag
    r = api.post(url + "/status", json={"to_status": "received"}, headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "to_status"
    r = api.post(url + "/assign", json={"worker_id": world.worker_a2.id}, headers={"If-Match": etag})
    assert r.status_code == 412  # the first ETag is stale now
    r = api.post(url + "/assign", json={"worker_id": world.worker_a2.id})
    assert r.status_code == 200 and r.json["assigned_worker_id"] == world.worker_a2.id
    r = api.post(url + "/assign", json={"worker_id": world.worker_b.id})
    assert r.status_code == 422
    r = api.post(url + "/close", json={"reason": "Moved away", "closed_on": date.today().isoformat()})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "ending"
    r = api.post(url + "/close", json={"reason": "Moved away", "closed_on": date.today().isoformat(),
                                       "ending": "unable_to_contact"})
    assert r.status_code == 200 and r.json["status"] == "closed" and r.json["closed_on"] == date.today().isoformat()


def test_contacts_outcomes_measures(world, system_a):
    url = f"/api/v1/referrals/{world.referral_a.id}"
    r = system_a.post(url + "/contacts", json={"occurred_at": "2024-06-10T14:30:00+01:00", "mode": "one_to_one",
                                               "attended": True, "duration_minutes": 50, "notes": "Met at café"})
    assert r.status_code == 201, r.json
    assert r.json["occurred_at"] == "2024-06-10T14:30:00+01:00" and r.json["warnings"] == []
    contact = db.session.get(Contact, r.json["id"])
    assert contact.occurred_at.hour == 14  # stored as UK wall-clock time
    assert db.session.get(Referral, world.referral_a.id).status.value == "engaged"
    r = system_a.post(url + "/contacts", json={"occurred_at": "2024-01-01T10:00:00", "mode": "phone",
                                               "attended": False})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "occurred_on"
    listed = system_a.get(url + "/contacts").json["items"]
    assert len(listed) == 2
    r = system_a.post(url + "/outcomes", json={"outcome_type": "Signposted to service", "achieved_on": "2024-07-01"})
    assert r.status_code == 201
    r = system_a.post(url + "/outcomes", json={"outcome_type": "Won the lottery", "achieved_on": "2024-07-01"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "outcome_type"
    r = system_a.post(url + "/measures", json={"instrument": "Distress (0–10)", "time_point": "baseline",
                                               "value": "8", "measured_on": "2024-06-10"})
    assert r.status_code == 201 and r.json["value"] == "8.00"
    assert len(system_a.get(url + "/outcomes").json["items"]) == 1
    assert len(system_a.get(url + "/measures").json["items"]) == 1


def test_cursor_pages_and_updated_since(world, system_a, db_session):
    from tests.factories import PersonFactory, ReferralFactory

    for _ in range(7):
        ReferralFactory(person=PersonFactory(organisation=world.org_a), site=world.site_a)
    seen, cursor, pages = [], None, 0
    while True:
        r = system_a.get("/api/v1/referrals?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200
        seen += [i["id"] for i in r.json["items"]]
        cursor = r.json["next_cursor"]
        pages += 1
        if not cursor:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 8 and seen == sorted(seen)
    assert system_a.get("/api/v1/referrals?cursor=rubbish").status_code == 422
    since = (db_session.execute(sa.select(sa.func.max(Referral.updated_at))).scalar() + timedelta(seconds=1))
    stamp = since.isoformat() + "Z"
    assert system_a.get(f"/api/v1/referrals?updated_since={stamp}").json["items"] == []
    from app.db import utcnow
    from tests.factories import ContactFactory

    c = ContactFactory(referral=world.referral_a)
    c.updated_at = utcnow() + timedelta(seconds=5)
    db_session.flush()
    changed = system_a.get(f"/api/v1/referrals?updated_since={stamp}").json["items"]
    assert [i["id"] for i in changed] == [world.referral_a.id]  # a new contact counts as a change


def test_trial_referrals_take_waypoints_draw_or_carry_one_made_elsewhere(world, system_a):
    programme = ProgrammeFactory(name="Custody Coaches (trial)", trial_enabled=True, trial_seed=42, min_age=10,
                                 max_age=30, outcome_types=["No re-arrest"])
    site = SiteFactory(programme=programme, provider=world.org_a, name="Loddon Valley custody")
    base = _referral_body(world, programme_id=programme.id, site_id=site.id, person_id=world.person_a.id)
    drawn = system_a.post("/api/v1/referrals", json=base)
    assert drawn.status_code == 201 and drawn.json["trial_arm"] in ("intervention", "control")
    assert drawn.json["allocation_draw"].startswith("seed=42 ")
    mark = _last_event_id()
    outside = system_a.post("/api/v1/referrals", json={**base, "trial_allocation": {
        "made_by": "elsewhere", "arm": "control", "reference": "Thames Valley CTU #A-0193"}})
    assert outside.status_code == 201, outside.json
    assert outside.json["trial_arm"] == "control"
    assert outside.json["allocation_draw"] == "allocated elsewhere: Thames Valley CTU #A-0193"
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.id > mark,
                                                           AuditEvent.action == "referral.submitted")).scalar_one()
    assert event.detail["allocation"] == "elsewhere" and event.detail["trial_arm"] == "control"
    missing = system_a.post("/api/v1/referrals", json={**base, "trial_allocation": {"made_by": "elsewhere"}})
    assert missing.status_code == 422 and missing.json["errors"][0]["field"] == "trial_allocation.arm"
    no_trial = system_a.post("/api/v1/referrals", json=_referral_body(world, person_id=world.person_a.id,
                             trial_allocation={"made_by": "elsewhere", "arm": "control", "reference": "x"}))
    assert no_trial.status_code == 422 and no_trial.json["errors"][0]["field"] == "trial_allocation"


def test_a_refused_request_keeps_no_claim_on_its_key(world, system_a):
    """A request refused by a service (here: a likely duplicate, then no age at all) keeps nothing under its
    Idempotency-Key, even when the service committed something on the way (an audit event): the same key then
    gets the same refusal, never 'still being processed'."""
    for body, status in (({"given_name": "amara", "family_name": "OKOYE", "date_of_birth": "2008-05-17"}, 409),
                         ({"given_name": "Nobody", "family_name": "Knownage"}, 422)):
        key = f"refused-{status}"
        for _ in range(2):
            r = system_a.post("/api/v1/people", json=body, headers={"Idempotency-Key": key})
            assert r.status_code == status, r.json
            assert "still being processed" not in (r.json.get("detail") or "")
