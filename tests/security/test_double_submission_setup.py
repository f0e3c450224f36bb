"""The remaining create forms save once when posted twice (issue 10, item 5): programmes, sites, counting windows,
targets, training events, accounts, organisations, grant years, budget lines and API tokens carry the same
idempotency token as the casework forms (app/idempotency.py); the second submission lands on the first one's
result. Counting windows and targets are set, not added: there the double post used to record the change twice."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Organisation, User
from app.db import db
from app.finance.models import BudgetLine, GrantYear
from app.programmes.models import CountingWindow, Programme, Site, Target, TargetMeasure, TrainingEvent
from app.tokens.models import ApiToken
from tests.conftest import sign_in
from tests.security.test_double_submission import _token


def _count(query) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()


def _twice(client, url: str, data: dict):
    data = {**data, "idempotency_token": _token(client, url)}
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code in (200, 302), first.get_data(as_text=True)[:2000]
    assert second.status_code == 302, second.get_data(as_text=True)[:2000]
    if first.status_code == 302:
        assert second.headers["Location"] == first.headers["Location"]
    assert "This was already saved" in client.get(second.headers["Location"]).get_data(as_text=True)
    return first, second


def test_training_event_posted_twice_is_recorded_once(world, client):
    sign_in(client, world.manager_a)
    url = f"/programmes/{world.programme.id}/training"
    _twice(client, url, {"title": "Double tap awareness", "held_on": ["1", "5", "2024"],
                         "attendees": "Ann Lee, ann@nhs.uk"})
    assert _count(sa.select(TrainingEvent).where(TrainingEvent.title == "Double tap awareness")) == 1


def test_window_and_target_posted_twice_are_set_once(world, client):
    sign_in(client, world.programme_office)
    pid = world.programme.id
    _twice(client, f"/programmes/{pid}/windows",
           {"fy": "2024", "starts_on": ["1", "9", "2024"], "ends_on": ["31", "3", "2025"]})
    assert _count(sa.select(CountingWindow).where(CountingWindow.programme_id == pid, CountingWindow.fy == 2024)) == 1
    assert _count(sa.select(AuditEvent).where(AuditEvent.action == "counting_window.set")) == 1
    _twice(client, f"/programmes/{pid}/targets", {"fy": "2024", "measure": "new_25_and_over", "value": "75"})
    assert _count(sa.select(Target).where(Target.programme_id == pid, Target.fy == 2024,
                                        Target.measure == TargetMeasure.NEW_25_AND_OVER)) == 1
    assert _count(sa.select(AuditEvent).where(AuditEvent.action == "target.set")) == 1


def test_programme_and_site_posted_twice_are_made_once(world, client):
    sign_in(client, world.programme_office)
    _twice(client, "/programmes/new", {
        "name": "Twice Tapped Mentoring", "kind": "community", "ho_category": "prevention",
        "ho_category_secondary": "", "tiers": ["primary"], "cohort": "targeted", "min_age": "10", "max_age": "24",
        "session_cap": "6", "cadence_days": "7", "reach_unit": "individual", "evaluation_stage": "gate_1",
        "outcome_types": "Signposted to service"})
    assert _count(sa.select(Programme).where(Programme.name == "Twice Tapped Mentoring")) == 1
    _twice(client, f"/programmes/{world.programme.id}/sites/new",
           {"name": "A&E Twice", "setting": "a_and_e", "provider_id": str(world.org_b.id)})
    assert _count(sa.select(Site).where(Site.name == "A&E Twice")) == 1


def test_account_and_organisation_posted_twice_are_made_once(world, client):
    sign_in(client, world.admin)
    _twice(client, "/admin/organisations/new", {"name": "Twice Youth Trust", "kind": "vcs_provider"})
    assert _count(sa.select(Organisation).where(Organisation.name == "Twice Youth Trust")) == 1
    _twice(client, "/admin/users/new", {"full_name": "Tap Twice", "email": "tap.twice@example.org",
                                        "role": "youth_worker", "organisation_id": str(world.org_a.id),
                                        "password": "Plenty-long-unusual-phrase-93"})
    assert _count(sa.select(User).where(User.email == "tap.twice@example.org")) == 1


def test_grant_year_and_budget_line_posted_twice_are_made_once(world, client):
    sign_in(client, world.finance)
    _twice(client, "/finance/years/new", {"fy": "2025", "funder": "Home Office", "allocation": "1,000,000",
                                          "match_pct": "20%", "grant_reference": "VRU-25"})
    assert _count(sa.select(GrantYear).where(GrantYear.fy == 2025)) == 1
    assert _count(sa.select(AuditEvent).where(AuditEvent.action.like("grant_year.%"))) <= 1
    _twice(client, "/finance/years/2025/lines/new", {"name": "Twice MASH", "line_type": "intervention",
                                                     "programme_id": "", "planned": "120,000"})
    assert _count(sa.select(BudgetLine).where(BudgetLine.name == "Twice MASH")) == 1


def test_api_tokens_posted_twice_are_made_once(world, client):
    sign_in(client, world.worker_a)
    first, _ = _twice(client, "/account/api-tokens", {"name": "Twice laptop"})
    assert first.status_code == 200  # the token is shown once, on the first answer
    assert _count(sa.select(ApiToken).where(ApiToken.name == "Twice laptop")) == 1
    client.post("/sign-out")
    sign_in(client, world.admin)
    url = "/admin/service-tokens"
    first, _ = _twice(client, url, {"name": "Twice A&E system", "organisation_id": str(world.org_a.id),
                                    "role": "youth_worker"})
    assert _count(sa.select(ApiToken).where(ApiToken.name == "Twice A&E system")) == 1
    # The page the first answer shows carries a fresh token, so the next system made from it is a new one.
    again = first.get_data(as_text=True)
    token = re.search(r'name="idempotency_token"[^>]*value="([^"]+)"', again).group(1)
    client.post(url, data={"name": "Second system", "organisation_id": str(world.org_a.id), "role": "youth_worker",
                           "idempotency_token": token})
    assert _count(sa.select(ApiToken).where(ApiToken.name == "Second system")) == 1
