"""Recording people as a worker meets them (issue 12): estimated ages as at a date, duplicates without a
date of birth."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from app.referrals.models import Person
from tests.conftest import sign_in
from tests.factories import PersonFactory
from tests.referrals.test_views import _date, _new_person_referral


def _people(family_name):
    return db.session.execute(sa.select(Person).where(Person.family_name == family_name)).scalars().all()


def test_an_estimated_age_is_as_at_the_referral_date_by_default(world, client):
    sign_in(client, world.worker_a)
    referred = date.today() - timedelta(days=400)
    data = _new_person_referral(world, date_of_birth=["", "", ""], estimated_age="24",
                                **_date("referred_on", referred))
    assert client.post("/referrals/people/new/refer", data=data).status_code == 302
    person = _people("Adeyemi")[0]
    assert (person.estimated_age, person.estimated_on) == (24, referred)


def test_an_estimated_age_can_be_given_as_at_another_date(world, client):
    sign_in(client, world.worker_a)
    on = date.today() - timedelta(days=30)
    data = _new_person_referral(world, date_of_birth=["", "", ""], estimated_age="16", **_date("estimated_on", on))
    assert client.post("/referrals/people/new/refer", data=data).status_code == 302
    assert _people("Adeyemi")[0].estimated_on == on
    future = _new_person_referral(world, given_name="Tobi", date_of_birth=["", "", ""], estimated_age="16",
                                  **_date("estimated_on", date.today() + timedelta(days=3)))
    page = client.post("/referrals/people/new/refer", data=future).get_data(as_text=True)
    assert "must be today or in the past" in page or "must be in the past" in page


def test_no_date_of_birth_still_asks_is_this_one_of_these_people(world, client):
    existing = PersonFactory(organisation=world.org_a, given_name="Temi", family_name="Adeyemi",
                             date_of_birth=None, estimated_age=None)
    sign_in(client, world.worker_a)
    warned = client.post("/referrals/people/new/refer",
                         data=_new_person_referral(world, given_name="TEMI", date_of_birth=["", "", ""],
                                                   age_known="not_known", age_not_known_reason="Would not say"))
    text = warned.get_data(as_text=True)
    assert warned.status_code == 200 and "Is this one of these people" in text
    assert f'value="{existing.id}"' in text
    assert len(_people("Adeyemi")) == 1


def test_no_date_of_birth_matches_on_name_and_a_plausible_estimated_age(world, client):
    PersonFactory(organisation=world.org_a, given_name="Temi", family_name="Adeyemi",
                  date_of_birth=date.today().replace(year=date.today().year - 15) - timedelta(days=10))
    sign_in(client, world.worker_a)
    near = client.post("/referrals/people/new/refer", data=_new_person_referral(
        world, date_of_birth=["", "", ""], estimated_age="16", **_date("referred_on", date.today())))
    assert "Is this one of these people" in near.get_data(as_text=True)
    far = client.post("/referrals/people/new/refer", data=_new_person_referral(
        world, date_of_birth=["", "", ""], estimated_age="40", **_date("referred_on", date.today()),
        override_reason="Parent attending with their child"))
    assert far.status_code == 302  # a 40-year-old is not the 15-year-old already recorded
    assert len(_people("Adeyemi")) == 2


def test_a_date_of_birth_matches_a_same_name_record_that_has_none(world, client):
    PersonFactory(organisation=world.org_a, given_name="Temi", family_name="Adeyemi", date_of_birth=None)
    sign_in(client, world.worker_a)
    warned = client.post("/referrals/people/new/refer", data=_new_person_referral(world))
    assert "Is this one of these people" in warned.get_data(as_text=True)
