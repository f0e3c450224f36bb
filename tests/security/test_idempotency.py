"""app/idempotency.py: one mechanism for forms (hidden token) and the API (Idempotency-Key header).

Each test builds an app of its own on a database of its own (SQLite, or PostgreSQL when the run is on PostgreSQL)
with real commits, adds a small "create" route, and counts the rows the database holds afterwards — including
when the same request arrives from several threads at the same moment.
"""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import redirect, request
from flask_wtf import FlaskForm
from wtforms import StringField

from tests.security.real_db import committing_app

THREADS = 8


def _count(app, name: str | None = None) -> int:
    from app.auth.models import Organisation
    from app.db import db

    with app.app_context():
        query = sa.select(sa.func.count()).select_from(Organisation)
        if name:
            query = query.where(Organisation.name == name)
        n = db.session.execute(query).scalar_one()
        db.session.remove()
        return n


def _wire(app):
    """A JSON create route behind the decorator, and a form create route using claim_form / finish_form."""
    from app import idempotency
    from app.auth.models import Organisation, OrganisationKind
    from app.db import db

    def public(view):
        view.is_public = True
        return view

    @app.route("/t/api/things", methods=["POST"])
    @public
    @idempotency.idempotent(lambda: "token:" + request.headers.get("X-Who", "a"))
    def make_thing():
        payload = request.get_json(silent=True) or {}
        name = str(payload.get("name") or "")
        if not name:
            db.session.rollback()
            return {"error": "name is needed"}, 400
        if name == "explode":
            raise RuntimeError("boom")
        org = Organisation(name=name, kind=OrganisationKind.VCS_PROVIDER)
        db.session.add(org)
        db.session.flush()
        db.session.commit()
        return {"id": org.id, "name": name}, 201, {"Location": f"/t/things/{org.id}"}

    class ThingForm(FlaskForm):
        class Meta:
            csrf = False

        name = StringField()
        idempotency_token = idempotency.IdempotencyTokenField()

    @app.route("/t/form", methods=["GET", "POST"])
    @public
    def form_thing():
        form = ThingForm()
        if form.validate_on_submit():
            replay = idempotency.claim_form(form, None)
            if replay is not None:
                return replay
            org = Organisation(name=form.name.data, kind=OrganisationKind.VCS_PROVIDER)
            db.session.add(org)
            db.session.flush()
            location = f"/t/things/{org.id}"
            idempotency.finish_form(form, None, location)
            db.session.commit()
            return redirect(location)
        return f'<input name="idempotency_token" value="{form.idempotency_token.data}">'

    return app


@pytest.fixture
def idem_app(tmp_path):
    with committing_app(tmp_path, "idempotency") as app:
        yield _wire(app)


def test_api_retry_gets_the_first_answer_and_makes_one_record(idem_app):
    client = idem_app.test_client()
    first = client.post("/t/api/things", json={"name": "Alpha"}, headers={"Idempotency-Key": "k-1"})
    again = client.post("/t/api/things", json={"name": "Alpha"}, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert _count(idem_app, "Alpha") == 1


def test_same_key_with_a_different_body_is_refused_with_422(idem_app):
    client = idem_app.test_client()
    client.post("/t/api/things", json={"name": "Beta"}, headers={"Idempotency-Key": "k-2"})
    other = client.post("/t/api/things", json={"name": "Gamma"}, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 422 and "different request" in other.get_json()["error"]
    assert _count(idem_app, "Gamma") == 0


def test_keys_belong_to_their_scope(idem_app):
    client = idem_app.test_client()
    a = client.post("/t/api/things", json={"name": "Delta"}, headers={"Idempotency-Key": "k-3", "X-Who": "a"})
    b = client.post("/t/api/things", json={"name": "Delta2"}, headers={"Idempotency-Key": "k-3", "X-Who": "b"})
    assert a.status_code == 201 and b.status_code == 201 and "Idempotent-Replayed" not in b.headers


def test_without_a_key_the_view_runs_each_time_and_bad_keys_are_refused(idem_app):
    client = idem_app.test_client()
    client.post("/t/api/things", json={"name": "Eps1"})
    client.post("/t/api/things", json={"name": "Eps2"})
    assert _count(idem_app) == 2
    too_long = client.post("/t/api/things", json={"name": "Zeta"}, headers={"Idempotency-Key": "x" * 500})
    assert too_long.status_code == 400 and _count(idem_app, "Zeta") == 0


def test_a_refusal_is_stored_and_a_server_error_is_not(idem_app):
    idem_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = idem_app.test_client()
    bad = client.post("/t/api/things", json={}, headers={"Idempotency-Key": "k-4"})
    assert bad.status_code == 400
    assert client.post("/t/api/things", json={}, headers={"Idempotency-Key": "k-4"}).headers.get(
        "Idempotent-Replayed") == "true"
    boom = client.post("/t/api/things", json={"name": "explode"}, headers={"Idempotency-Key": "k-5"})
    assert boom.status_code == 500
    from app.db import db
    from app.idempotency import lookup

    with idem_app.app_context():
        assert lookup("token:a", "k-5") is None  # the client may try the same key again
        db.session.remove()


def test_concurrent_api_retries_make_one_record(idem_app):
    statuses: list[int] = []
    barrier = threading.Barrier(THREADS)

    def worker():
        client = idem_app.test_client()
        barrier.wait()
        r = client.post("/t/api/things", json={"name": "Racer"}, headers={"Idempotency-Key": "race-1"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = _count(idem_app, "Racer")
    print(f"\nidempotency (API): {THREADS} simultaneous posts with one key → {records} record; statuses {statuses}")
    assert records == 1
    assert sorted(set(statuses)) <= [201, 409] and statuses.count(201) >= 1 and not any(s >= 500 for s in statuses)


def test_form_double_submission_lands_on_the_first_result(idem_app):
    client = idem_app.test_client()
    page = client.get("/t/form").get_data(as_text=True)
    token = page.split('value="')[1].split('"')[0]
    assert len(token) >= 20
    first = client.post("/t/form", data={"name": "Formed", "idempotency_token": token})
    second = client.post("/t/form", data={"name": "Formed", "idempotency_token": token})
    assert first.status_code == 302 and second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(idem_app, "Formed") == 1
    with client.session_transaction() as session:
        assert any("already saved" in message for _, message in session.get("_flashes", []))
    # a fresh form (a new token) is a new record
    token2 = client.get("/t/form").get_data(as_text=True).split('value="')[1].split('"')[0]
    assert token2 != token
    client.post("/t/form", data={"name": "Formed again", "idempotency_token": token2})
    assert _count(idem_app, "Formed again") == 1


def test_concurrent_form_double_taps_make_one_record(idem_app):
    locations: list[str] = []
    barrier = threading.Barrier(THREADS)

    def worker():
        client = idem_app.test_client()
        barrier.wait()
        r = client.post("/t/form", data={"name": "Tapped", "idempotency_token": "same-token-from-one-page"})
        locations.append(r.headers.get("Location", str(r.status_code)))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = _count(idem_app, "Tapped")
    print(f"\nidempotency (form): {THREADS} simultaneous submissions of one form → {records} record")
    assert records == 1 and len(set(locations)) == 1 and locations[0].startswith("/t/things/")

