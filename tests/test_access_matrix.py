"""Every route declares its rule; every role gets what the matrix says (DESIGN.md §4.3, SECURITY.md §1)."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from app.auth.decorators import declared_rule
from app.auth.roles import Role, role_can
from tests.access import FOREIGN, OWN, ROLES, app_rules, fill, page_rules
from tests.conftest import sign_in


def test_every_route_declares_a_rule(app):
    missing = [r.rule for r in app_rules(app) if declared_rule(app.view_functions[r.endpoint]) is None]
    assert missing == [], f"routes without @requires or @public: {missing}"


def test_every_route_parameter_has_a_test_value(app):
    unknown = sorted({a for r in app_rules(app) for a in r.arguments if a not in OWN})
    assert unknown == [], f"add these parameters to tests/access.py OWN: {unknown}"


def _get_rules(app):
    return [r for r in page_rules(app) if "GET" in r.methods]


def _write_rules(app):
    return [r for r in page_rules(app) if r.methods & {"POST", "PUT", "PATCH", "DELETE"}]


def test_anonymous_is_sent_to_sign_in_everywhere_but_public_routes(app, world, client):
    checked = 0
    for rule in app_rules(app):
        view = app.view_functions[rule.endpoint]
        values = fill(rule, world)
        url = rule.build(values)[1] if values is not None else None
        if getattr(view, "is_public", False) or url is None:
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        response = client.open(url, method=method)
        assert response.status_code in (302, 401), f"{method} {url} gave {response.status_code} to anonymous"
        if response.status_code == 302:
            assert "/sign-in" in response.headers["Location"]
        checked += 1
    assert checked >= 10
    print(f"\nanonymous: {checked} routes, all sent to sign-in")


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_role_gets_exactly_what_the_matrix_allows(app, world, client, role: Role):
    user = world.users_by_role[role]
    sign_in(client, user)
    cells = 0
    for rule in _get_rules(app):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "is_public", False):
            continue
        values = fill(rule, world)
        assert values is not None, rule.rule
        url = rule.build(values)[1]
        caps = getattr(view, "required_capabilities", frozenset())
        allowed = all(role_can(role, c) for c in caps)
        response = client.get(url)
        assert response.status_code < 500, f"{url} → {response.status_code} for {role.value}"
        if allowed:
            assert response.status_code in (200, 302), f"{url}: {role.value} should be allowed, got {response.status_code}"
        else:
            assert response.status_code in (403, 404), f"{url}: {role.value} should be refused, got {response.status_code}"
        cells += 1
    print(f"\n{role.value}: {cells} GET routes checked against the matrix")
    assert cells >= 5


@pytest.mark.parametrize("role", [Role.YOUTH_WORKER, Role.PROVIDER_MANAGER], ids=["youth_worker", "provider_manager"])
def test_other_providers_objects_are_404_on_every_route(app, world, client, role):
    """Provider A's staff, given provider B's ids, get 404 on every GET and POST route that takes them."""
    user = world.users_by_role[role]
    sign_in(client, user)
    table = {**OWN, **FOREIGN}
    routes = leaks = 0
    for rule in page_rules(app):  # the API's routes: tests/api/test_access.py, with tokens
        if not set(rule.arguments) & set(FOREIGN):
            continue
        url = rule.build(fill(rule, world, table))[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            routes += 1
            if response.status_code not in (403, 404):
                leaks += 1
                print(f"LEAK {method} {url} → {response.status_code}")
    print(f"\n{role.value}: {routes} object routes × another provider's ids, {leaks} leaks")
    assert leaks == 0


def test_foreign_person_and_referral_are_not_found(app, world):
    from app.auth.policies import get_person_for, get_referral_for
    from werkzeug.exceptions import NotFound

    with app.test_request_context():
        for loader, obj in ((get_person_for, world.person_b), (get_referral_for, world.referral_b)):
            with pytest.raises(NotFound):
                loader(world.worker_a, obj.id)
        assert get_person_for(world.worker_a, world.person_a.id) is world.person_a
        assert get_referral_for(world.programme_office, world.referral_b.id) is world.referral_b
        with pytest.raises(NotFound):  # finance never sees people
            get_person_for(world.finance, world.person_a.id)
        with pytest.raises(NotFound):
            get_person_for(AnonymousUserMixin(), world.person_a.id)
