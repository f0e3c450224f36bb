"""Reads for the to-do list: ONE query for everything open (and recently closed) in the user's scope, and one
for recent first contacts (clock breaches after the fact). The query count does not grow with the caseload."""
from __future__ import annotations

import functools
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.auth.models import User
from app.auth.policies import bound_referral_scope, referral_scope, referral_scope_shape, scope_values
from app.clocks.models import ProgrammeClock
from app.db import db
from app.programmes.models import Programme, Site
from app.referrals.models import Contact, OutcomeMeasure, Person, Referral, TimePoint
from app.referrals.transitions import OPEN_STATUSES, ReferralStatus

EXIT_WINDOW_DAYS = 14  # a closed case stays on the list this long while its exit measure is missing


def _per_referral(table, column, *where):
    """A value from the outer referral's own rows only, through their index (never the whole table)."""
    return (sa.select(column).where(table.referral_id == Referral.id, *where)
            .correlate(Referral).scalar_subquery())


def _activity_columns():
    def measures(point):
        return _per_referral(OutcomeMeasure, sa.func.count(OutcomeMeasure.id), OutcomeMeasure.time_point == point)

    return (_per_referral(Contact, sa.func.max(Contact.occurred_at)).label("last_contact_at"),
            _per_referral(Contact, sa.func.max(Contact.occurred_at), Contact.attended.is_(True)).label("last_attended_at"),
            _per_referral(OutcomeMeasure, sa.func.max(OutcomeMeasure.measured_on)).label("last_measure_on"),
            measures(TimePoint.BASELINE).label("baselines"), measures(TimePoint.REVIEW).label("reviews"),
            measures(TimePoint.EXIT).label("exits"))


def _scope(stmt, user, *, mine_only: bool, worker_id: int | None, site_id: int | None):
    stmt = stmt.where(referral_scope(user))
    if mine_only:
        stmt = stmt.where(Referral.assigned_worker_id == user.id)
    if worker_id:
        stmt = stmt.where(Referral.assigned_worker_id == worker_id)
    if site_id:
        stmt = stmt.where(Referral.site_id == site_id)
    return stmt


_WORKER = aliased(User, name="assigned_worker")
# The values a work statement is run with (it is built once per shape of user and of filter: _work_statement).
_EXIT_SINCE = sa.bindparam("todo_exit_since", type_=sa.Date)
_USER_ID = sa.bindparam("todo_user_id", type_=sa.Integer)
_WORKER_ID = sa.bindparam("todo_worker_id", type_=sa.Integer)
_SITE_ID = sa.bindparam("todo_site_id", type_=sa.Integer)


@functools.cache
def _work_statement(shape: tuple[bool, bool, bool], mine_only: bool, by_worker: bool, by_site: bool):
    """Everything open (and recently closed) in scope, with each case's activity. Built once per shape and
    run with _work_values: building it cost more Python on every page than running it costs the database
    (SQLAlchemy then reuses its compiled form and cache key too)."""
    worker = _WORKER
    stmt = (
        sa.select(Referral.id, Referral.person_id, Referral.referred_on, Referral.referred_at, Referral.status,
                  Referral.first_contact_at, Referral.reached_on, Referral.closed_on, Referral.trial_arm,
                  Referral.assigned_worker_id, Referral.site_id, Person.given_name, Person.family_name,
                  Programme.name.label("programme"), Programme.kind.label("kind"), Programme.cadence_days,
                  Site.name.label("site"), worker.full_name.label("worker"),
                  ProgrammeClock.id.label("clock_id"), ProgrammeClock.first_contact_within,
                  ProgrammeClock.first_contact_unit, ProgrammeClock.amber_hours, ProgrammeClock.baseline_within_days,
                  ProgrammeClock.review_at_weeks, ProgrammeClock.exit_at_close, *_activity_columns())
        .join(Person, Person.id == Referral.person_id)
        .join(Programme, Programme.id == Referral.programme_id)
        .join(Site, Site.id == Referral.site_id)
        .outerjoin(worker, worker.id == Referral.assigned_worker_id)
        .outerjoin(ProgrammeClock, ProgrammeClock.programme_id == Referral.programme_id)
        .where(sa.or_(Referral.status.in_(OPEN_STATUSES),
                      sa.and_(Referral.status == ReferralStatus.CLOSED, Referral.reached_on.is_not(None),
                              Referral.closed_on >= _EXIT_SINCE)),
               bound_referral_scope(shape))
    )
    if mine_only:
        stmt = stmt.where(Referral.assigned_worker_id == _USER_ID)
    if by_worker:
        stmt = stmt.where(Referral.assigned_worker_id == _WORKER_ID)
    if by_site:
        stmt = stmt.where(Referral.site_id == _SITE_ID)
    return stmt.order_by(Referral.id)


