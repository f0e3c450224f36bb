"""No input ever produces a 500 (SECURITY.md "Bad input"): every route, every role, hostile input."""
from __future__ import annotations

import re

import pytest

from app.auth.roles import Role
from tests.access import ROLES, app_rules
from tests.conftest import sign_in

MISSING = {"programme_id": 999_999, "site_id": 999_999, "referral_id": 999_999, "person_id": 999_999,
           "contact_id": 999_999, "user_id": 999_999, "organisation_id": 999_999}
GARBAGE_QUERY = ("?page=abc&per_page=-5&fy=zzz&year=99999&quarter=9&format=exe&q=%27%22%3C%3E&status=nope"
                 "&site=x&worker=y&programme=z&sort=;DROP&as_at=31-02-2025")
GARBAGE_FORM = {
    "name": "x" * 10_000, "date_of_birth": ["31", "2", "2024"], "referred_on": ["aa", "bb", "cccc"],
    "amount": "-£12abc", "value": "ten", "fy": "nope", "quarter": "9", "status": "bogus", "email": "\x00bad",
    "notes": "n" * 10_000, "duration_minutes": "1e9", "provider_id": "abc", "site_id": "-1", "worker_id": "x",
    "version_id": "zz", "file": "", "measure": "nope", "mode": "teleport", "attended": "maybe",
}


_NAME = re.compile(r'name="([^"]+)"')
HOSTILE_VALUES = ["=cmd|' /C calc'!A0", "9" * 40, "-1", "31", "\u202e\x00<script>", "x" * 10_001]

# Shapes from the outside attack (issue 10): ids past the database's integer range (PostgreSQL's from 2**31), date
# parts of 2**31 or more, and a non-numeric version — in every path id, every query parameter and every form field.
BEYOND_INT = ["2147483648", "99999999999999999999999"]
HOSTILE_IDS = [{"programme_id": v, "site_id": v, "referral_id": v, "person_id": v, "contact_id": v, "user_id": v,
                "organisation_id": v, "other_person_id": v, "line_id": v, "expenditure_id": v, "contribution_id": v,
                "secondment_id": v, "event_id": v, "fy": v, "year": v, "quarter": v} for v in BEYOND_INT]
QUERY_NAMES = ["page", "programme_id", "programme", "site", "site_id", "worker", "worker_id", "person", "person_id",
               "organisation", "line", "quarter", "fy", "year", "referral_id", "status", "band", "per_page"]
HOSTILE_QUERIES = (["?" + "&".join(f"{n}={v}" for n in QUERY_NAMES) for v in BEYOND_INT]
                   + ["?dob=2147483648&dob=1&dob=2010&q=x", "?dob=1&dob=2147483648&dob=2010",
                      "?since=2147483648-01-01&until=99999-99-99&as_at=2147483648-1-1"])


def _shaped_forms_for(client, url) -> list[dict]:
    """The page's own fields, each given the attack's shapes: every field a date with a 2**31 part (a date field
    reads three values), then every field an id past the integer range with a non-numeric version."""
    page = client.get(url)
    if page.status_code != 200:
        return []
    names = sorted({n for n in _NAME.findall(page.get_data(as_text=True)) if n != "csrf_token"})
    if not names:
        return []
    dates = [{n: [day, month, year] for n in names}
             for day, month, year in (("2147483648", "1", "2010"), ("1", "2147483648", "2010"),
                                      ("1", "1", "2147483648"))]
    ids = [{**{n: v for n in names}, "version": "abc", "worker_id": "6"} for v in BEYOND_INT]
    return dates + ids + [{**{n: "6" for n in names}, "version": "abc"}]


def _hostile_form_for(client, url) -> list[dict]:
    """Every field the page's own form has, filled with each hostile value in turn."""
    page = client.get(url)
    if page.status_code != 200:
        return []
    names = sorted({n for n in _NAME.findall(page.get_data(as_text=True)) if n != "csrf_token"})
    return [{n: value for n in names} for value in HOSTILE_VALUES] if names else []


def _url(rule, values):
    return rule.build({a: values.get(a, 1) for a in rule.arguments})[1]


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_no_route_gives_a_server_error(app, world, client, role: Role):
    sign_in(client, world.users_by_role[role])
    tried = errors = 0
    for rule in app_rules(app):
        if rule.endpoint in ("auth.sign_out",):
            continue
        for values in (MISSING, {a: world.programme.id for a in rule.arguments}):
            url = _url(rule, values)
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            for method in methods:
                if method == "GET":
                    attempts = [client.get(url + GARBAGE_QUERY)]
                else:
                    forms = [GARBAGE_FORM] + (_hostile_form_for(client, url) if "GET" in rule.methods else [])
                    attempts = [client.open(url, method=method, data=f) for f in forms]
                for response in attempts:
                    tried += 1
                    if response.status_code >= 500:
                        errors += 1
                        print(f"500: {method} {url} as {role.value}")
    print(f"\n{role.value}: {tried} hostile requests, {errors} server errors")
    assert errors == 0


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_attack_shapes_give_no_server_error(app, world, client, role: Role):
    """Every route with path ids beyond the integer range, every query parameter beyond it and malformed dates,
    and every form field with 2**31 date parts, out-of-range ids and a non-numeric version."""
    sign_in(client, world.users_by_role[role])
    tried = errors = 0
    failures = []
    for rule in app_rules(app):
        if rule.endpoint in ("auth.sign_out",):
            continue
        own = _url(rule, {a: world.programme.id for a in rule.arguments})
        urls = [_url(rule, values) for values in HOSTILE_IDS] if rule.arguments else []
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            attempts = []
            if method == "GET":
                attempts += [(u, client.get(u)) for u in urls]
                attempts += [(own + q, client.get(own + q)) for q in HOSTILE_QUERIES]
            else:
                forms = _shaped_forms_for(client, own) if "GET" in rule.methods else []
                forms = forms or [{"version": "abc", "worker_id": "6", "date_of_birth": ["2147483648", "1", "2010"]}]
                attempts += [(u, client.open(u, method=method, data=forms[0])) for u in urls]
                attempts += [(own, client.open(own, method=method, data=f)) for f in forms]
            for url, response in attempts:
                tried += 1
                if response.status_code >= 500:
                    errors += 1
                    failures.append(f"{method} {url[:160]}")
    print(f"\n{role.value}: {tried} attack-shaped requests, {errors} server errors")
    assert errors == 0, failures[:20]
