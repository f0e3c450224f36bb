"""`next` is followed only to a path on this site, everywhere it is read (issue 10, item 6)."""
from __future__ import annotations

import pytest

from app.forms import local_path
from tests.conftest import TEST_PASSWORD, sign_in

OFF_SITE = ["//evil.example/x", "https://evil.example/x", "/\\evil.example/x", "\\\\evil.example", "http:/x",
            "javascript:alert(1)", "/%0d%0aSet-Cookie:x", "/ok\r\nLocation: //evil.example", "evil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_targets_are_refused(target):
    assert local_path(target) in (None, "/%0d%0aSet-Cookie:x")  # an encoded CR stays encoded: a harmless path


def test_local_paths_are_kept():
    assert local_path("/referrals/7?page=2") == "/referrals/7?page=2"


def test_sign_in_ignores_an_off_site_next(client, world):
    response = client.post("/sign-in?next=//evil.example/x",
                           data={"email": world.worker_a.email, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_bulk_reassign_ignores_an_off_site_next(client, world):
    sign_in(client, world.manager_a)
    for target in OFF_SITE:
        response = client.post("/referrals/caseload/reassign", data={
            "referral_ids": [world.referral_a.id], "bulk-worker_id": world.worker_a2.id, "next": target})
        location = response.headers["Location"]
        assert response.status_code == 302 and location.startswith("/") and not location.startswith("//"), target
        assert "evil.example" not in location
