"""A SQLite lock wait that runs past the busy timeout (a very busy single-file install) is answered 503 with
Retry-After and plain words — nothing was saved — on the pages and the API, never a 500."""
from __future__ import annotations

import functools
import sqlite3

import sqlalchemy as sa

from app.tokens import services as tokens
from tests.conftest import sign_in


def _fail_with(app, monkeypatch, path: str, error: str) -> None:
    """Replace the view behind `path` by one that fails as SQLite does (keeping the view's access markers)."""
    endpoint = next(rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == path)

    @functools.wraps(app.view_functions[endpoint])
    def failing(*_args, **_kwargs):
        raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError(error))

    monkeypatch.setitem(app.view_functions, endpoint, failing)


def test_a_locked_database_is_busy_not_a_server_error(app, client, world, monkeypatch):
    sign_in(client, world.worker_a)
    _fail_with(app, monkeypatch, "/referrals/mine", "database is locked")
    page = client.get("/referrals/mine")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    html = page.get_data(as_text=True)
    assert "Waypoint is busy" in html and "Nothing was saved" in html


def test_the_api_says_busy_as_a_problem(app, client, world, monkeypatch):
    _fail_with(app, monkeypatch, "/api/v1/programmes", "database is locked")
    _, secret = tokens.create_personal_token(world.worker_a, "busy test")
    answer = app.test_client().get("/api/v1/programmes", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 503, (answer.headers.get("Location"), answer.get_data(as_text=True)[:300])
    assert answer.mimetype == "application/problem+json"
    assert int(answer.headers["Retry-After"]) > 0  # the API limiter may state its own, longer wait
    body = answer.get_json()
    assert body["status"] == 503 and body["type"].endswith("#problem-busy") and "nothing was saved" in body["detail"].lower()


def test_other_operational_errors_are_still_server_errors(app, client, world, monkeypatch):
    sign_in(client, world.worker_a)
    _fail_with(app, monkeypatch, "/referrals/mine", "disk I/O error")
    assert client.get("/referrals/mine").status_code == 500


