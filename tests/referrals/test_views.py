"""Casework pages: the worker's journey, bad input next to the field, audit, conflicts, query counts."""
from __future__ import annotations

import csv
import re
import io
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth import sessions
from app.db import db
from app.referrals.models import Contact, Person, Referral
from tests.conftest import sign_in
from tests.factories import ContactFactory, PersonFactory, ProgrammeFactory, ReferralFactory, SiteFactory


def _date(prefix: str, d: date) -> dict:
    return {prefix: [str(d.day), str(d.month), str(d.year)]}


def _referral_form(w, **over):
    data = {"site_id": w.site_a.id, **_date("referred_on", date(2024, 6, 3)), "referred_time": "14:30",
            "source": "ae_clinician", "reason": "Stab wound, attended A&E", "lawful_basis": "consent",
            "consent_recorded": "y", "assigned_worker_id": w.worker_a.id}
    data.update(over)
    return data


def _contact_form(**over):
    data = {"attended": "yes", "mode": "one_to_one", **_date("occurred_on", date(2024, 6, 5)),
            "occurred_time": "10:00", "duration_minutes": "45", "notes": ""}
    data.update(over)
    return data


@pytest.fixture
def steady_session(monkeypatch):
    """Query-count tests compare two requests minutes apart on a busy machine: the session's last-seen time is
    touched at most once a minute, and that touch (a few statements) must not land in only one of them."""
    monkeypatch.setattr(sessions, "TOUCH_EVERY", timedelta(days=1))


def _audits(action):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_worker_records_a_referral_works_and_closes_the_case(world, client):
    sign_in(client, world.worker_a)
    page = client.get("/referrals/people?q=zoe+o'brien")
    assert "0 people found" in page.get_data(as_text=True)
    response = client.post("/referrals/people/new", data={
        "given_name": "Zoë", "family_name": "O'Brien", **_date("date_of_birth", date(2009, 3, 14)),
        "sex": "female", "ethnicity": "mixed_other"})
    assert response.status_code == 302
    person = db.session.execute(sa.select(Person).where(Person.family_name == "O'Brien")).scalar_one()
    response = client.post(f"/referrals/people/{person.id}/refer", data=_referral_form(world))
    assert response.status_code == 302, response.get_data(as_text=True)
    referral = db.session.execute(sa.select(Referral).where(Referral.person_id == person.id)).scalar_one()
    case = f"/referrals/{referral.id}"
    assert response.headers["Location"].endswith(case)
    for day, attended in ((5, "yes"), (12, "no"), (19, "yes")):
        r = client.post(f"{case}/contacts/new", data=_contact_form(attended=attended,
                                                                   **_date("occurred_on", date(2024, 6, day))))
        assert r.status_code == 302
    assert client.post(f"{case}/outcomes/new", data={"outcome_type": "Signposted to service",
                                                     **_date("achieved_on", date(2024, 7, 1))}).status_code == 302
    assert client.post(f"{case}/measures/new", data={"instrument": "Distress (0–10)", "time_point": "baseline",
                                                     "value": "8", **_date("measured_on", date(2024, 6, 5))}).status_code == 302
    r = client.post(f"{case}/close", data={"version": referral.version_id, "reason": "Support plan completed",
                                           **_date("closed_on", date(2024, 7, 2))})
    assert r.status_code == 302
    db.session.refresh(referral)
    assert referral.status.value == "closed" and referral.reached_on == date(2024, 6, 5)
    text = client.get(case).get_data(as_text=True)
    assert "Did not attend" in text and "Signposted to service" in text and "Support plan completed" in text
    assert _audits("referral.viewed") and _audits("contact.logged") and _audits("referral.closed")


BAD = [
    ("people/new", {"given_name": "A", "family_name": "B", **_date("date_of_birth", date.today() + timedelta(days=3))},
     "Date of birth must be today or in the past"),
    ("people/new", {"given_name": "A", "family_name": "B", "date_of_birth": ["31", "2", "2009"]},
     "Date of birth must be a real date"),
    ("people/new", {"given_name": "A", "family_name": "B", "estimated_age": "fifteen"},
     "must be a whole number, like 15"),
]


