"""A double tap or a retry after a timeout saves once (issue 10, item 5): the create forms carry an idempotency
token (app/idempotency.py) and the second submission lands on what the first one saved."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from app.db import db
from app.referrals.models import Contact, Outcome, Person, Referral
from tests.conftest import sign_in
from tests.referrals.test_views import _contact_form, _referral_form

def _token(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="idempotency_token"[^>]*value="([^"]+)"', page)
    assert match, f"no idempotency token on {url}"
    return match.group(1)


def _count(model, **where) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.execute(query).scalar_one()


def test_a_double_posted_contact_is_stored_once(world, client):
    sign_in(client, world.worker_a)
    url = f"/referrals/{world.referral_a.id}/contacts/new"
    before = _count(Contact, referral_id=world.referral_a.id)
    data = _contact_form(idempotency_token=_token(client, url))
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"] == f"/referrals/{world.referral_a.id}"
    assert _count(Contact, referral_id=world.referral_a.id) == before + 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This was already saved" in page
    # A new visit to the form is a new contact.
    client.post(url, data=_contact_form(idempotency_token=_token(client, url)))
    assert _count(Contact, referral_id=world.referral_a.id) == before + 2


def test_a_double_posted_referral_person_and_outcome_are_stored_once(world, client):
    sign_in(client, world.worker_a)
    url = f"/referrals/people/{world.person_a.id}/refer"
    before = _count(Referral, person_id=world.person_a.id)
    data = _referral_form(world, idempotency_token=_token(client, url))
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(Referral, person_id=world.person_a.id) == before + 1

    url = "/referrals/people/new"
    data = {"given_name": "Tap", "family_name": "Twice", "date_of_birth": ["3", "4", "2009"],
            "idempotency_token": _token(client, url)}
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(Person, family_name="Twice") == 1

    url = f"/referrals/{world.referral_a.id}/outcomes/new"
    outcome = world.programme.outcome_types[0]
    today = date.today()
    data = {"outcome_type": outcome, "achieved_on": [str(today.day), str(today.month), str(today.year)],
            "idempotency_token": _token(client, url)}
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert _count(Outcome, referral_id=world.referral_a.id, outcome_type=outcome) == 1


def test_a_refused_submission_keeps_its_token_and_can_be_corrected(world, client):
    sign_in(client, world.worker_a)
    url = f"/referrals/{world.referral_a.id}/contacts/new"
    token = _token(client, url)
    before = _count(Contact, referral_id=world.referral_a.id)
    bad = client.post(url, data=_contact_form(duration_minutes="-5", idempotency_token=token))
    assert bad.status_code == 200 and f'value="{token}"' in bad.get_data(as_text=True)
    good = client.post(url, data=_contact_form(idempotency_token=token))
    assert good.status_code == 302 and _count(Contact, referral_id=world.referral_a.id) == before + 1


def test_a_double_posted_spend_entry_and_match_contribution_are_stored_once(world, client):
    from app.finance.models import Expenditure, MatchContribution

    sign_in(client, world.finance)
    url = "/finance/years/2024/spend/new"
    data = {"line_id": str(world.budget_line.id), "incurred_on": ["1", "8", "2024"], "amount": "123.45",
            "kind": "actual", "funded_by": str(world.grant_year.id), "idempotency_token": _token(client, url)}
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Expenditure)
                              .where(Expenditure.amount == 123.45)).scalar_one() == 1

    url = "/finance/years/2024/match/new"
    data = {"contributor": "Double Tap Trust", "kind": "cash", "basis": "Cash", "amount": "500",
            "received_on": ["1", "8", "2024"], "status": "pledged", "idempotency_token": _token(client, url)}
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(MatchContribution, contributor="Double Tap Trust") == 1
