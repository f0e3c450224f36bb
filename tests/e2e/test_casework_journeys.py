"""Casework journeys in a real browser (issue 3 §8): a youth worker takes a new referral through to closing,
a manager reassigns a case, and another provider's worker cannot open it."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in_as, sign_out

pytestmark = pytest.mark.e2e


def _fill_date(page, name: str, d: date) -> None:
    if name == "date_of_birth":  # the age question: a date of birth is one of three answers, revealed when chosen
        page.check("input[name=age_known][value=dob]")
    page.fill(f"#{name}-day", str(d.day))
    page.fill(f"#{name}-month", str(d.month))
    page.fill(f"#{name}-year", str(d.year))


def _log_contact(page, when: date, time: str, attended: bool, notes: str) -> None:
    page.get_by_role("link", name="Log a contact").click()
    page.check(f"input[name=attended][value={'yes' if attended else 'no'}]")
    _fill_date(page, "occurred_on", when)
    page.fill("#occurred_time", time)
    page.fill("#notes", notes)
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_load_state("domcontentloaded")
    assert "saved" in page.locator(".govuk-notification-banner").first.inner_text()


def _new_referral(page, given: str, family: str) -> str:
    """As a signed-in worker: add a person and refer them to the worker's own site; return the case URL."""
    today = date.today()
    page.goto("/referrals/people/new")
    page.fill("#given_name", given)
    page.fill("#family_name", family)
    _fill_date(page, "date_of_birth", date(today.year - 17, 6, 1))
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state("domcontentloaded")
    _fill_date(page, "referred_on", today - timedelta(days=3))
    page.fill("#reason", "Assault injury")
    page.check("#consent_recorded")
    page.get_by_role("button", name="Record referral").click()
    page.wait_for_load_state("domcontentloaded")
    assert "recorded" in page.content()
    return page.url


def test_worker_records_referral_logs_contacts_outcome_and_closes(page):
    today = date.today()
    sign_in_as(page, "worker@example.org")
    page.get_by_role("link", name="People").first.click()
    page.fill("#q", "Zoë Ó'Brien-Hart")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("domcontentloaded")
    assert "0 people found" in page.content()
    shot(page, "casework-01-search-nobody")
    # Nobody found: one page records the person and the referral together.
    page.get_by_role("link", name="Record a referral for someone new").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.input_value("#given_name") == "Zoë" and page.input_value("#family_name") == "Ó'Brien-Hart"
    _fill_date(page, "date_of_birth", date(today.year - 16, 3, 14))
    page.select_option("#sex", "female")
    page.select_option("#ethnicity", "mixed_white_black_caribbean")
    _fill_date(page, "referred_on", today - timedelta(days=10))
    page.fill("#referred_time", "21:40")
    page.select_option("#source", "ae_clinician")
    page.fill("#reason", "Stab wound to the arm; attended A&E with a friend")
    status = page.locator(".govuk-character-count:has(#reason) .govuk-character-count__status")
    page.locator("#reason").press_sequentially(".")
    expect(status).to_have_text(re.compile(r"You have 4,9\d\d characters remaining"))  # counted as they type
    page.check("#consent_recorded")
    shot(page, "casework-02-referral-form")
    page.get_by_role("button", name="Record referral").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Referral to Hospital Navigators recorded" in page.content()
    case_url = page.url

    _log_contact(page, today - timedelta(days=9), "10:15", True, "Met on the ward; agreed to meet again.")
    _log_contact(page, today - timedelta(days=6), "16:00", False, "Did not come to the café; texted.")
    _log_contact(page, today - timedelta(days=2), "16:00", True, "Talked about college options.")
    shot(page, "casework-03-case-with-contacts")
    assert page.locator("[data-testid=timeline] li[data-kind=contact]").count() == 3
    assert page.locator("[data-testid=timeline] li.wp-dna").count() == 1
    assert "Engaged" in page.locator("[data-testid=case-status]").inner_text()

    page.get_by_role("link", name="Record an outcome").click()
    page.check("input[name=outcome_type][value='Signposted to service']")
    page.get_by_role("button", name="Save outcome").click()
    page.wait_for_load_state("domcontentloaded")

    page.get_by_role("link", name="Record a measure").click()
    page.check("input[name=time_point][value=baseline]")
    page.fill("#value", "8")
    page.get_by_role("button", name="Save measure").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Measure saved" in page.content()

    page.get_by_role("link", name="Close the case").click()
    page.check("input[name=reason][value='Support plan completed']")
    shot(page, "casework-04-close-form")
    page.get_by_role("button", name="Close the case").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.url == case_url
    assert "Closed" in page.locator("[data-testid=case-status]").inner_text()
    assert "Signposted to service" in page.content()
    shot(page, "casework-05-case-closed")
    sign_out(page)


