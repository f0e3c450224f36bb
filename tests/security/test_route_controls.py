"""Controls checked by walking the url map (SECURITY.md §2, §3, §6, §7). Each test prints its figure."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.http import parse_options_header  # noqa: F401

from app.audit import AuditEvent
from app.auth.roles import Capability, Role, role_can
from app.db import db
from tests.access import ROLES, app_rules, fill
from tests.conftest import sign_in
from tests.factories import PersonFactory, ReferralFactory
from tests.security.walk import audit_count, get_urls, new_actions, table_counts, text_of

# Audit events a GET may write: it records who looked, or who was refused, or what was exported.
READ_ACTIONS = ("access.denied", "access.not_found", "export.")
READ_SUFFIXES = (".viewed", ".searched")


def _is_read(action: str) -> bool:
    return action.startswith(READ_ACTIONS) or action.endswith(READ_SUFFIXES)


@pytest.fixture
def canaries(world):
    """Distinctive names and birth dates seeded where each role must (or must not) see them."""
    restricted = PersonFactory(given_name="Zebedee", family_name="Restrictedcanary", organisation=world.org_a,
                               date_of_birth=date(2009, 2, 27), restricted=True)
    ReferralFactory(person=restricted, site=world.site_a, assigned_worker=world.worker_a)
    world.person_a.family_name = "Okoyecanary"
    world.person_b.family_name = "Clarkecanary"
    world.person_a.date_of_birth = date(2008, 11, 23)
    db.session.flush()
    return {"a": ["Okoyecanary", "23/11/2008", "2008-11-23", "23 Nov 2008"],
            "b": ["Clarkecanary"], "restricted": ["Restrictedcanary"]}


def _forbidden(role: Role, c) -> list[str]:
    if not role_can(role, Capability.VIEW_CASEWORK):  # finance and admin: never identities
        return c["a"] + c["b"] + c["restricted"]
    out = [] if role_can(role, Capability.DATA_PROTECTION) else list(c["restricted"])
    if not role_can(role, Capability.VIEW_ALL_ORGANISATIONS):
        out += c["b"]
    return out


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_canaries_never_reach_a_role_that_must_not_see_them(app, world, canaries, client, role):
    """Control 2: role- and field-level output, over every page and download the role can fetch."""
    sign_in(client, world.users_by_role[role])
    cells = hits = 0
    formats = set()
    for _rule, _view, url in get_urls(app, world):
        response = client.get(url)
        if response.status_code != 200:
            continue
        fmt, text = text_of(response)
        formats.add(fmt)
        cells += 1
        for canary in _forbidden(role, canaries):
            if canary in text:
                hits += 1
                print(f"CANARY {canary} in {url} ({fmt}) for {role.value}")
    print(f"\n{role.value}: 0 canary hits expected; {hits} canary hits in {cells} role × route cells ({', '.join(sorted(formats))})")
    assert hits == 0 and cells >= 3


def test_personal_data_routes_write_an_audit_event(app, world, canaries, client):
    """Control 3: every route that shows a person's data (marked, or found to show a canary) writes an event."""
    checked, missing = set(), []
    for role in (Role.YOUTH_WORKER, Role.PROVIDER_MANAGER, Role.PROGRAMME_OFFICE):
        sign_in(client, world.users_by_role[role])
        for rule, view, url in get_urls(app, world):
            before = audit_count()
            response = client.get(url)
            if response.status_code != 200:
                continue
            _fmt, text = text_of(response)
            shows = getattr(view, "shows_personal_data", False) or any(
                c in text for c in canaries["a"] + canaries["b"] + canaries["restricted"])
            if not shows:
                continue
            checked.add(rule.endpoint)
            if not any(_is_read(a) for a in new_actions(before)):
                missing.append(f"{role.value} {url}")
        client.post("/sign-out")
    marked = {r.endpoint for r in app_rules(app) if getattr(app.view_functions[r.endpoint], "shows_personal_data", False)}
    print(f"\npersonal-data routes without an audit event: {len(missing)} of {len(checked)} "
          f"({len(marked)} marked @personal_data)")
    assert missing == [], missing
    assert checked


