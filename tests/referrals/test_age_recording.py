"""Recording age (issue 12, item 12; DOMAIN.md §3.5): a person referred needs a date of birth, an estimated
age, or an explicit "age not known" with a reason — never silence. Records from before the rule with none of
the three show as "Age not recorded" with a prompt, and the data-quality page lists them."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import db
from app.errors import DomainError
from app.imports import services as imports
from app.referrals import services
from app.referrals.models import LawfulBasis, Person, ReferralSource
from tests.api.conftest import ApiClient, service_token
from tests.conftest import sign_in
from tests.factories import PersonFactory
from tests.imports.conftest import csv_bytes
from tests.referrals.test_views import _date, _new_person_referral


def _people(family_name):
    return db.session.execute(sa.select(Person).where(Person.family_name == family_name)).scalars().all()


def _silent(world, **over):
    """The one-page referral with nothing about age: no radio, no date of birth, no estimate, no reason."""
    return _new_person_referral(world, date_of_birth=["", "", ""], **over)


# ------------------------------------------------------------------------------------------ the service


def test_the_service_refuses_a_person_with_no_age_and_no_reason(world):
    with pytest.raises(DomainError) as refused:
        services.create_person(world.worker_a, {"given_name": "Ola", "family_name": "Silent"})
    assert refused.value.field == "date_of_birth" and "why their age is not known" in refused.value.message
    person = services.create_person(world.worker_a, {"given_name": "Ola", "family_name": "Silent",
                                                     "age_not_known_reason": "  Would not say  "})
    assert person.age_not_known_reason == "Would not say" and person.age_recorded


def test_a_reason_given_with_an_age_is_dropped_and_recording_an_age_clears_it(world):
    person = services.create_person(world.worker_a, {"given_name": "Ola", "family_name": "Aged", "estimated_age": 15,
                                                     "age_not_known_reason": "Would not say"})
    assert person.age_not_known_reason is None
    other = services.create_person(world.worker_a, {"given_name": "Ife", "family_name": "Later",
                                                    "age_not_known_reason": "Would not say"})
    services.update_person(world.worker_a, other, {"given_name": "Ife", "family_name": "Later",
                                                   "date_of_birth": date(2009, 2, 1), "age_not_known_reason": None})
    assert other.age_not_known_reason is None and other.date_of_birth == date(2009, 2, 1)


def test_an_old_record_with_no_age_cannot_be_referred_until_its_age_is_recorded(world):
    person = PersonFactory(organisation=world.org_a, date_of_birth=None, estimated_age=None)
    args = dict(programme_id=world.programme.id, site_id=world.site_a.id, referred_on=date(2024, 6, 3),
                source=list(ReferralSource)[0],
                reason="Assault", lawful_basis=LawfulBasis.PUBLIC_TASK)
    with pytest.raises(DomainError) as refused:
        services.submit_referral(world.worker_a, person, **args)
    assert "age" in refused.value.message and refused.value.field == "person_id"
    person.age_not_known_reason = "Brought in unconscious"
    assert services.submit_referral(world.worker_a, person, **args).id


# ------------------------------------------------------------------------------------------ the pages


def test_the_page_asks_the_age_question_as_conditional_radios(world, client):
    sign_in(client, world.worker_a)
    page = client.get("/referrals/people/new/refer").get_data(as_text=True)
    assert "What do you know about their age?" in page
    for value in ("dob", "estimate", "not_known"):
        assert f'value="{value}"' in page
    assert page.count("govuk-radios__conditional") >= 3 and "Why is their age not known?" in page


def test_the_page_refuses_silence_about_age_and_saves_nothing(world, client):
    sign_in(client, world.worker_a)
    page = client.post("/referrals/people/new/refer", data=_silent(world)).get_data(as_text=True)
    assert "Say whether you know their date of birth, can estimate their age, or do not know their age" in page
    page = client.post("/referrals/people/new/refer",
                       data=_silent(world, age_known="not_known")).get_data(as_text=True)
    assert "Say why their age is not known" in page
    assert _people("Adeyemi") == []


def test_the_page_records_age_not_known_with_its_reason(world, client):
    sign_in(client, world.worker_a)
    response = client.post("/referrals/people/new/refer", data=_silent(
        world, age_known="not_known", age_not_known_reason="Would not say; no ID seen"))
    assert response.status_code == 302, response.get_data(as_text=True)
    person = _people("Adeyemi")[0]
    assert (person.date_of_birth, person.estimated_age, person.age_not_known_reason) == (
        None, None, "Would not say; no ID seen")
    page = client.get(f"/referrals/people/{person.id}").get_data(as_text=True)
    assert "Age not known: Would not say; no ID seen" in page and 'data-testid="age-not-recorded"' not in page


def test_only_the_chosen_answer_is_saved(world, client):
    """Without JavaScript every answer's boxes show: what was typed under an answer not chosen is ignored."""
    sign_in(client, world.worker_a)
    data = _new_person_referral(world, age_known="estimate", estimated_age="15", date_of_birth=["3", "", ""],
                                age_not_known_reason="typed then changed my mind")
    assert client.post("/referrals/people/new/refer", data=data).status_code == 302
    person = _people("Adeyemi")[0]
    assert (person.date_of_birth, person.estimated_age, person.age_not_known_reason) == (None, 15, None)


