"""Session cap and cadence notices (DOMAIN.md §2): said before saving and again after, never blocking."""
from datetime import datetime, timedelta

from app.referrals.sessions import session_notices, session_warnings

MON = datetime(2024, 9, 16, 16, 0)
RULES = {"programme": "School Navigators", "session_cap": 6, "cadence_days": 7}


def _texts(notices):
    return [(n.text, n.warning) for n in notices]


def test_before_the_first_session_only_the_count_is_said():
    assert _texts(session_notices(**RULES, attended_at=[], at=MON, before_saving=True)) == [
        ("If they attend, this will be session 1 of the 6 that School Navigators offers.", False)]


def test_a_week_later_is_on_cadence_whatever_the_hour():
    # Monday 16:00, then next Monday 10:00: 6.75 days by the clock, 7 calendar days, so no warning.
    at = MON + timedelta(days=6, hours=18)
    notices = session_notices(**RULES, attended_at=[MON], at=at, before_saving=True)
    assert _texts(notices) == [
        ("If they attend, this will be session 2 of the 6 that School Navigators offers.", False),
        ("The last session was 7 days ago; School Navigators runs sessions every 7 days.", False)]
    assert session_warnings(**RULES, attended_at=[MON], at=at) == []


def test_inside_the_cadence_warns_before_and_after_saving():
    at = MON + timedelta(days=3)
    before = session_notices(**RULES, attended_at=[MON], at=at, before_saving=True)
    assert ("The last session was 3 days ago; School Navigators runs sessions every 7 days.", True) in _texts(before)
    assert session_warnings(**RULES, attended_at=[MON], at=at) == [
        "The last session was 3 days before this one; School Navigators runs sessions every 7 days."]
    same_day = session_notices(**RULES, attended_at=[MON], at=MON + timedelta(hours=2), before_saving=True)
    assert ("The last session was today; School Navigators runs sessions every 7 days.", True) in _texts(same_day)


def test_a_back_dated_session_is_compared_with_the_nearest_one():
    assert session_warnings(**RULES, attended_at=[MON], at=MON - timedelta(days=1)) == [
        "Another session was 1 day after this one; School Navigators runs sessions every 7 days."]


def test_past_the_cap_warns():
    held = [MON + timedelta(weeks=i) for i in range(6)]
    at = MON + timedelta(weeks=6)
    assert _texts(session_notices(**RULES, attended_at=held, at=at, before_saving=True))[0] == (
        "If they attend, this will be session 7: School Navigators offers up to 6 sessions.", True)
    assert session_warnings(**RULES, attended_at=held, at=at) == [
        "This is session 7: School Navigators offers up to 6 sessions."]


def test_a_programme_without_a_cap_or_cadence_says_nothing():
    assert session_notices(programme="Hospital Navigators", session_cap=None, cadence_days=None,
                           attended_at=[MON], at=MON + timedelta(days=1), before_saving=True) == []
