"""The access matrix over the API (SECURITY.md §1, issue 9): tokens only, the role's capabilities only, and
another provider's objects are 404 on every route, for personal and service tokens alike."""
from __future__ import annotations

import pytest

from app.auth.roles import Role, role_can
from tests.access import FOREIGN, OWN, ROLES, api_rules, fill
from tests.api.conftest import ApiClient, service_token
from tests.conftest import sign_in


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _url(rule, world, table=OWN):
    return rule.build(fill(rule, world, table))[1]


def test_the_api_has_routes_and_every_one_declares_a_capability(app):
    rules = api_rules(app)
    assert len(rules) >= 14
    undeclared = [r.rule for r in rules if not getattr(app.view_functions[r.endpoint], "required_capabilities", None)]
    assert undeclared == []


def test_no_token_is_401_on_every_route_even_when_signed_in_with_a_browser(app, world, client):
    """A browser session (cookie) never authenticates an API call, so the API needs no CSRF token."""
    sign_in(client, world.programme_office)
    assert client.get("/").status_code == 200  # the cookie works for pages
    calls = 0
    for rule in api_rules(app):
        for method in _methods(rule):
            response = client.open(_url(rule, world), method=method, json={} if method == "POST" else None)
            assert response.status_code == 401, f"{method} {rule.rule} → {response.status_code} with a cookie"
            assert response.mimetype == "application/problem+json"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            calls += 1
    print(f"\nsession cookie, no token: {calls} API calls, all 401")


def test_unknown_expired_and_revoked_tokens_are_401(app, world, db_session):
    from datetime import timedelta

    from app.db import utcnow
    from app.tokens import services as tokens

    token, raw = tokens.create_personal_token(world.worker_a, "soon gone")
    api = ApiClient(app.test_client(), raw)
    assert api.get("/api/v1/programmes").status_code == 200
    assert ApiClient(app.test_client(), raw + "x").get("/api/v1/programmes").status_code == 401
    assert ApiClient(app.test_client(), "wp_" + "a" * 43).get("/api/v1/programmes").status_code == 401
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert api.get("/api/v1/programmes").status_code == 401
    token.expires_at = utcnow() + timedelta(days=1)
    tokens.revoke_token(world.worker_a, token)
    db_session.flush()
    assert api.get("/api/v1/programmes").status_code == 401
    other, raw2 = tokens.create_personal_token(world.worker_a, "owner disabled")
    world.worker_a.active = False
    db_session.flush()
    assert ApiClient(app.test_client(), raw2).get("/api/v1/programmes").status_code == 401


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_a_token_reaches_exactly_what_its_role_can(app, world, api_as, role: Role):
    api = api_as(world.users_by_role[role])
    cells = 0
    for rule in api_rules(app):
        caps = app.view_functions[rule.endpoint].required_capabilities
        allowed = all(role_can(role, c) for c in caps)
        for method in _methods(rule):
            response = api.open(_url(rule, world), method=method)
            status = response.status_code
            assert status < 500, f"{method} {rule.rule} → {status} for {role.value}"
            assert response.mimetype in ("application/json", "application/problem+json")
            if allowed and method == "GET":
                assert status == 200, f"GET {rule.rule}: {role.value} should be allowed, got {status}"
            elif allowed:
                assert status not in (401, 403), f"{method} {rule.rule}: {role.value} refused ({status})"
            else:
                assert status == 403, f"{method} {rule.rule}: {role.value} should be refused, got {status}"
            cells += 1
    print(f"\n{role.value}: {cells} API route × method cells checked against the matrix")


def _foreign_sweep(app, world, api, label: str, role: Role) -> int:
    """Every route × method taking a provider-owned id, with provider B's: 404 (403 where the role cannot use
    the route at all — refused before any record is looked at). The body is empty on purpose: the record is
    looked up before the body is read, so not even a validation answer comes back."""
    table = {**OWN, **FOREIGN}
    calls = leaks = 0
    for rule in api_rules(app):
        if not set(rule.arguments) & set(FOREIGN):
            continue
        allowed = all(role_can(role, c) for c in app.view_functions[rule.endpoint].required_capabilities)
        for method in _methods(rule):
            response = api.open(_url(rule, world, table), method=method)
            calls += 1
            if response.status_code != (404 if allowed else 403):
                leaks += 1
                print(f"LEAK {label} {method} {rule.rule} → {response.status_code}")
    print(f"\n{label}: {calls} API calls with another provider's ids, {leaks} leaks")
    assert leaks == 0
    return calls


@pytest.mark.parametrize("role", [Role.YOUTH_WORKER, Role.PROVIDER_MANAGER], ids=["youth_worker", "provider_manager"])
def test_another_providers_objects_are_404_on_every_api_route(app, world, api_as, role):
    assert _foreign_sweep(app, world, api_as(world.users_by_role[role]), f"personal token, {role.value}", role) >= 10


@pytest.mark.parametrize("role", [Role.YOUTH_WORKER, Role.PROVIDER_MANAGER], ids=["youth_worker", "provider_manager"])
def test_another_providers_service_token_gets_404_on_every_object(app, world, role):
    _, raw = service_token(world.admin, world.org_a, role)
    assert _foreign_sweep(app, world, ApiClient(app.test_client(), raw), f"service token, {role.value}", role) >= 10


def test_lists_hold_only_the_tokens_own_organisation(app, world, system_a):
    people = system_a.get("/api/v1/people?limit=100").json["items"]
    referrals = system_a.get("/api/v1/referrals?limit=100").json["items"]
    assert {p["id"] for p in people} == {world.person_a.id}
    assert {r["id"] for r in referrals} == {world.referral_a.id}
