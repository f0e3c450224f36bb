"""The demo's open cases look worked, as a first-week user would expect (issue 12: home pages opened on a wall of
"overdue" — seeded cases two years without contact). The seeded years' cases are closed after 2024-25 ends
(bar the trial control arm), and a later year's open case has had a contact in the last fortnight."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from app.demo import build_demo
from app.demo_years import extend_demo
from app.referrals.models import Contact, Referral, TrialArm
from app.referrals.transitions import OPEN_STATUSES


def test_open_demo_cases_have_recent_contact_and_old_ones_are_closed_after_2024_25(app, db_session):
    today = date(2026, 11, 20)
    build_demo("demo password long", people=80, today=today)
    extend_demo(today)
    open_old = db.session.execute(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.referred_on < date(2025, 4, 1), Referral.status.in_(OPEN_STATUSES),
        Referral.trial_arm != TrialArm.CONTROL)).scalar_one()
    assert open_old == 0
    closed_old = db.session.execute(sa.select(sa.func.min(Referral.closed_on)).where(
        Referral.referred_on < date(2025, 4, 1), Referral.closure_reason.in_(
            ["Unable to make contact", "Support plan completed"]), Referral.closed_on >= date(2025, 4, 1))).scalar()
    assert closed_old is not None  # the settled ones close after 2024-25 ended, never inside it
    last = (sa.select(Contact.referral_id, sa.func.max(Contact.occurred_at).label("at"))
            .group_by(Contact.referral_id).subquery())
    stale = db.session.execute(
        sa.select(Referral.id, last.c.at).join(last, last.c.referral_id == Referral.id).where(
            Referral.status.in_(OPEN_STATUSES), Referral.reached_on.is_not(None),
            Referral.trial_arm != TrialArm.CONTROL,
            last.c.at < today - timedelta(days=14))).all()
    assert stale == []


