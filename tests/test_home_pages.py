"""Each role lands on a home page that shows real data from the database."""
from __future__ import annotations

from app.auth.roles import Role
from tests.conftest import sign_in


def _home(client, user) -> str:
    sign_in(client, user)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_youth_worker_sees_their_open_referrals(client, world):
    page = _home(client, world.worker_a)
    assert "Amara Okoye" in page            # their case
    assert "Bethany Clarke" not in page     # another provider's
    assert 'data-testid="my-open-total">1<' in page


def test_provider_manager_sees_caseload_by_site(client, world):
    page = _home(client, world.manager_a)
    assert "Caseload by site" in page and "A&amp;E A" in page
    assert "A&amp;E B" not in page


def test_programme_office_sees_programmes_and_targets(client, world):
    page = _home(client, world.programme_office)
    assert "Hospital Navigators (test)" in page
    assert 'data-testid="target-total-new_24_and_under">100<' in page
    assert "A&amp;E B" in page  # every organisation's caseload


def test_finance_sees_grant_year_status_and_no_people(client, world):
    page = _home(client, world.finance)
    assert "Grant years" in page
    assert "Amara" not in page and "Okoye" not in page


def test_admin_sees_accounts(client, world):
    page = _home(client, world.admin)
    assert "Accounts by organisation" in page and "Provider A" in page


def test_navigation_follows_capabilities(client, world):
    page = _home(client, world.finance)
    assert ">Programmes<" in page.replace("\n", "").replace("  ", "") or "Programmes" in page
    for role, absent in ((Role.FINANCE, "Caseload"), (Role.YOUTH_WORKER, "Users")):
        client.post("/sign-out")
        page = _home(client, world.users_by_role[role])
        assert f">{absent}<" not in page


def test_security_headers_on_signed_in_pages(client, world):
    sign_in(client, world.worker_a)
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(client, world):
    sign_in(client, world.worker_a)
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_navigation_marks_exactly_one_section(client, world):
    sign_in(client, world.programme_office)
    for path, label in (("/", "Home"), ("/programmes/", "Programmes"), (f"/programmes/{world.programme.id}", "Programmes")):
        page = client.get(path).get_data(as_text=True)
        assert page.count('aria-current="page"') == 1, path
        current = page.split('aria-current="page"')[1].split("</a>")[0]
        assert label in current, (path, current)


def test_admin_sections_are_told_apart(client, world):
    from flask import url_for

    sign_in(client, world.admin)
    with client.application.test_request_context():
        users, audit_log = url_for("admin.users"), url_for("admin.audit")
    for path, label in ((users, "Users"), (audit_log, "Audit")):
        page = client.get(path).get_data(as_text=True)
        assert page.count('aria-current="page"') == 1, path
        assert label in page.split('aria-current="page"')[1].split("</a>")[0]


def test_govuk_fonts_and_images_the_stylesheet_asks_for_are_served(client):
    import re
    from pathlib import Path

    css = (Path(__file__).parents[1] / "app" / "static" / "govuk" / "govuk-frontend.min.css").read_text()
    urls = sorted(set(re.findall(r"url\((/assets/[^)]+)\)", css)))
    assert len(urls) >= 4
    for url in urls:  # no sign-in needed: the sign-in page uses them too
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data


def test_phase_banner_sits_inside_a_landmark(client, world):
    sign_in(client, world.worker_a)
    page = client.get("/").get_data(as_text=True)
    start = page.index('<section aria-label="Service status">')
    assert start < page.index("govuk-phase-banner") < page.index("</section>", start)
