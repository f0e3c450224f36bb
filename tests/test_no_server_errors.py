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
        for values in (MISSING, {a: getattr(world, "programme").id for a in rule.arguments}):
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