def test_bad_contact_input_shows_messages_next_to_fields(page):
    sign_in_as(page, "worker@example.org")
    page.goto(_new_referral(page, "Rhys", "Bad-Input"))
    page.get_by_role("link", name="Log a contact").click()
    page.fill("#occurred_on-day", "31")
    page.fill("#occurred_on-month", "2")
    page.fill("#duration_minutes", "forty")
    page.fill("#notes", "x" * 10_000)
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_load_state("domcontentloaded")
    errors = page.locator(".govuk-error-message").all_inner_texts()
    assert any("real date" in e for e in errors)
    assert any("whole number" in e for e in errors)
    assert any("5,000 characters" in e for e in errors)
    shot(page, "casework-06-contact-errors")


def test_manager_reassigns_and_another_provider_gets_404(page):
    sign_in_as(page, "worker@example.org")
    _new_referral(page, "Tayo", "Reassign-Me")
    sign_out(page)
    sign_in_as(page, "manager@example.org")
    page.get_by_role("link", name="Caseload", exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    shot(page, "casework-07-org-caseload")
    page.select_option("#f-worker_id", label="Jordan Ellis")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("domcontentloaded")
    first = page.locator("[data-testid=org-caseload] tbody tr", has_text="Tayo Reassign-Me").first
    href = first.locator("a").first.get_attribute("href")
    referral_id = int(re.search(r"/referrals/(\d+)$", href).group(1))
    first.locator("input[type=checkbox]").check()
    page.select_option("#bulk-worker_id", label="Casey Brown")
    page.get_by_role("button", name="Reassign", exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    assert "1 referral reassigned" in page.content()
    page.goto(href)
    history = page.locator("[data-testid=timeline] li[data-kind=history]").first.inner_text()
    assert "Reassigned to Casey Brown from Jordan Ellis" in history and "Sam Okafor" in history
    shot(page, "casework-08-reassigned-case")
    sign_out(page)

    sign_in_as(page, "worker.royalscommunitytrust@example.org")
    response = page.goto(f"/referrals/{referral_id}")
    assert response.status == 404
    assert "Page not found" in page.content()
    shot(page, "casework-09-other-provider-404")


def test_found_person_is_referred_straight_away_and_the_duplicate_check_still_runs(page):
    sign_in_as(page, "worker@example.org")
    _new_referral(page, "Priya", "Twice-Told")
    page.goto("/referrals/people?q=priya+twice")
    row = page.locator("[data-testid=people-results] tbody tr", has_text="Priya Twice-Told")
    row.get_by_role("link", name=re.compile("^Refer")).click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("h1").inner_text() == "Record a referral"
    assert "Priya Twice-Told" in page.locator(".govuk-caption-l").inner_text()

    # Typing the same person in again as "someone new" is caught before anything is saved.
    today = date.today()
    page.goto("/referrals/people/new/refer?q=Priya+Twice-Told")
    _fill_date(page, "date_of_birth", date(today.year - 17, 6, 1))
    _fill_date(page, "referred_on", today)
    page.fill("#reason", "Second referral, typed again by mistake")
    page.check("#consent_recorded")
    page.get_by_role("button", name="Record referral").click()
    page.wait_for_load_state("domcontentloaded")
    assert "may already be recorded" in page.locator(".govuk-error-summary").inner_text()
    shot(page, "casework-10-duplicate-question")
    page.locator("[data-testid=duplicate-candidates] input[name=use_person]").first.check()
    page.get_by_role("button", name="Record referral").click()
    page.wait_for_load_state("domcontentloaded")
    assert "recorded for Priya Twice-Told" in page.content()
    page.get_by_role("link", name=re.compile("All referrals for")).click()
    assert page.locator("table tbody tr").count() == 2


def test_log_contact_says_session_number_and_cadence_before_saving(page):
    sign_in_as(page, "worker.youthnavigatorspartn@example.org")
    today = date.today()
    page.goto("/referrals/people?q=Callum+Weekly")
    page.get_by_role("link", name="Record a referral for someone new").click()
    _fill_date(page, "date_of_birth", date(today.year - 13, 1, 20))
    page.select_option("#site_id", index=1)
    _fill_date(page, "referred_on", today - timedelta(days=14))
    page.select_option("#source", "school")
    page.fill("#reason", "Excluded twice this term")
    page.check("#consent_recorded")
    page.get_by_role("button", name="Record referral").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Referral to School Navigators recorded" in page.content()

    page.get_by_role("link", name="Log a contact").click()
    page.wait_for_load_state("domcontentloaded")
    notices = page.locator("[data-testid=session-notices]").inner_text()
    assert "this will be session 1 of the 6 that School Navigators offers" in notices
    _fill_date(page, "occurred_on", today - timedelta(days=2))
    page.fill("#occurred_time", "15:30")
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_load_state("domcontentloaded")

    page.get_by_role("link", name="Log a contact").click()
    page.wait_for_load_state("domcontentloaded")
    notices = page.locator("[data-testid=session-notices]").inner_text()
    assert "session 2 of the 6" in notices
    assert "The last session was 2 days ago; School Navigators runs sessions every 7 days." in notices
    assert "You can still save it." in notices
    shot(page, "casework-11-contact-warnings-before-saving")
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Contact saved." in page.content()
    assert "2 days before this one" in page.locator(".govuk-notification-banner").all_inner_texts()[-1]
