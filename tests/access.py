"""Shared by the access-matrix and isolation tests: how to fill a route's parameters."""
from __future__ import annotations

from app.auth.roles import Role

# Parameter name → attribute of the `world` fixture whose id fills it (own-organisation object).
OWN = {
    "programme_id": "programme", "site_id": "site_a", "referral_id": "referral_a", "person_id": "person_a",
    "contact_id": "contact_a", "other_person_id": "person_a", "user_id": "worker_a", "organisation_id": "org_a", "fy": 2024, "year": 2024,
    "quarter": 2,
    "line_id": "budget_line", "expenditure_id": "expenditure", "contribution_id": "contribution",
    "secondment_id": "secondment", "event_id": "training_event", "run_id": "import_run", "token_id": 1,
    "filename": "fonts/light-94a07e06a1-v2.woff2",  # a GOV.UK font file (served at /assets/…)
}
# Parameters that name a provider-owned object, and the other provider's object to try instead.
FOREIGN = {"referral_id": "referral_b", "person_id": "person_b", "contact_id": "contact_b",
           "other_person_id": "person_b", "run_id": "import_run_b"}
ROLES = list(Role)


def fill(rule, world, table=OWN) -> dict | None:
    values = {}
    for arg in rule.arguments:
        if arg not in table:
            return None
        v = table[arg]
        values[arg] = getattr(world, v).id if isinstance(v, str) and hasattr(world, v) else v
    return values


def app_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def is_api(app, rule) -> bool:
    """API routes authenticate with a token, never a session cookie (tests/api/test_access.py covers them)."""
    return bool(getattr(app.view_functions[rule.endpoint], "api_token_auth", False))


def page_rules(app):
    return [r for r in app_rules(app) if not is_api(app, r)]


def api_rules(app):
    return [r for r in app_rules(app) if is_api(app, r)]
