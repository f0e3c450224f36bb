"""Caseload flags and trial follow-ups (DOMAIN.md §6; issue 3 "My caseload")."""
from __future__ import annotations

from datetime import date, datetime

from app.referrals.eligibility import age_for_referral, check
from app.referrals.followups import add_months, follow_up_due, median, needs_doing


def test_add_months_keeps_the_day_or_the_month_end():
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 15), 12) == date(2025, 1, 15)


def test_follow_up_opens_two_weeks_before_and_closes_when_measured():
    referred = date(2024, 1, 10)
    assert follow_up_due(referred, True, date(2024, 6, 25), None) is None
    assert follow_up_due(referred, True, date(2024, 6, 26), None) == (6, date(2024, 7, 10))
    assert follow_up_due(referred, True, date(2024, 7, 20), date(2024, 7, 1)) is None
    assert follow_up_due(referred, True, date(2025, 1, 5), date(2024, 7, 1)) == (12, date(2025, 1, 10))
    assert follow_up_due(referred, False, date(2025, 1, 5), None) is None


def test_needs_doing_flags():
    today = date(2024, 6, 30)
    assert needs_doing(last_contact_at=None, today=today, referred_on=date(2024, 6, 1), in_trial=False,
                       last_measure_on=None) == ["No contact yet"]
    assert needs_doing(last_contact_at=datetime(2024, 6, 1, 9), today=today, referred_on=date(2024, 6, 1),
                       in_trial=False, last_measure_on=None) == ["No contact in 14 days"]
    assert needs_doing(last_contact_at=datetime(2024, 6, 20, 9), today=today, referred_on=date(2024, 6, 1),
                       in_trial=False, last_measure_on=None) == []


def test_median_of_even_and_odd_lists():
    assert median([3, 1, 2]) == 2
    assert median([1, 2, 3, 10]) == 2.5
    assert median([]) is None


def test_eligibility_by_age_on_the_referral_date():
    assert age_for_referral(date(1999, 10, 1), None, None, date(2024, 6, 15)) == 24
    assert check(24, 10, 24).eligible
    verdict = check(25, 10, 24, "Hospital Navigators")
    assert not verdict.eligible and "25" in verdict.message and "10 to 24" in verdict.message
    assert check(None, 10, 24).eligible  # unknown age: allowed, listed on data quality
    assert age_for_referral(None, 15, date(2023, 6, 1), date(2024, 6, 15)) == 16
