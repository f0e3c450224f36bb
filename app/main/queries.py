"""Reads for the role home pages; every one is scoped by the acting user."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.auth.models import Organisation, User
from app.auth.policies import referral_scope
from app.db import db
from app.programmes.models import Programme, Site, Target
from app.referrals.followups import STALE_AFTER_DAYS
from app.referrals.models import Contact, Person, Referral
from app.referrals.transitions import OPEN_STATUSES, ReferralStatus
from app.periods import fy_of


def my_open_referrals(user, limit: int = 10, today: date | None = None):
    """The worker's open referrals in the order of My caseload: no contact yet first, then no contact in
    ``STALE_AFTER_DAYS`` days (longest silence first), then the rest by how long since the last contact."""
    # The latest contact of each of the worker's referrals through the index, never the whole contacts table.
    last_contact_at = (sa.select(sa.func.max(Contact.occurred_at)).where(Contact.referral_id == Referral.id)
                       .correlate(Referral).scalar_subquery())
    stmt = (
        sa.select(Referral.id, Person.given_name, Person.family_name, Programme.name.label("programme"),
                  Site.name.label("site"), Referral.status, Referral.referred_on,
                  last_contact_at.label("last_contact_at"))
        .join(Person, Person.id == Referral.person_id)
        .join(Programme, Programme.id == Referral.programme_id)
        .join(Site, Site.id == Referral.site_id)
        .where(referral_scope(user), Referral.assigned_worker_id == user.id,
               Referral.status.in_(OPEN_STATUSES))
        .order_by(urgency_tier(last_contact_at, today or date.today()), last_contact_at, Referral.referred_at,
                  Referral.id)
        .limit(limit)
    )
    return db.session.execute(stmt).all()


def urgency_tier(last_contact_at, today: date):
    """0: no contact yet; 1: none in the last ``STALE_AFTER_DAYS`` days; 2: the rest (as My caseload)."""
    stale_before = datetime.combine(today - timedelta(days=STALE_AFTER_DAYS), time.min)
    return sa.case((last_contact_at.is_(None), 0), (last_contact_at < stale_before, 1), else_=2)


def my_status_counts(user) -> dict[ReferralStatus, int]:
    stmt = (
        sa.select(Referral.status, sa.func.count())
        .where(referral_scope(user), Referral.assigned_worker_id == user.id, Referral.status.in_(OPEN_STATUSES))
        .group_by(Referral.status)
    )
    return {status: n for status, n in db.session.execute(stmt)}


def caseload_by_site(user, fy_start: date, fy_end: date):
    """Open referrals, unassigned, and people reached in the FY, per site, in the user's scope."""
    is_open = Referral.status.in_(OPEN_STATUSES)
    stmt = (
        sa.select(
            Site.id, Site.name.label("site"), Programme.name.label("programme"),
            sa.func.count(Referral.id).filter(is_open).label("open"),
            sa.func.count(Referral.id).filter(is_open, Referral.assigned_worker_id.is_(None)).label("unassigned"),
            sa.func.count(Referral.id).filter(is_open, Referral.reached_on.is_(None)).label("awaiting_contact"),
            sa.func.count(sa.distinct(Referral.person_id)).filter(
                Referral.reached_on.between(fy_start, fy_end)).label("reached_fy"),
        )
        .join(Referral, Referral.site_id == Site.id)
        .join(Programme, Programme.id == Site.programme_id)
        .where(referral_scope(user))
        .group_by(Site.id, Site.name, Programme.name)
        .order_by(Programme.name, Site.name)
    )
    return db.session.execute(stmt).all()


def programmes_with_targets(fy: int):
    targets = {
        (t.programme_id, t.measure): t.value
        for t in db.session.execute(sa.select(Target).where(Target.fy == fy)).scalars()
    }
    site_counts = dict(db.session.execute(
        sa.select(Site.programme_id, sa.func.count()).group_by(Site.programme_id)).all())
    programmes = db.session.execute(sa.select(Programme).order_by(Programme.name)).scalars().all()
    return programmes, targets, site_counts


def latest_target_year(today: date) -> int | None:

    return db.session.execute(
        sa.select(sa.func.max(Target.fy)).where(Target.fy <= fy_of(today))
    ).scalar_one_or_none()


def users_by_role():
    stmt = (
        sa.select(Organisation.name, User.role, sa.func.count())
        .join(User, User.organisation_id == Organisation.id)
        .group_by(Organisation.name, User.role)
        .order_by(Organisation.name)
    )
    return db.session.execute(stmt).all()
