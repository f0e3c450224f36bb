"""A person makes, uses and revokes an API token; an administrator makes a service token; the API reference
reads as a page (issue 9). Screenshots in test-artifacts/e2e/."""
from __future__ import annotations

import requests

from tests.e2e.conftest import shot, sign_in_as, sign_out


def _call(live_server, token: str, path: str = "/api/v1/programmes"):
    return requests.get(live_server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_worker_makes_uses_and_revokes_a_token(page, live_server):
    sign_in_as(page, "worker@example.org")
    page.goto("/account")
    page.click("text=API tokens")
    page.fill("#name", "Laptop sync")
    page.click("button:has-text('Make a token'), input[value='Make a token']")
    token = page.locator("[data-testid=token-value]").text_content().strip()
    assert token.startswith("wp_")
    shot(page, "api-token-made")
    assert _call(live_server, token).status_code == 200
    page.goto("/account/api-tokens")  # shown once: not on the page any more
    assert token not in page.content()
    assert "Laptop sync" in page.locator("[data-testid=tokens]").text_content()
    shot(page, "api-tokens-list")
    page.click("button:has-text('Revoke')")
    assert "revoked" in page.content()
    assert _call(live_server, token).status_code == 401
    sign_out(page)


def test_admin_makes_a_service_token_for_a_provider_system(page, live_server):
    sign_in_as(page, "admin@example.org")
    page.goto("/admin/users")
    page.click("text=Service tokens")
    page.fill("#name", "Royal Berkshire A&E referrals")
    page.select_option("#organisation_id", label="Berkshire Youth Navigators")
    page.select_option("#role", value="youth_worker")
    page.click("button:has-text('Make a service token'), input[value='Make a service token']")
    token = page.locator("[data-testid=token-value]").text_content().strip()
    shot(page, "api-service-token-made")
    referrals = _call(live_server, token, "/api/v1/referrals?limit=100")
    assert referrals.status_code == 200 and referrals.json()["items"]
    assert {r["provider_id"] for r in referrals.json()["items"]} == {referrals.json()["items"][0]["provider_id"]}
    sign_out(page)


def test_the_api_reference_is_a_readable_page(page, live_server):
    page.goto("/api/v1/reference")
    assert page.locator("h1").text_content().strip() == "API reference"
    assert "/api/v1/referrals/{referral_id}/contacts" in page.locator("main").text_content()
    shot(page, "api-reference")
