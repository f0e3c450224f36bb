"""The first-contact clock rules (app/clocks/rules.py), with the worked figures of its docstring."""
from __future__ import annotations

from datetime import date, datetime

from app.clocks.rules import (
    AMBER, GREEN, RED, ClockSettings, ClockUnit, add_working_days, clock_state, default_settings, describe_left,
    first_contact_due, is_working_day,
)


def test_defaults_by_kind():
    assert default_settings("hospital") == ClockSettings(24, ClockUnit.HOURS)
    assert default_settings("custody").first_contact_within == 48
    assert default_settings("school") == ClockSettings(5, ClockUnit.WORKING_DAYS)
    assert not default_settings("focused_deterrence").has_clock
    assert first_contact_due(datetime(2026, 1, 5, 9), default_settings("community")) is None


def test_bank_holidays_come_from_the_library():
    assert not is_working_day(date(2026, 4, 3))   # Good Friday
    assert not is_working_day(date(2026, 4, 6))   # Easter Monday
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day (observed)
    assert not is_working_day(date(2026, 4, 4))   # a Saturday
    assert is_working_day(date(2026, 4, 7))
    # Scotland keeps 2 January; England does not.
    assert is_working_day(date(2026, 1, 2)) and not is_working_day(date(2026, 1, 2), "SCT")


def test_five_working_days_over_easter():
    assert add_working_days(datetime(2026, 4, 3, 15, 0), 5) == datetime(2026, 4, 13, 15, 0)
    school = ClockSettings(5, ClockUnit.WORKING_DAYS)
    # A Friday referral in an ordinary week: due the next Friday at the same time.
    assert first_contact_due(datetime(2026, 6, 5, 14, 30), school) == datetime(2026, 6, 12, 14, 30)
    # A Saturday referral: Monday is the first working day, Friday the fifth.
    assert first_contact_due(datetime(2026, 6, 6, 10, 0), school) == datetime(2026, 6, 12, 10, 0)


def test_hours_are_real_hours_over_the_clock_change():
    hospital = ClockSettings(24, ClockUnit.HOURS)
    assert first_contact_due(datetime(2026, 3, 28, 20, 0), hospital) == datetime(2026, 3, 29, 21, 0)
    assert first_contact_due(datetime(2026, 10, 24, 20, 0), hospital) == datetime(2026, 10, 25, 19, 0)
    assert first_contact_due(datetime(2026, 6, 6, 20, 0), hospital) == datetime(2026, 6, 7, 20, 0)


def test_green_amber_red():
    due = datetime(2026, 6, 7, 20, 0)
    assert clock_state(due, datetime(2026, 6, 6, 20, 0), 4) == GREEN
    assert clock_state(due, datetime(2026, 6, 7, 15, 59), 4) == GREEN
    assert clock_state(due, datetime(2026, 6, 7, 16, 0), 4) == AMBER
    assert clock_state(due, datetime(2026, 6, 7, 20, 0), 4) == AMBER
    assert clock_state(due, datetime(2026, 6, 7, 20, 1), 4) == RED


def test_what_the_worker_reads():
    due = datetime(2026, 6, 7, 20, 0)
    assert describe_left(due, datetime(2026, 6, 6, 20, 0)) == "24 h left"
    assert describe_left(due, datetime(2026, 6, 7, 15, 50)) == "4 h 10 min left"
    assert describe_left(due, datetime(2026, 6, 7, 19, 15)) == "45 min left"
    assert describe_left(due, datetime(2026, 6, 7, 22, 5)) == "2 h 5 min late"
    assert describe_left(due, datetime(2026, 6, 11, 20, 0)) == "4 days late"