@pytest.mark.parametrize("path,data,message", BAD, ids=["future-dob", "31-february", "letters-in-number"])
def test_bad_person_input_is_shown_next_to_the_field(world, client, path, data, message):
    sign_in(client, world.worker_a)
    response = client.post(f"/referrals/{path}", data=data)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert message in text and "govuk-error-message" in text and "There is a problem" in text


@pytest.mark.parametrize("over,message", [
    (_date("occurred_on", date(2024, 6, 1)), "cannot be before the referral date"),
    ({"duration_minutes": "forty"}, "Duration in minutes must be a whole number"),
    ({"notes": "x" * 10_000}, "Notes must be 5,000 characters or fewer"),
    ({"occurred_on": ["31", "2", "2024"]}, "Date must be a real date"),
    ({"occurred_time": "25:99"}, "Time must be a real time"),
], ids=["before-referral", "letters-in-number", "10000-char-note", "31-february", "bad-time"])
def test_bad_contact_input_is_shown_next_to_the_field(world, client, over, message):
    sign_in(client, world.worker_a)
    before = db.session.execute(sa.select(sa.func.count()).select_from(Contact)).scalar_one()
    response = client.post(f"/referrals/{world.referral_a.id}/contacts/new", data=_contact_form(**over))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert message in text and "govuk-error-message" in text
    assert db.session.execute(sa.select(sa.func.count()).select_from(Contact)).scalar_one() == before


def test_out_of_range_age_needs_a_reason_on_the_referral_form(world, client):
    older = PersonFactory(organisation=world.org_a, date_of_birth=date(1980, 1, 1))
    sign_in(client, world.worker_a)
    response = client.post(f"/referrals/people/{older.id}/refer", data=_referral_form(world))
    assert response.status_code == 200
    assert "To refer them anyway, give a reason" in response.get_data(as_text=True)
    response = client.post(f"/referrals/people/{older.id}/refer",
                           data=_referral_form(world, override_reason="Parent of a client, agreed by manager"))
    assert response.status_code == 302


