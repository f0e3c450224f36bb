"""Keep the derived reach fields of a referral in step with its contacts (DOMAIN.md §3.1).

reached_on = date of the first *attended* contact; first_contact_at = first contact attempt of any
kind (for "time to first contact"). Control-arm referrals are never reached (DOMAIN.md §6).
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from app.db import db
from app.referrals.models import Contact, TrialArm


def reach_dates(first_attended: datetime | None, first_any: datetime | None,
                trial_arm) -> tuple[date | None, datetime | None]:
    """The rule itself: (reached_on, first_contact_at) from the first attended contact and the first contact
    of any kind. A control-arm referral is never reached. The bulk import applies this too."""
    if trial_arm == TrialArm.CONTROL:
        first_attended = None
    return (first_attended.date() if first_attended else None), first_any


def recompute_reach(referral) -> None:

    db.session.flush()
    first_attended, first_any = db.session.execute(
        sa.select(
            sa.func.min(Contact.occurred_at).filter(Contact.attended.is_(True)),
            sa.func.min(Contact.occurred_at),
        ).where(Contact.referral_id == referral.id)
    ).one()
    new_reached, first_any = reach_dates(first_attended, first_any, referral.trial_arm)
    if referral.reached_on != new_reached:
        referral.reached_on = new_reached
    if referral.first_contact_at != first_any:
        referral.first_contact_at = first_any
