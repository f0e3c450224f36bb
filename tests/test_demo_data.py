"""`flask demo-data` builds the documented VRU and a second run creates nothing."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from app.demo import build_demo, demo_present
from app.programmes.models import CountingWindow, Programme, Site, Target, TargetMeasure
from app.referrals.models import Contact, Person, Referral, TrialArm


def _count(model):
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_demo_matches_the_2024_25_strategy_and_is_idempotent(app, db_session):
    build_demo("demo password long", people=120, today=date(2025, 5, 1))
    assert demo_present()
    assert _count(Programme) == 10
    totals = dict(db.session.execute(sa.select(Target.measure, sa.func.sum(Target.value)).where(Target.fy == 2024)
                                     .group_by(Target.measure)).all())
    # The rows add to 843, not the printed 823 (DOMAIN.md §2).
    assert totals[TargetMeasure.NEW_24_AND_UNDER] == 843
    assert totals[TargetMeasure.NEW_25_AND_OVER] == 135
    hospital = db.session.execute(sa.select(Programme).where(Programme.name == "Hospital Navigators")).scalar_one()
    assert len(hospital.sites) == 5 and len({s.provider_id for s in hospital.sites}) == 5
    window = db.session.execute(sa.select(CountingWindow).join(Programme)
                                .where(Programme.name == "School Navigators", CountingWindow.fy == 2024)).scalar_one()
    assert (window.starts_on, window.ends_on) == (date(2024, 9, 1), date(2025, 3, 31))
    custody = db.session.execute(sa.select(Programme).where(Programme.name == "Custody Coaches")).scalar_one()
    assert len(custody.sites) == 2
    # The situations the counting rules must handle all occur.
    assert _count(Person) >= 120
    assert db.session.execute(sa.select(sa.func.count()).where(Contact.attended.is_(False))).scalar_one() > 0
    assert db.session.execute(sa.select(sa.func.count()).where(Referral.closed_on.is_not(None))).scalar_one() > 0
    assert db.session.execute(sa.select(sa.func.count()).where(Referral.trial_arm == TrialArm.CONTROL)).scalar_one() > 0
    assert db.session.execute(sa.select(sa.func.count()).where(
        Referral.trial_arm == TrialArm.CONTROL, Referral.reached_on.is_not(None))).scalar_one() == 0
    carry_over = db.session.execute(sa.select(sa.func.count()).where(
        Referral.reached_on < date(2024, 4, 1), sa.or_(Referral.closed_on.is_(None), Referral.closed_on >= date(2024, 4, 1))
    )).scalar_one()
    assert carry_over > 0
    returning = db.session.execute(
        sa.select(Referral.person_id).group_by(Referral.person_id).having(sa.func.count() > 1)).all()
    assert returning
    reached = db.session.execute(sa.select(Person.date_of_birth, Referral.reached_on).join(Referral)
                                 .where(Referral.reached_on.is_not(None), Person.date_of_birth.is_not(None))).all()
    ages = {(r - d).days // 365 for d, r in reached}
    assert min(ages) <= 24 and max(ages) >= 25
    before = {m: _count(m) for m in (Person, Referral, Contact, Site)}
    from app.demo import demo_present as present
    assert present()  # the CLI checks this and creates nothing on a second run
    assert {m: _count(m) for m in (Person, Referral, Contact, Site)} == before


def test_demo_cli_twice_creates_nothing_twice(app, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-data", "--people", "30"])
    assert first.exit_code == 0, first.output
    assert "programme.office@example.org" in first.output
    assert "Creating the demo VRU" in first.output and "Added the years 2025-26" in first.output
    people = _count(Person)
    second = runner.invoke(args=["demo-data", "--people", "30"])
    assert second.exit_code == 0 and "already loaded" in second.output
    assert _count(Person) == people


def test_demo_lives_in_the_current_year_with_2024_25_as_documented(app, db_session):
    from app.demo_years import extend_demo, years_to_add
    from app.finance.models import GrantYear
    from app.reports import dashboard
    from app.reports.builders.quarterly_return import build_quarterly_return

    today = date(2026, 11, 20)
    build_demo("demo password long", people=120, today=today)
    before = build_quarterly_return(2024, 4).to_dict()["sections"]
    assert years_to_add(today) == [2025, 2026]
    assert extend_demo(today) == [2025, 2026]
    # 2024-25 is exactly as the seeds give it: the extension adds nothing to it.
    assert build_quarterly_return(2024, 4).to_dict()["sections"] == before
    for fy in (2025, 2026):
        assert db.session.execute(sa.select(sa.func.count()).where(Target.fy == fy)).scalar_one() > 10
        grant = db.session.execute(sa.select(GrantYear).where(GrantYear.fy == fy)).scalar_one()
        assert grant.allocation > 0
    lines = dashboard.build(2026, today)
    statuses = {bl.status for line in lines for bl in line.lines if bl.target}
    assert {"green", "amber", "red"} <= statuses
    assert not any(line.name == "Hospital Navigators" and all(bl.status == "red" for bl in line.lines) for line in lines)
    waiting = db.session.execute(sa.select(Referral).where(
        Referral.referred_on >= today - timedelta(days=3), ~Referral.contacts.any())).scalars().all()
    assert len(waiting) >= 3  # first-contact clocks running
    counts = {m: _count(m) for m in (Person, Referral, Contact, Target)}
    assert extend_demo(today) == [] and {m: _count(m) for m in (Person, Referral, Contact, Target)} == counts
    assert extend_demo(date(2027, 4, 2)) == [2027]  # a new financial year adds only that year