def test_duplicate_warning_lists_the_existing_record(world, client):
    sign_in(client, world.worker_a)
    data = {"given_name": "AMARA", "family_name": "okoye", **_date("date_of_birth", world.person_a.date_of_birth)}
    response = client.post("/referrals/people/new", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "may already be recorded" in text and "Use this record" in text
    response = client.post("/referrals/people/new", data={**data, "confirm_different": "y"})
    assert response.status_code == 302


def test_editing_a_record_someone_else_changed_shows_a_conflict(world, client):
    sign_in(client, world.worker_a)
    stale = world.person_a.version_id
    world.person_a.home_area = "Reading"  # someone else's save
    db.session.flush()
    assert world.person_a.version_id == stale + 1
    response = client.post(f"/referrals/people/{world.person_a.id}/edit", data={
        "version": stale, "given_name": "Overwritten", "family_name": "Okoye",
        **_date("date_of_birth", world.person_a.date_of_birth)}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Someone else changed this record" in text
    db.session.refresh(world.person_a)
    assert world.person_a.given_name == "Amara"


def test_viewing_a_person_and_a_case_is_audited(world, client):
    sign_in(client, world.worker_a)
    client.get(f"/referrals/people/{world.person_a.id}")
    client.get(f"/referrals/{world.referral_a.id}")
    person_views = _audits("person.viewed")
    assert person_views[-1].person_id == world.person_a.id and person_views[-1].actor_id == world.worker_a.id
    assert person_views[-1].role == "youth_worker" and person_views[-1].organisation_id == world.org_a.id
    assert _audits("referral.viewed")[-1].person_id == world.person_a.id


def test_manager_bulk_reassigns_from_the_caseload(world, client):
    extra = ReferralFactory(person=PersonFactory(organisation=world.org_a), site=world.site_a,
                            assigned_worker=world.worker_a)
    sign_in(client, world.manager_a)
    page = client.get("/referrals/caseload")
    assert page.status_code == 200 and "Median hours to first contact" in page.get_data(as_text=True)
    response = client.post("/referrals/caseload/reassign", data={
        "referral_ids": [world.referral_a.id, extra.id], "bulk-worker_id": world.worker_a2.id})
    assert response.status_code == 302
    assert {world.referral_a.assigned_worker_id, extra.assigned_worker_id} == {world.worker_a2.id}
    # Another provider's referral id smuggled into the form moves nothing.
    client.post("/referrals/caseload/reassign", data={"referral_ids": [world.referral_b.id],
                                                      "bulk-worker_id": world.worker_a2.id})
    assert world.referral_b.assigned_worker_id == world.worker_b.id


def test_caseload_filters_and_data_quality(world, client):
    world.person_a.ethnicity = None
    ContactFactory(referral=world.referral_a, occurred_at=world.referral_a.referred_at - timedelta(days=2))
    sign_in(client, world.manager_a)
    text = client.get(f"/referrals/caseload?worker_id={world.worker_a2.id}").get_data(as_text=True)
    assert "No referrals match these filters" in text
    text = client.get(f"/referrals/caseload?worker_id={world.worker_a.id}&status=all").get_data(as_text=True)
    assert "Amara Okoye" in text and "Bethany" not in text
    dq = client.get("/referrals/data-quality").get_data(as_text=True)
    assert "Ethnicity missing" in dq and "Contact dated before the referral" in dq and "Amara Okoye" in dq


def test_my_caseload_shows_flags(world, client):
    fresh = ReferralFactory(person=PersonFactory(organisation=world.org_a, given_name="Nia", family_name="Lowe"),
                            site=world.site_a, assigned_worker=world.worker_a, referred_on=date.today())
    sign_in(client, world.worker_a)
    text = client.get("/referrals/mine").get_data(as_text=True)
    assert "Nia Lowe" in text and "No contact yet" in text and "No contact in 14 days" in text
    assert fresh.id


@contextmanager
def count_queries():
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def _add_referrals(world, n):
    people = [PersonFactory(organisation=world.org_a) for _ in range(n)]
    for p in people:
        r = ReferralFactory(person=p, site=world.site_a, assigned_worker=world.worker_a)
        ContactFactory(referral=r)


@pytest.mark.parametrize("path", ["/referrals/mine", "/referrals/caseload", "/referrals/caseload?status=all&page=2",
                                  "/referrals/people?q=given", "/referrals/data-quality"])
def test_list_page_query_count_does_not_grow_with_referrals(world, client, path, steady_session):
    user = world.manager_a if "mine" not in path else world.worker_a
    sign_in(client, user)
    _add_referrals(world, 10)
    client.get(path)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    _add_referrals(world, 990)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    print(f"\n{path}: {len(small)} queries at ~10 referrals, {len(large)} at ~1,000")
    assert len(small) == len(large)


def test_evaluator_export_is_pseudonymised(world, client, app):
    trial = ProgrammeFactory(name="Trial programme", trial_enabled=True, trial_seed=11)
    site = SiteFactory(programme=trial, provider=world.org_a)
    referral = ReferralFactory(person=world.person_a, site=site, trial_arm="intervention",
                               allocation_draw="seed=11 …")
    sign_in(client, world.programme_office)
    response = client.get(f"/referrals/evaluation-export?programme_id={trial.id}&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert "Amara" not in body and "Okoye" not in body and world.person_a.date_of_birth.isoformat() not in body
    from app.referrals.export import pseudonym

    with app.test_request_context():
        assert pseudonym(world.person_a.id) in body
    assert world.person_a.date_of_birth.strftime("%Y-%m") in body
    rows = list(csv.reader(io.StringIO(body)))
    assert any("Intervention" in row for row in rows)
    xlsx = client.get(f"/referrals/evaluation-export?programme_id={trial.id}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert _audits("evaluation.exported")
    assert referral.id
    manager = app.test_client()
    sign_in(manager, world.manager_a)
    assert manager.get(f"/referrals/evaluation-export?programme_id={trial.id}&format=csv").status_code == 403


def test_case_page_query_count_does_not_grow_with_its_timeline(world, client, steady_session):
    sign_in(client, world.worker_a)
    path = f"/referrals/{world.referral_a.id}"
    client.get(path)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    for n in range(60):
        ContactFactory(referral=world.referral_a, attended=n % 3 != 0)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    print(f"\ncase page: {len(small)} queries with 1 contact, {len(large)} with 61")
    assert len(small) == len(large)


def test_log_contact_form_says_the_session_number_and_cadence_before_saving(world, client):
    world.programme.session_cap, world.programme.cadence_days = 2, 7
    referral = ReferralFactory(person=world.person_a, site=world.site_a, assigned_worker=world.worker_a,
                               referred_on=date.today() - timedelta(days=20))
    ContactFactory(referral=referral, attended=True, occurred_at=datetime.combine(date.today() - timedelta(days=2),
                                                                                   time(10)))
    ContactFactory(referral=referral, attended=True, occurred_at=datetime.combine(date.today() - timedelta(days=9),
                                                                                   time(10)))
    sign_in(client, world.worker_a)
    text = client.get(f"/referrals/{referral.id}/contacts/new").get_data(as_text=True)
    name = world.programme.name
    assert f"If they attend, this will be session 3: {name} offers up to 2 sessions." in text
    assert f"The last session was 2 days ago; {name} runs sessions every 7 days." in text
    assert "You can still save it." in text
    # Still only a warning: it saves, and says so again afterwards.
    response = client.post(f"/referrals/{referral.id}/contacts/new", data=_contact_form(
        **_date("occurred_on", date.today()), occurred_time="00:01"), follow_redirects=True)
    after = response.get_data(as_text=True)
    assert "Contact saved." in after and f"This is session 3: {name} offers up to 2 sessions." in after


def test_notes_show_their_limit_and_count_a_line_break_as_one_character(world, client):
    referral = ReferralFactory(person=world.person_a, site=world.site_a, assigned_worker=world.worker_a,
                               referred_on=date(2024, 6, 1))
    sign_in(client, world.worker_a)
    form = client.get(f"/referrals/{referral.id}/contacts/new").get_data(as_text=True)
    assert 'data-module="govuk-character-count"' in form and 'data-maxlength="5000"' in form
    assert "You can enter up to 5,000 characters" in form
    notes = ("x" * 2499 + "\r\n") * 2  # 5,000 characters as the worker's browser counts them
    assert client.post(f"/referrals/{referral.id}/contacts/new", data=_contact_form(notes=notes)).status_code == 302
    saved = db.session.execute(sa.select(Contact).where(Contact.referral_id == referral.id)).scalar_one()
    assert "\r" not in saved.notes and len(saved.notes) == 4999  # the trailing line break is trimmed
    too_long = client.post(f"/referrals/{referral.id}/contacts/new", data=_contact_form(notes="y" * 5001))
    assert "Notes must be 5,000 characters or fewer" in too_long.get_data(as_text=True)


def _new_person_referral(w, **over):
    data = {"given_name": "Temi", "family_name": "Adeyemi", **_date("date_of_birth", date(2008, 4, 3)),
            "sex": "female", "ethnicity": "", **_referral_form(w)}
    data.update(over)
    return data


def test_someone_new_is_recorded_with_their_referral_on_one_page(world, client):
    sign_in(client, world.worker_a)
    search = client.get("/referrals/people?q=Temi+Adeyemi&dob=3&dob=4&dob=2008").get_data(as_text=True)
    assert "Record a referral for someone new" in search and "/referrals/people/new/refer?q=Temi+Adeyemi" in search
    form = client.get("/referrals/people/new/refer?q=Temi+Adeyemi&dob=3&dob=4&dob=2008").get_data(as_text=True)
    assert 'value="Temi"' in form and 'value="Adeyemi"' in form and 'value="2008"' in form
    response = client.post("/referrals/people/new/refer", data=_new_person_referral(world))
    assert response.status_code == 302, response.get_data(as_text=True)
    person = db.session.execute(sa.select(Person).where(Person.family_name == "Adeyemi")).scalar_one()
    referral = db.session.execute(sa.select(Referral).where(Referral.person_id == person.id)).scalar_one()
    assert response.headers["Location"].endswith(f"/referrals/{referral.id}")
    assert [e.action for e in _audits("person.created")] and _audits("referral.submitted")


def test_one_page_referral_checks_for_duplicates_before_saving_and_can_use_the_existing_record(world, client):
    existing = PersonFactory(organisation=world.org_a, given_name="Temi", family_name="Adeyemi",
                             date_of_birth=date(2008, 4, 3))
    sign_in(client, world.worker_a)
    warned = client.post("/referrals/people/new/refer", data=_new_person_referral(world, given_name="temi"))
    text = warned.get_data(as_text=True)
    assert warned.status_code == 200 and "may already be recorded" in text and "Is this one of these people" in text
    assert db.session.execute(sa.select(sa.func.count()).select_from(Person).where(
        Person.family_name == "Adeyemi")).scalar_one() == 1
    assert 'value="Stab wound, attended A&amp;E"' in text or "Stab wound, attended A&amp;E" in text  # nothing retyped
    used = client.post("/referrals/people/new/refer",
                       data=_new_person_referral(world, given_name="temi", use_person=str(existing.id)))
    assert used.status_code == 302
    assert db.session.execute(sa.select(Referral.person_id).where(Referral.reason == "Stab wound, attended A&E")
                              ).scalar_one() == existing.id
    assert db.session.execute(sa.select(sa.func.count()).select_from(Person).where(
        Person.family_name == "Adeyemi")).scalar_one() == 1


def test_one_page_referral_someone_different_and_the_age_override(world, client):
    PersonFactory(organisation=world.org_a, given_name="Temi", family_name="Adeyemi", date_of_birth=date(2008, 4, 3))
    world.programme.min_age, world.programme.max_age = 10, 12
    sign_in(client, world.worker_a)
    refused = client.post("/referrals/people/new/refer", data=_new_person_referral(world, use_person="new"))
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "To refer them anyway, give a reason." in text
    assert 'name="use_person" value="new"' in text  # the answer to the duplicate question is kept
    assert db.session.execute(sa.select(sa.func.count()).select_from(Person).where(
        Person.family_name == "Adeyemi")).scalar_one() == 1  # the refused referral kept no person either
    saved = client.post("/referrals/people/new/refer", data=_new_person_referral(
        world, use_person="new", override_reason="Older sibling of a young person on the programme"))
    assert saved.status_code == 302
    assert db.session.execute(sa.select(sa.func.count()).select_from(Person).where(
        Person.family_name == "Adeyemi")).scalar_one() == 2
    assert _audits("person.created")[0].detail["confirmed_not_duplicate"] is True


def test_another_organisations_person_cannot_be_used_from_the_one_page_referral(world, client):
    sign_in(client, world.worker_a)
    response = client.post("/referrals/people/new/refer",
                           data=_new_person_referral(world, use_person=str(world.person_b.id)))
    assert response.status_code == 404


def test_found_people_can_be_referred_straight_away(world, client):
    sign_in(client, world.worker_a)
    person = PersonFactory(organisation=world.org_a, given_name="Kofi", family_name="Mensah")
    text = client.get("/referrals/people?q=kofi").get_data(as_text=True)
    assert f'href="/referrals/people/{person.id}/refer"' in text


def test_case_timeline_shows_reassignments_and_edits_but_not_another_providers_work(world, client):
    from app.referrals import services
    from app.referrals.models import ReferralSource

    r = world.referral_a
    services.reassign_referrals(world.manager_a, [r.id], world.worker_a2.id)
    services.update_referral(world.worker_a2, r, version=None, source=ReferralSource.POLICE, reason="Changed reason",
                             lawful_basis=r.lawful_basis, consent_recorded=True)
    services.update_person(world.worker_a2, world.person_a, {"given_name": "Amara", "family_name": "Okoye",
                                                             "home_area": "Whitley"})
    # The same young person is also known to provider B, whose worker edits their details too.
    ReferralFactory(person=world.person_a, site=world.site_b, assigned_worker=world.worker_b)
    services.update_person(world.worker_b, world.person_a, {"given_name": "Amara", "family_name": "Okoye",
                                                            "police_reference": "TVP-SECRET-1"})
    db.session.flush()
    sign_in(client, world.worker_a)
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert f"Reassigned to {world.worker_a2.full_name} from {world.worker_a.full_name}" in page
    assert "Referral details changed: referred by, reason" in page
    assert "Personal details changed: home area" in page
    assert "police reference" not in page and world.worker_b.full_name not in page
    assert "TVP-SECRET-1" not in page


def test_my_caseload_counts_what_needs_doing_and_puts_the_most_urgent_first(world, client):
    today = date.today()

    def case(name, last_contact_days_ago=None, referred_days_ago=30):
        ref = ReferralFactory(person=PersonFactory(organisation=world.org_a, given_name=name, family_name="Case"),
                              site=world.site_a, assigned_worker=world.worker_a,
                              referred_on=today - timedelta(days=referred_days_ago))
        if last_contact_days_ago is not None:
            ContactFactory(referral=ref, occurred_at=datetime.combine(today - timedelta(days=last_contact_days_ago),
                                                                      time(11)))
        return ref

    case("Recent", 2)
    case("Silent", 20)
    case("Waiting", None, referred_days_ago=3)
    case("Silentest", 40)
    sign_in(client, world.worker_a)
    text = client.get("/referrals/mine").get_data(as_text=True)
    order = [text.index(f"{n} Case") for n in ("Waiting", "Silentest", "Silent", "Recent")]
    assert order == sorted(order)
    counts = {key: int(re.search(rf'data-count="{key}">\s*<span class="wp-figure">(\d+)', text).group(1))
              for key in ("no_contact", "stale", "follow_up", "open")}
    # world.referral_a is also open and assigned to worker_a, its last contact long ago.
    assert counts == {"no_contact": 1, "stale": 3, "follow_up": 0, "open": 5}
    assert f'href="/referrals/{world.referral_a.id}/contacts/new"' in text


def test_caseload_totals_count_exactly_the_rows_listed(world, client):
    """The caseloads count their rows with a cheaper statement than the page's (referrals alone, no joins):
    it must count exactly what the pages list, whatever the filter — unassigned cases (the worker is an outer
    join), restricted people (hidden from the manager), closed cases, other providers' referrals, other sites."""
    from app.referrals import queries
    from app.referrals.transitions import ReferralStatus

    other_site = SiteFactory(programme=world.programme, name="Custody A", provider=world.org_a)
    for i in range(7):
        ReferralFactory(person=PersonFactory(organisation=world.org_a), site=world.site_a,
                        assigned_worker=None if i % 3 == 0 else world.worker_a)
    ReferralFactory(person=PersonFactory(organisation=world.org_a), site=other_site, assigned_worker=world.worker_a)
    ReferralFactory(person=PersonFactory(organisation=world.org_a, restricted=True), site=world.site_a,
                    assigned_worker=world.worker_a)
    ReferralFactory(person=PersonFactory(organisation=world.org_a), site=world.site_a, assigned_worker=world.worker_a,
                    status=ReferralStatus.CLOSED, closed_on=date.today())
    db.session.flush()
    variants = [{}, {"status": None}, {"worker_id": -1}, {"worker_id": world.worker_a.id},
                {"site_id": other_site.id}, {"status": "closed"}, {"programme_id": world.programme.id}]
    checked = set()
    for filters in variants:
        stmt = queries.org_caseload(world.manager_a, **{"status": "open", **filters})
        listed = len(db.session.execute(stmt).all())
        assert db.session.execute(queries.caseload_count(stmt)).scalar() == listed, filters
        checked.add(listed)
    mine = queries.my_caseload(world.worker_a, date.today())
    listed = len(db.session.execute(mine.rows, mine.values).all())
    assert db.session.execute(mine.count, mine.values).scalar() == listed > 0
    assert len(checked) >= 4, f"the variants should list different numbers of cases: {checked}"
    # and the page says the same total as the rows it can list
    sign_in(client, world.manager_a)
    every = len(db.session.execute(queries.org_caseload(world.manager_a, status=None)).all())
    assert f"{every} in all" in client.get("/referrals/caseload?status=all").get_data(as_text=True)