def test_the_edit_page_shows_the_saved_answer_and_can_change_it(world, client):
    person = PersonFactory(organisation=world.org_a, date_of_birth=None, estimated_age=None,
                           age_not_known_reason="Would not say")
    sign_in(client, world.worker_a)
    page = client.get(f"/referrals/people/{person.id}/edit").get_data(as_text=True)
    assert 'value="not_known" checked' in page or ('value="not_known"' in page and "checked" in page.split(
        'value="not_known"')[1][:40])
    data = {"given_name": person.given_name, "family_name": person.family_name, "version": person.version_id,
            "age_known": "dob", **_date("date_of_birth", date(2009, 1, 2)), "sex": "", "ethnicity": ""}
    assert client.post(f"/referrals/people/{person.id}/edit", data=data).status_code == 302
    db.session.refresh(person)
    assert (person.date_of_birth, person.age_not_known_reason) == (date(2009, 1, 2), None)


def test_an_old_record_with_no_age_shows_age_not_recorded_with_a_prompt(world, client):
    person = PersonFactory(organisation=world.org_a, given_name="Old", family_name="Record", date_of_birth=None,
                           estimated_age=None)
    sign_in(client, world.worker_a)
    page = client.get(f"/referrals/people/{person.id}").get_data(as_text=True)
    assert "Age not recorded" in page and 'data-testid="age-not-recorded"' in page
    assert f"/referrals/people/{person.id}/edit" in page.split('data-testid="age-not-recorded"')[1]
    refer = client.get(f"/referrals/people/{person.id}/refer").get_data(as_text=True)
    assert 'data-testid="age-not-recorded"' in refer and "Record referral" not in refer


def test_the_data_quality_page_lists_people_whose_age_is_not_recorded(world, client):
    silent = PersonFactory(organisation=world.org_a, given_name="Quiet", family_name="Unrecorded",
                           date_of_birth=None, estimated_age=None)
    explained = PersonFactory(organisation=world.org_a, given_name="Given", family_name="Reason",
                              date_of_birth=None, estimated_age=None, age_not_known_reason="Would not say")
    from tests.factories import ReferralFactory
    ReferralFactory(person=silent, programme=world.programme, site=world.site_a, provider=world.org_a)
    ReferralFactory(person=explained, programme=world.programme, site=world.site_a, provider=world.org_a)
    sign_in(client, world.manager_a)
    page = client.get("/referrals/data-quality").get_data(as_text=True)
    not_recorded = page.split("Age not recorded")[1].split("<h2")[0]
    assert "Quiet Unrecorded" in not_recorded and "Given Reason" not in not_recorded
    assert "Given Reason" in page.split("Age not known (a reason is recorded)")[1].split("<h2")[0]


# ------------------------------------------------------------------------------------------ the API


def test_the_api_refuses_silence_about_age_with_a_field_level_problem(app, world):
    _, raw = service_token(world.admin, world.org_a)
    api = ApiClient(app.test_client(), raw)
    r = api.post("/api/v1/people", json={"given_name": "Api", "family_name": "Silent"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert [e["field"] for e in r.json["errors"]] == ["date_of_birth"]
    assert "age_not_known_reason" in r.json["errors"][0]["message"]
    r = api.post("/api/v1/people", json={"given_name": "Api", "family_name": "Silent",
                                         "age_not_known_reason": "Not given by the referrer"})
    assert r.status_code == 201 and r.json["age_not_known_reason"] == "Not given by the referrer"
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert "age_not_known_reason" in spec["components"]["schemas"]["PersonCreate"]["properties"]


# ------------------------------------------------------------------------------------------ the import


IMPORT_HEADERS = ["First name", "Last name", "DOB", "Age not known", "Referral ref", "Site", "Referred", "Source",
                  "Basis"]


def test_the_import_refuses_a_row_with_no_age_and_accepts_a_reason_column(world):
    row = {"First name": "Imp", "Last name": "Orted", "Referral ref": "N1", "Site": world.site_a.name,
           "Referred": "01/05/2024", "Source": "A&E", "Basis": "Public task"}
    run = imports.start_run(world.programme_office, world.org_a, "x.csv", csv_bytes([row], IMPORT_HEADERS))
    plan = imports.check_run(world.programme_office, run)
    assert not plan.clean and "why their age is not known" in plan.problems[0].message
    row["Age not known"] = "Referrer did not know"
    run = imports.start_run(world.programme_office, world.org_a, "y.csv", csv_bytes([row], IMPORT_HEADERS))
    plan, _ = imports.import_run(world.programme_office, run)
    assert plan.clean, plan.problems
    assert _people("Orted")[0].age_not_known_reason == "Referrer did not know"


# ------------------------------------------------------------------------------------------ migration 0014


def test_migration_0014_keeps_people_with_no_age_and_asks_for_nothing(app):
    """Existing rows with none of the three: the migration does not fail and makes nothing up."""
    from flask_migrate import upgrade

    from app import create_app
    from tests.conftest import ensure_postgres_database, reset_database

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        other = str(sa.engine.make_url(url).set(database=sa.engine.make_url(url).database + "_age"))
        ensure_postgres_database(other)
    else:
        other = f"sqlite:///{Path(tempfile.mkdtemp()) / 'age.db'}"
    reset_database(other)
    second = create_app("test", {"SQLALCHEMY_DATABASE_URI": other})
    with second.app_context():
        upgrade(revision="0013")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organisations (name, kind, active, created_at, updated_at) "
                                 "VALUES ('Org', 'vcs_provider', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO people (given_name, family_name, name_key, organisation_id, restricted, version_id, "
                "created_at, updated_at) VALUES ('No', 'Age', 'no age', (SELECT id FROM organisations), false, 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        upgrade(revision="0014")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT family_name, date_of_birth, estimated_age, age_not_known_reason "
                                        "FROM people")).all()
        assert [tuple(r) for r in rows] == [("Age", None, None, None)]
        db.session.remove()
        db.engine.dispose()

