"""API test helpers: tokens for the `world`'s people, and a JSON client that sends them."""
from __future__ import annotations

import pytest

from app.auth.roles import Role
from app.tokens import services as tokens


class ApiClient:
    """Wraps the Flask test client: every call carries `Authorization: Bearer <token>`."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers):
        out = dict(headers or {})
        if self.token:
            out.setdefault("Authorization", f"Bearer {self.token}")
        return out

    def get(self, url, headers=None, **kw):
        return self.client.get(url, headers=self._headers(headers), **kw)

    def post(self, url, json=None, headers=None, **kw):
        return self.client.post(url, json=json if json is not None else {}, headers=self._headers(headers), **kw)

    def open(self, url, method="GET", headers=None, **kw):
        if method in ("POST", "PUT", "PATCH") and "json" not in kw and "data" not in kw:
            kw["json"] = {}
        return self.client.open(url, method=method, headers=self._headers(headers), **kw)


def personal_token(user) -> str:
    _, raw = tokens.create_personal_token(user, f"test token for {user.email}")
    return raw


def service_token(admin, organisation, role: Role = Role.YOUTH_WORKER) -> tuple[object, str]:
    token, raw = tokens.create_service_token(admin, f"{organisation.name} system", organisation.id, role)
    return token, raw


@pytest.fixture
def api_as(app, world, client):
    """api_as(user) → an ApiClient with a fresh personal token of that user."""
    def make(user):
        return ApiClient(app.test_client(), personal_token(user))
    return make


@pytest.fixture
def system_a(app, world):
    """Provider A's case system: a service token acting as a youth worker at provider A."""
    token, raw = service_token(world.admin, world.org_a)
    return ApiClient(app.test_client(), raw)
