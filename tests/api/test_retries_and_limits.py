"""Idempotency-Key on every POST, and the per-token / per-address limits (issue 9, item 3)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.db import db
from app.referrals.models import Contact, Person, Referral
from tests.access import api_rules
from tests.api.conftest import ApiClient, personal_token


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_every_post_documents_the_idempotency_key(app, client):
    spec = client.get("/api/v1/openapi.json").json
    posts = [(path, item["post"]) for path, item in spec["paths"].items() if "post" in item]
    assert len(posts) >= 8
    for path, op in posts:
        assert "Idempotency-Key" in [p.get("name") for p in op.get("parameters", [])], path


def test_a_retried_referral_creates_nothing_twice_and_gets_the_first_answer(world, system_a):
    body = {"person": {"given_name": "Ola", "family_name": "Adeyemi", "date_of_birth": "2008-01-02"},
            "programme_id": world.programme.id, "site_id": world.site_a.id, "referred_on": date.today().isoformat(),
            "source": "ae_clinician", "lawful_basis": "public_task"}
    people, referrals = _count(Person), _count(Referral)
    key = {"Idempotency-Key": "0b7f3c1e-hospital-42"}
    first = system_a.post("/api/v1/referrals", json=body, headers=key)
    again = system_a.post("/api/v1/referrals", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert (_count(Person), _count(Referral)) == (people + 1, referrals + 1)
    other = system_a.post("/api/v1/referrals", json={**body, "reason": "different"}, headers=key)
    assert other.status_code == 422 and other.json["type"].endswith("#problem-idempotency-conflict")
    assert (_count(Person), _count(Referral)) == (people + 1, referrals + 1)


def test_keys_belong_to_their_token(world, app, system_a):
    url = f"/api/v1/referrals/{world.referral_a.id}/contacts"
    body = {"occurred_at": "2024-06-12T10:00:00", "mode": "phone", "attended": False}
    contacts = _count(Contact)
    assert system_a.post(url, json=body, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert system_a.post(url, json=body, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert _count(Contact) == contacts + 1
    worker = ApiClient(app.test_client(), personal_token(world.worker_a))
    assert worker.post(url, json=body, headers={"Idempotency-Key": "k1"}).headers.get("Idempotent-Replayed") is None
    assert _count(Contact) == contacts + 2


def test_a_refused_request_keeps_no_key(world, system_a):
    url = f"/api/v1/referrals/{world.referral_a.id}/outcomes"
    key = {"Idempotency-Key": "outcome-1"}
    bad = system_a.post(url, json={"outcome_type": "Won the lottery", "achieved_on": "2024-07-01"}, headers=key)
    assert bad.status_code == 422
    good = system_a.post(url, json={"outcome_type": "Signposted to service", "achieved_on": "2024-07-01"}, headers=key)
    assert good.status_code == 201 and good.headers.get("Idempotent-Replayed") is None


def test_an_unusable_key_is_a_clear_400(world, system_a):
    r = system_a.post("/api/v1/people", json={"given_name": "A", "family_name": "B"},
                      headers={"Idempotency-Key": "x" * 201})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "Idempotency-Key"


def test_per_token_limit_is_429_problem_with_retry_after(app, world, system_a):
    app.config["API_TOKEN_RATE_LIMIT"] = "5 per minute"
    try:
        statuses = [system_a.get("/api/v1/programmes").status_code for _ in range(7)]
        assert statuses == [200] * 5 + [429, 429]
        refused = system_a.get("/api/v1/programmes")
        assert refused.mimetype == "application/problem+json" and int(refused.headers["Retry-After"]) > 0
        assert "try again" in refused.json["detail"]
        # Another token has its own allowance.
        other = ApiClient(app.test_client(), personal_token(world.worker_a))
        assert other.get("/api/v1/programmes").status_code == 200
    finally:
        app.config["API_TOKEN_RATE_LIMIT"] = "120 per minute"


def test_per_address_limit_stops_a_token_guesser(app, world):
    app.config["API_IP_RATE_LIMIT"] = "10 per minute"
    try:
        guesser = app.test_client()
        statuses = [guesser.get("/api/v1/people", headers={"Authorization": f"Bearer wp_guess{i}"}).status_code
                    for i in range(12)]
        assert statuses == [401] * 10 + [429, 429]
    finally:
        app.config["API_IP_RATE_LIMIT"] = "600 per minute"


def test_one_allowance_covers_every_api_route(app, world, system_a):
    """The token's allowance is shared by all API routes: once spent on one, every route refuses it."""
    from tests.access import OWN, fill

    app.config["API_TOKEN_RATE_LIMIT"] = "1 per minute"
    try:
        assert system_a.get("/api/v1/programmes").status_code == 200
        refused = 0
        calls = 0
        for rule in api_rules(app):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                calls += 1
                refused += system_a.open(rule.build(fill(rule, world, OWN))[1], method=method).status_code == 429
        assert refused == calls >= 19
    finally:
        app.config["API_TOKEN_RATE_LIMIT"] = "120 per minute"
