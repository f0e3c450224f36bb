"""A provider's own case system, over real HTTP, with a service token and nothing else (issue 9, "Done when"):
gunicorn with two workers and production settings, Redis for the rate limits, a database of its own.

It searches for a person, tries to refer someone who is probably already recorded (409 with the candidate),
refers them instead, retries that call (nothing made twice), logs contacts, records an outcome and reads its
caseload's changes since yesterday — and never sees the other provider's young people."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

import config

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 13  # this test's own Redis database; its keys also carry a prefix of their own


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def provider_world(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import Organisation, OrganisationKind, User
    from app.auth.passwords import hash_password
    from app.auth.roles import Role
    from app.db import db
    from app.programmes.models import Cohort, HomeOfficeCategory, Programme, ProgrammeKind, Site, SiteSetting
    from app.referrals.models import LawfulBasis, Person, Referral, ReferralSource, Sex
    from app.referrals.names import name_key
    from app.tokens import services as tokens
    from tests.conftest import ensure_postgres_database, reset_database

    if config.test_target() == "postgres":
        base = sa.engine.make_url(config.test_database_url())
        url = base.set(database=f"{base.database}_provider_system").render_as_string(hide_password=False)
        ensure_postgres_database(url)
        reset_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('provider-system') / 'live.db'}"
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "DEBUG": False, "ARGON2_FAST": True})
    out = {"url": url}
    with app.app_context():
        upgrade()
        vru = Organisation(name="Thames Valley VRU", kind=OrganisationKind.VRU)
        org_a = Organisation(name="Berkshire Youth Navigators", kind=OrganisationKind.VCS_PROVIDER)
        org_b = Organisation(name="Royals Community Trust", kind=OrganisationKind.VCS_PROVIDER)
        db.session.add_all([vru, org_a, org_b])
        db.session.flush()
        admin = User(email="admin@tvvru.example.org", full_name="Alex Admin", role=Role.ADMIN, organisation_id=vru.id,
                     password_hash=hash_password(secrets.token_urlsafe(16)))
        programme = Programme(name="Hospital Navigators", kind=ProgrammeKind.HOSPITAL, cohort=Cohort.TARGETED,
                              ho_category=HomeOfficeCategory.EARLY_INTERVENTION, min_age=10, max_age=25,
                              outcome_types=["Signposted to service", "No re-attendance at A&E"])
        db.session.add_all([admin, programme])
        db.session.flush()
        site_a = Site(programme_id=programme.id, name="Royal Berkshire A&E", setting=SiteSetting.A_AND_E,
                      provider_id=org_a.id)
        site_b = Site(programme_id=programme.id, name="John Radcliffe A&E", setting=SiteSetting.A_AND_E,
                      provider_id=org_b.id)
        db.session.add_all([site_a, site_b])
        people = []
        for given, family, org in (("Amara", "Okoye", org_a), ("Bethany", "Clarke", org_b)):
            person = Person(given_name=given, family_name=family, name_key=name_key(given, family),
                            date_of_birth=date(2008, 5, 17), sex=Sex.FEMALE, organisation_id=org.id)
            db.session.add(person)
            people.append(person)
        db.session.flush()
        referrals = []
        for person, site in ((people[0], site_a), (people[1], site_b)):
            referral = Referral(person_id=person.id, programme_id=programme.id, site_id=site.id,
                                provider_id=site.provider_id, referred_on=date.today() - timedelta(days=30),
                                source=ReferralSource.AE_CLINICIAN, lawful_basis=LawfulBasis.PUBLIC_TASK)
            db.session.add(referral)
            referrals.append(referral)
        db.session.flush()
        _, out["token"] = tokens.create_service_token(admin, "Berkshire case system", org_a.id, Role.YOUTH_WORKER)
        _, out["limited_token"] = tokens.create_service_token(admin, "Chatty system", org_a.id, Role.YOUTH_WORKER)
        db.session.commit()
        out.update(person_a=people[0].id, person_b=people[1].id, referral_b=referrals[1].id,
                   site_a=site_a.id, programme=programme.id)
        db.session.remove()
        db.engine.dispose()
    return out


@pytest.fixture(scope="module")
def live(provider_world):
    import redis

    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError:
        pytest.fail("Redis is not running at 127.0.0.1:6379 (.ci/run starts it)")
    port = _free_port()
    env = {**os.environ, "WAYPOINT_CONFIG": "production", "DATABASE_URL": provider_world["url"],
           "SECRET_KEY": secrets.token_urlsafe(48), "WAYPOINT_AUDIT_KEY": secrets.token_urlsafe(48),
           "REDIS_URL": redis_url, "WAYPOINT_WORKERS": "2",
           "RATELIMIT_KEY_PREFIX": f"waypoint-api-test-{secrets.token_hex(4)}", "API_TOKEN_RATE_LIMIT": "40 per minute"}
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=sys.stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(160):
            try:
                requests.get(base + "/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.25)
        else:
            pytest.fail("gunicorn did not start")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


class System:
    def __init__(self, base: str, token: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, **params):
        return self.http.get(self.base + path, params=params, timeout=30)

    def post(self, path, body, **headers):
        return self.http.post(self.base + path, json=body, headers=headers, timeout=30)


def test_a_provider_system_works_its_caseload_with_a_service_token_only(live, provider_world):
    system = System(live, provider_world["token"])
    today = date.today().isoformat()
    started = (datetime.now(UTC) - timedelta(days=1)).isoformat()  # "since yesterday"

    found = system.get("/api/v1/people", q="okoye").json()["items"]
    assert [p["id"] for p in found] == [provider_world["person_a"]]
    assert system.get("/api/v1/people", q="clarke").json()["items"] == []  # provider B's: not even found

    site = next(s for p in system.get("/api/v1/programmes").json()["items"] for s in p["sites"]
                if s["provider_id"] == found[0]["organisation_id"])
    referral = {"programme_id": site["programme_id"], "site_id": site["id"], "referred_on": today,
                "source": "ae_clinician", "lawful_basis": "public_task", "reason": "Assault, seen in A&E"}
    likely = system.post("/api/v1/referrals", {**referral, "person": {"given_name": "Amara", "family_name": "Okoye",
                                                                      "date_of_birth": "2008-05-17"}})
    assert likely.status_code == 409 and likely.headers["Content-Type"] == "application/problem+json"
    assert [c["id"] for c in likely.json()["candidates"]] == [provider_world["person_a"]]

    key = {"Idempotency-Key": secrets.token_hex(16)}
    made = system.post("/api/v1/referrals", {**referral, "person_id": likely.json()["candidates"][0]["id"]}, **key)
    retried = system.post("/api/v1/referrals", {**referral, "person_id": likely.json()["candidates"][0]["id"]}, **key)
    assert made.status_code == retried.status_code == 201
    assert retried.json()["id"] == made.json()["id"] and retried.headers["Idempotent-Replayed"] == "true"
    rid = made.json()["id"]

    for n, attended in enumerate((False, True)):
        logged = system.post(f"/api/v1/referrals/{rid}/contacts",
                             {"occurred_at": f"{today}T0{8 + n}:30:00", "mode": "in_setting", "attended": attended,
                              "duration_minutes": 40 if attended else None}, **{"Idempotency-Key": f"c-{rid}-{n}"})
        assert logged.status_code == 201, logged.text
    outcome = system.post(f"/api/v1/referrals/{rid}/outcomes",
                          {"outcome_type": "Signposted to service", "achieved_on": today})
    assert outcome.status_code == 201

    changed, cursor = [], None
    while True:
        page = system.get("/api/v1/referrals", updated_since=started, limit=1, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200
        changed += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    mine = {r["id"]: r for r in changed}
    assert rid in mine and mine[rid]["status"] == "engaged" and mine[rid]["reached_on"] == today
    assert provider_world["referral_b"] not in mine
    assert len(system.get(f"/api/v1/referrals/{rid}/contacts").json()["items"]) == 2
    assert system.get(f"/api/v1/referrals/{provider_world['referral_b']}").status_code == 404
    assert system.get(f"/api/v1/people/{provider_world['person_b']}").status_code == 404
    print(f"\nprovider system over HTTP: search, 409 on the likely duplicate, referral {rid} (retry replayed), "
          f"2 contacts, 1 outcome, {len(changed)} referrals changed since yesterday; provider B's: 404")


def test_the_per_token_limit_holds_across_gunicorn_workers(live, provider_world):
    """40 a minute for the token, counted in Redis: two workers between them let exactly 40 through."""
    system = System(live, provider_world["limited_token"])
    statuses = [system.get("/api/v1/programmes").status_code for _ in range(50)]
    print(f"\nper-token limit, 2 gunicorn workers, Redis: {statuses.count(200)} of 50 answered, "
          f"{statuses.count(429)} refused (429)")
    assert statuses.count(200) == 40 and statuses.count(429) == 10
