"""SECURITY.md controls 2, 3 and 6 over the API, walked with tokens as every role (the page walks in
tests/security use browser sessions, which the API refuses)."""
from __future__ import annotations

from datetime import date

import pytest

from app.auth.roles import Capability, Role, role_can
from app.db import db
from tests.access import OWN, ROLES, api_rules, fill
from tests.factories import PersonFactory, ReferralFactory
from tests.security.walk import audit_count, new_actions, table_counts


@pytest.fixture
def canaries(world):
    restricted = PersonFactory(given_name="Zebedee", family_name="Restrictedcanary", organisation=world.org_a,
                               date_of_birth=date(2009, 2, 27), restricted=True)
    ReferralFactory(person=restricted, site=world.site_a, assigned_worker=world.worker_a)
    world.person_a.family_name = "Okoyecanary"
    world.person_b.family_name = "Clarkecanary"
    db.session.flush()
    return {"a": ["Okoyecanary"], "b": ["Clarkecanary"], "restricted": ["Restrictedcanary"]}


def _forbidden(role, c):
    if not role_can(role, Capability.VIEW_CASEWORK):
        return c["a"] + c["b"] + c["restricted"]
    out = [] if role_can(role, Capability.DATA_PROTECTION) else list(c["restricted"])
    if not role_can(role, Capability.VIEW_ALL_ORGANISATIONS):
        out += c["b"]
    return out


def _get_urls(app, world):
    for rule in api_rules(app):
        if "GET" in rule.methods:
            yield rule, app.view_functions[rule.endpoint], rule.build(fill(rule, world, OWN))[1]


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_api_canaries_never_reach_a_role_that_must_not_see_them(app, world, canaries, api_as, role):
    api = api_as(world.users_by_role[role])
    cells = hits = 0
    for _rule, _view, url in _get_urls(app, world):
        for query in ("", "?limit=100", "?q=canary"):
            response = api.get(url + query)
            if response.status_code != 200:
                continue
            cells += 1
            text = response.get_data(as_text=True)
            for canary in _forbidden(role, canaries):
                if canary in text:
                    hits += 1
                    print(f"CANARY {canary} in {url}{query} for {role.value}")
    print(f"\nAPI, {role.value}: {hits} canary hits in {cells} route × query cells")
    assert hits == 0 and cells >= 3


def test_api_reads_of_personal_data_are_audited(app, world, canaries, api_as):
    checked, missing = 0, []
    for role in (Role.YOUTH_WORKER, Role.PROVIDER_MANAGER, Role.PROGRAMME_OFFICE):
        api = api_as(world.users_by_role[role])
        for _rule, view, url in _get_urls(app, world):
            before = audit_count()
            response = api.get(url)
            if response.status_code != 200:
                continue
            text = response.get_data(as_text=True)
            if not (getattr(view, "shows_personal_data", False) or "canary" in text):
                continue
            checked += 1
            reads = [a for a in new_actions(before) if a.endswith((".viewed", ".searched"))]
            if not reads:
                missing.append(f"{role.value} {url}")
    print(f"\nAPI personal-data reads without a view event: {len(missing)} of {checked}")
    assert missing == [] and checked >= 10


def test_api_gets_change_nothing_but_the_audit_trail(app, world, canaries, api_as):
    before = table_counts()
    start = audit_count()
    requests = 0
    for role in ROLES:
        api = api_as(world.users_by_role[role])
        for _rule, _view, url in _get_urls(app, world):
            api.get(url)
            requests += 1
    after = table_counts()
    changed = {t: (before[t], after[t]) for t in after if after[t] != before[t] and t not in ("audit_events", "api_tokens")}
    writes = [a for a in new_actions(start) if not (a.endswith((".viewed", ".searched")) or a.startswith(
        ("access.", "export.", "api.request", "api_token.created")))]
    print(f"\nAPI GETs that write: {len(changed)} tables changed after {requests} GETs as {len(ROLES)} roles")
    assert changed == {} and writes == []


def test_every_api_use_is_audited_with_its_token(app, world, api_as):
    from app.audit import AuditEvent

    api = api_as(world.worker_a)
    before = audit_count()
    api.get("/api/v1/programmes")
    api.get("/api/v1/referrals")
    events = db.session.query(AuditEvent).order_by(AuditEvent.id).offset(before).all()
    uses = [e for e in events if e.action == "api.request"]
    assert len(uses) == 2 and all(e.actor_id == world.worker_a.id and e.object_type == "ApiToken" for e in uses)
    assert {e.detail["path"] for e in uses} == {"/api/v1/programmes", "/api/v1/referrals"}