def work_rows(user, today: date, *, mine_only: bool, worker_id: int | None = None, site_id: int | None = None):
    stmt = _work_statement(referral_scope_shape(user), mine_only, bool(worker_id), bool(site_id))
    values = {**scope_values(user), "todo_exit_since": today - timedelta(days=EXIT_WINDOW_DAYS),
              "todo_user_id": user.id, "todo_worker_id": worker_id, "todo_site_id": site_id}
    return db.session.execute(stmt, values).all()


def recent_first_contacts(user, since: date, *, mine_only: bool, worker_id: int | None = None,
                          site_id: int | None = None):
    """Referrals since `since` whose first contact attempt was made: were they within the clock?"""
    stmt = (
        sa.select(Referral.id, Referral.referred_at, Referral.first_contact_at, Referral.site_id,
                  Site.name.label("site"), Programme.kind.label("kind"), ProgrammeClock.id.label("clock_id"),
                  ProgrammeClock.first_contact_within, ProgrammeClock.first_contact_unit, ProgrammeClock.amber_hours,
                  ProgrammeClock.baseline_within_days, ProgrammeClock.review_at_weeks, ProgrammeClock.exit_at_close)
        .join(Programme, Programme.id == Referral.programme_id)
        .join(Site, Site.id == Referral.site_id)
        .outerjoin(ProgrammeClock, ProgrammeClock.programme_id == Referral.programme_id)
        .where(Referral.referred_on >= since, Referral.first_contact_at.is_not(None))
    )
    stmt = _scope(stmt, user, mine_only=mine_only, worker_id=worker_id, site_id=site_id)
    return db.session.execute(stmt).all()


def offline_first_contacts(user, since: date, *, mine_only: bool, worker_id: int | None = None,
                           site_id: int | None = None, limit: int = 200):
    """Referrals since `since` whose first contact attempt was recorded on a phone without a connection (issue
    14): with when it happened, when it was saved on the phone and when it arrived, for `todo.first_contact`."""
    stmt = (
        sa.select(Referral.id, Referral.referred_on, Referral.referred_at, Referral.first_contact_at,
                  Person.given_name, Person.family_name, Site.name.label("site"), Programme.kind.label("kind"),
                  ProgrammeClock.id.label("clock_id"), ProgrammeClock.first_contact_within,
                  ProgrammeClock.first_contact_unit, ProgrammeClock.amber_hours, ProgrammeClock.baseline_within_days,
                  ProgrammeClock.review_at_weeks, ProgrammeClock.exit_at_close,
                  Contact.recorded_offline_at, Contact.created_at)
        .join(Contact, sa.and_(Contact.referral_id == Referral.id, Contact.occurred_at == Referral.first_contact_at))
        .join(Person, Person.id == Referral.person_id)
        .join(Programme, Programme.id == Referral.programme_id)
        .join(Site, Site.id == Referral.site_id)
        .outerjoin(ProgrammeClock, ProgrammeClock.programme_id == Referral.programme_id)
        .where(Referral.referred_on >= since, Contact.recorded_offline_at.is_not(None))
    )
    stmt = _scope(stmt, user, mine_only=mine_only, worker_id=worker_id, site_id=site_id)
    return db.session.execute(stmt.order_by(Referral.first_contact_at.desc(), Contact.id).limit(limit)).all()
