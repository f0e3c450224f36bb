"""Section T of the return (timeliness) against figures worked out by hand (issue 13), on SQLite and PostgreSQL.

Hospital programme (24 h clock), Q1 2026-27 (April to June 2026):

| ref | site | referred | contacts (hours after referral) | first attempt | attended |
|---|---|---|---|---|---|
| r1 | S1 | Mon 1 Jun 10:00 | phone DNA +2; one to one +26 | 2 (phone) | 26 |
| r2 | S1 | Tue 2 Jun 09:00 | in setting +4 | 4 | 4 |
| r3 | S1 | Sat 6 Jun 20:00 | phone +36 | 36 (late) | 36 |
| r4 | S1 | Sun 7 Jun 10:00 | in setting +6 | 6 | 6 |
| r5 | S2 | Wed 3 Jun 10:00 | phone +2 | 2 | 2 |
| r6 | S2 | Thu 4 Jun 10:00 | message DNA +30 | 30 (late) | — |
| r7 | S2 | Sat 13 Jun 10:00 | none yet | — | — |

S1 (4, even): attempts 2, 4, 6, 36 → median 5.0, p90 at 0.9 × 3 = 2.7 → 6 + 0.7 × 30 = 27.0; attended 4, 6, 26, 36
→ median 16.0, p90 26 + 0.7 × 10 = 33.0; within 3 of 4; engaged 4 of 4.
S2: attempts 2, 30 → median 16.0, p90 2 + 0.9 × 28 = 27.2; attended 2 → 2.0 and 2.0; within 1 of 3; engaged 1 of 3.
All sites (7): attempts 2, 2, 4, 6, 30, 36 → median 5.0, p90 at 4.5 → 30 + 0.5 × 6 = 33.0; attended (5, odd)
2, 4, 6, 26, 36 → median 6.0, p90 at 3.6 → 26 + 0.6 × 10 = 32.0; within 4 of 7; engaged 5 of 7.
Weekend (r3, r4, r7): attempts 6, 36 → median 21.0, p90 6 + 0.9 × 30 = 33.0; within 1 of 3; engaged 2 of 3.
Weekday (r1, r2, r5, r6): attempts 2, 2, 4, 30 → 3.0 and 4 + 0.7 × 26 = 22.2; attended (3, odd) 2, 4, 26 → 4.0 and
4 + 0.8 × 22 = 21.6; within 3 of 4. First attempt by phone (r1, r3, r5): 2, 2, 36 → 2.0 and 2 + 0.8 × 34 = 29.2.
No attempt yet: r7 only. A control-arm referral and one from March are left out.

School programme (5 working days): r9 Thu 28 May 10:00, attempt Thu 4 Jun 09:59 (within); r10 Fri 22 May 15:00,
attempt Mon 1 Jun 14:00 — within only because Mon 25 May is a bank holiday (due Mon 1 Jun 15:00); r11 Sat 30 May
11:00, attempt Fri 5 Jun 11:01 (one minute late) → within 2 of 3.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from app.db import db
from app.documents import render
from app.programmes.models import ProgrammeKind
from app.referrals.models import ContactMode, TrialArm
from app.reports.builders.quarterly_return import build_quarterly_return
from tests.factories import ContactFactory, ProgrammeFactory, ReferralFactory, SiteFactory

PHONE, SETTING, ONE, MESSAGE = ContactMode.PHONE, ContactMode.IN_SETTING, ContactMode.ONE_TO_ONE, ContactMode.MESSAGE


def _referral(site, at: datetime, contacts=(), **kw):
    r = ReferralFactory(site=site, referred_on=at.date(), referred_at=at, **kw)
    for hours, mode, attended in contacts:
        ContactFactory(referral=r, occurred_at=at + timedelta(hours=hours), mode=mode, attended=attended)
    attempts = [at + timedelta(hours=h) for h, _, _ in contacts]
    attended_at = [at + timedelta(hours=h) for h, _, a in contacts if a]
    r.first_contact_at = min(attempts) if attempts else None
    r.reached_on = min(attended_at).date() if attended_at else None
    return r


@pytest.fixture
def timely(app, db_session):
    hospital = ProgrammeFactory(name="Timely Hospital", kind=ProgrammeKind.HOSPITAL)
    s1, s2 = SiteFactory(programme=hospital, name="S1 A&E"), SiteFactory(programme=hospital, name="S2 A&E")
    _referral(s1, datetime(2026, 6, 1, 10), [(2, PHONE, False), (26, ONE, True)])
    _referral(s1, datetime(2026, 6, 2, 9), [(4, SETTING, True)])
    _referral(s1, datetime(2026, 6, 6, 20), [(36, PHONE, True)])
    _referral(s1, datetime(2026, 6, 7, 10), [(6, SETTING, True)])
    _referral(s2, datetime(2026, 6, 3, 10), [(2, PHONE, True)])
    _referral(s2, datetime(2026, 6, 4, 10), [(30, MESSAGE, False)])
    _referral(s2, datetime(2026, 6, 13, 10))
    _referral(s1, datetime(2026, 6, 8, 10), [(1, PHONE, True)], trial_arm=TrialArm.CONTROL)  # left out
    _referral(s1, datetime(2026, 3, 31, 10), [(1, PHONE, True)])  # the previous quarter
    school = ProgrammeFactory(name="Timely School", kind=ProgrammeKind.SCHOOL)
    sch = SiteFactory(programme=school, name="High School")
    _referral(sch, datetime(2026, 5, 28, 10), [(24 * 7 - 1 / 60, ONE, True)])
    _referral(sch, datetime(2026, 5, 22, 15), [(24 * 10 - 1, ONE, True)])
    _referral(sch, datetime(2026, 5, 30, 11), [(24 * 6 + 1 / 60, ONE, False)])
    db.session.flush()
    return build_quarterly_return(2026, 1)


def _table(report, prefix):
    section = next(s for s in report.sections if s.key == "T")
    return next(t for t in section.tables if t.title.startswith(prefix))


def _find(table, programme, site, split=None):
    return next(r for r in table.rows if r["programme"] == programme and r["site"] == site
                and (split is None or r["split"] == split))


def _figures(row):
    return (row["referrals"], row["med_attempt"], row["p90_attempt"], row["med_attended"], row["p90_attended"],
            row["on_clock"], row["in_clock"], row["reached"])


def test_figures_equal_the_hand_computed_ones(timely):
    t1, t2 = _table(timely, "T1"), _table(timely, "T2")
    h = "Timely Hospital"
    assert _figures(_find(t1, h, "S1 A&E")) == (4, "5.0", "27.0", "16.0", "33.0", 4, 3, 4)
    assert _figures(_find(t1, h, "S2 A&E")) == (3, "16.0", "27.2", "2.0", "2.0", 3, 1, 1)
    assert _figures(_find(t1, h, "All sites")) == (7, "5.0", "33.0", "6.0", "32.0", 7, 4, 5)
    all_sites = _find(t1, h, "All sites")
    assert all_sites["within"] == Decimal("0.5714") and all_sites["engagement"] == Decimal("0.7143")
    assert _find(t1, h, "S1 A&E")["within"] == Decimal("0.75")
    weekend = _find(t2, h, "All sites", "Referred at a weekend")
    assert _figures(weekend) == (3, "21.0", "33.0", "21.0", "33.0", 3, 1, 2)
    weekday = _find(t2, h, "All sites", "Referred on a weekday")
    assert _figures(weekday) == (4, "3.0", "22.2", "4.0", "21.6", 4, 3, 3)
    phone = _find(t2, h, "All sites", "First attempt: phone")
    assert _figures(phone)[:3] == (3, "2.0", "29.2")
    none_yet = _find(t2, h, "All sites", "No contact attempt yet")
    assert _figures(none_yet) == (1, None, None, None, None, 1, 0, 0)
    school = _find(t1, "Timely School", "All sites")
    assert (school["referrals"], school["on_clock"], school["in_clock"]) == (3, 3, 2)


def test_every_format_and_the_public_version(timely):
    for fmt in ("pdf", "xlsx", "csv", "json"):
        data, _, _ = render(timely, fmt)
        assert data
    as_json = json.loads(render(timely, "json")[0])
    assert any(s["key"] == "T" for s in as_json["sections"])
    assert b"Median hours to first attempt" in render(timely, "csv")[0]
    public = build_quarterly_return(2026, 1, suppressed=True)
    row = _find(_table(public, "T1"), "Timely Hospital", "All sites")
    # 7 referrals: 1–7 shown as *, percentages with a denominator under 8 withheld, hours withheld under 8.
    assert row["referrals"] == "*" and row["within"] == "*" and row["med_attempt"] == "*"


def test_dashboard_shows_timeliness_in_the_viewers_scope(client, world):
    from tests.conftest import sign_in

    sign_in(client, world.manager_a)
    html = client.get("/reports/targets?fy=2024").get_data(as_text=True)
    table = html[html.index('data-testid="timeliness"'):]
    table = table[:table.index("</table>")]
    # Referral A (3 Jun 2024 10:00, attended 4 Jun 11:00 in the world): 25 hours, outside a 24 h clock.
    assert "A&amp;E A" in table and "A&amp;E B" not in table
    assert table.count("25.0") == 8 and "0%" in table  # median and p90, attempt and attended, site and total
    client.post("/sign-out")
    sign_in(client, world.programme_office)
    html = client.get("/reports/targets?fy=2024").get_data(as_text=True)
    assert "A&amp;E B" in html[html.index('data-testid="timeliness"'):]