def test_every_export_is_audited(app, world, canaries, client):
    """Control 7: a download (Content-Disposition: attachment) always leaves an export.* event."""
    exports = unaudited = 0
    for role in ROLES:
        sign_in(client, world.users_by_role[role])
        for _rule, _view, url in get_urls(app, world):
            before = audit_count()
            response = client.get(url)
            if response.status_code == 200 and "attachment" in response.headers.get("Content-Disposition", ""):
                exports += 1
                if not any(a.startswith("export.") for a in new_actions(before)):
                    unaudited += 1
                    print(f"UNAUDITED EXPORT {url} for {role.value}")
        client.post("/sign-out")
    print(f"\nexports without an audit event: {unaudited} of {exports}")
    assert unaudited == 0 and exports >= 1


def test_no_get_route_writes(app, world, canaries, client):
    """Control 6: running every GET as every role changes no table (audit events of reads apart)."""
    before_counts = table_counts()
    before_events = audit_count()
    requests = 0
    for role in ROLES:
        sign_in(client, world.users_by_role[role])
        start = audit_count()
        for _rule, _view, url in get_urls(app, world):
            client.get(url)
            requests += 1
        writes = [a for a in new_actions(start) if not _is_read(a)]
        assert writes == [], f"GETs as {role.value} wrote audit events {writes}"
        client.post("/sign-out")
    after = table_counts()
    changed = {t: (before_counts[t], after[t]) for t in after if after[t] != before_counts[t]}
    print(f"\nGET routes that write: {len(changed)} tables changed after {requests} GETs as {len(ROLES)} roles "
          f"({audit_count() - before_events} audit events of reads and sign-ins)")
    assert changed == {}


def test_every_state_changing_route_rejects_a_request_without_a_csrf_token(app, world, client):
    """Control 6: every POST/PUT/PATCH/DELETE route refuses a form without its token (400)."""
    sign_in(client, world.programme_office)
    routes = refused = skipped = 0
    for rule in app_rules(app):
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not methods:
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "api_token_auth", False):
            skipped += 1  # bearer-token API: no cookie, so no CSRF (checked in the API's own tests)
            continue
        url = rule.build(fill(rule, world))[1]
        for method in methods:
            routes += 1
            before = table_counts()
            response = client.open(url, method=method, data={"reason": "x"}, no_csrf=True)
            if response.status_code == 400 and table_counts() == before:
                refused += 1
            else:
                print(f"NO CSRF CHECK {method} {url} → {response.status_code}")
    print(f"\nCSRF: {refused} of {routes} state-changing routes refused a request without a token "
          f"({skipped} token-authenticated API routes exempt)")
    assert refused == routes and routes >= 5


def test_headers_on_every_page(app, world, client):
    """Control 6: CSP without inline script, frame-ancestors none, nosniff, Referrer-Policy, no-store when signed in."""
    sign_in(client, world.programme_office)
    pages = bad = inline = 0
    for _rule, _view, url in get_urls(app, world):
        response = client.get(url)
        pages += 1
        h = response.headers
        csp = h.get("Content-Security-Policy", "")
        ok = ("script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
              and h.get("X-Content-Type-Options") == "nosniff" and h.get("Referrer-Policy")
              and "no-store" in h.get("Cache-Control", ""))
        if not ok:
            bad += 1
            print(f"HEADERS {url}: {dict(h)}")
        if "html" in (response.mimetype or ""):
            import re

            body = response.get_data(as_text=True)
            found = len(re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)) + len(re.findall(r"\son[a-z]+=\"", body))
            inline += found
    print(f"\nheaders: {pages - bad} of {pages} signed-in pages carry every header; {inline} inline scripts or handlers")
    assert bad == 0 and inline == 0


def test_denied_and_not_found_requests_are_audited(app, world, client):
    """Control 3: a refused page (403) and another provider's record id (404) both leave an event."""
    sign_in(client, world.finance)
    before = audit_count()
    assert client.get(f"/admin/people/{world.person_a.id}/history").status_code == 403
    assert "access.denied" in new_actions(before)
    client.post("/sign-out")
    sign_in(client, world.programme_office)
    before = audit_count()
    assert client.get("/admin/people/999999/history").status_code == 404
    event = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert event.action == "access.not_found" and event.person_id == 999999
    print("\naudit: 403 and 404-on-object both recorded")
