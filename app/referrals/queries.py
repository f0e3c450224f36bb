"""Reads for casework pages: `select()`s already scoped by the acting user (DESIGN.md §4.3, §4.5).

List queries select plain columns (or eager-load), so a page's query count does not grow with its rows.
"""
from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.auth.models import User
from app.auth.policies import (bound_referral_scope, organisation_scope, person_scope, referral_scope,
                               referral_scope_shape, scope_values)
from app.auth.roles import Capability
from app.db import db
from app.programmes.models import Programme, Site
from app.referrals.models import Contact, Outcome, OutcomeMeasure, Person, Referral, ReferralStatusChange, TrialArm
from app.referrals.names import fold, normalise_nhs_number
from app.referrals.transitions import OPEN_STATUSES, ReferralStatus
from app.referrals.followups import STALE_AFTER_DAYS
from app.audit import AuditEvent
from app.auth.roles import role_can
from app.auth.models import Organisation


def people_search(user, *, text: str | None = None, date_of_birth: date | None = None):
    stmt = sa.select(Person).where(person_scope(user), Person.merged_into_id.is_(None))
    text = (text or "").strip()
    if text:
        digits = normalise_nhs_number(text)
        by_reference = [sa.func.lower(Person.police_reference) == text.lower()]
        if digits and len(digits) >= 6 and digits == text.replace(" ", "").replace("-", ""):
            by_reference.append(Person.nhs_number == digits)
        tokens = fold(text).split()
        by_name = sa.and_(*[Person.name_key.like(f"%{t}%") for t in tokens]) if tokens else sa.false()
        stmt = stmt.where(sa.or_(by_name, *by_reference))
    if date_of_birth:
        stmt = stmt.where(Person.date_of_birth == date_of_birth)
    return stmt.options(selectinload(Person.organisation)).order_by(Person.family_name, Person.given_name, Person.id)


def open_referral_counts(person_ids: list[int]) -> dict[int, int]:
    if not person_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Referral.person_id, sa.func.count()).where(Referral.person_id.in_(person_ids),
                                                             Referral.status.in_(OPEN_STATUSES))
        .group_by(Referral.person_id)).all())


def person_referrals(user, person_id: int):
    return db.session.execute(
        sa.select(Referral).where(Referral.person_id == person_id, referral_scope(user))
        .options(selectinload(Referral.programme), selectinload(Referral.site), selectinload(Referral.assigned_worker))
        .order_by(Referral.referred_on.desc())).scalars().all()


def load_case(referral: Referral) -> Referral:
    """Everything the case page shows, in a fixed number of queries."""
    return db.session.execute(
        sa.select(Referral).where(Referral.id == referral.id).options(
            selectinload(Referral.person), selectinload(Referral.programme), selectinload(Referral.site),
            selectinload(Referral.assigned_worker),
            selectinload(Referral.contacts).selectinload(Contact.worker),
            selectinload(Referral.status_changes).selectinload(ReferralStatusChange.changed_by),
            selectinload(Referral.outcomes), selectinload(Referral.measures),
        ).execution_options(populate_existing=True)).scalar_one()


class _PerReferral:
    """The latest contact, the contact count and the latest measure of the referral in the outer query, as
    correlated subqueries: each reads only that referral's rows through its index, so a worker's page costs
    the same whether the database holds a thousand contacts or a million (grouping the whole contacts table
    and joining it, as this once did, read every contact in the country to show fifty cases)."""

    def __init__(self):
        self.last_contact_at = (sa.select(sa.func.max(Contact.occurred_at)).where(Contact.referral_id == Referral.id)
                                .correlate(Referral).scalar_subquery().label("last_contact_at"))
        self.contacts = (sa.select(sa.func.count(Contact.id)).where(Contact.referral_id == Referral.id)
                         .correlate(Referral).scalar_subquery().label("contacts"))
        self.last_measure_on = (sa.select(sa.func.max(OutcomeMeasure.measured_on))
                                .where(OutcomeMeasure.referral_id == Referral.id)
                                .correlate(Referral).scalar_subquery().label("last_measure_on"))

    @property
    def c(self):  # the same spelling as a subquery's columns, for the callers below
        return self


_PER_REFERRAL = _PerReferral()  # built once: it depends on nothing but the tables


_WORKER = aliased(User, name="worker")


def _caseload_columns(last):
    worker = _WORKER
    cols = (Referral.id, Referral.status, Referral.referred_on, Referral.referred_at, Referral.first_contact_at,
            Referral.reached_on, Referral.trial_arm, Referral.assigned_worker_id, Referral.version_id,
            Person.given_name, Person.family_name, Person.date_of_birth, Programme.name.label("programme"),
            Site.name.label("site"), worker.full_name.label("worker"), last.last_contact_at, last.contacts,
            last.last_measure_on)
    return cols, worker


def _caseload_select(scope):
    last = _PER_REFERRAL
    cols, worker = _caseload_columns(last)
    return (sa.select(*cols)
            .join(Person, Person.id == Referral.person_id)
            .join(Programme, Programme.id == Referral.programme_id)
            .join(Site, Site.id == Referral.site_id)
            .outerjoin(worker, worker.id == Referral.assigned_worker_id)
            .where(scope)), last


class Caseload(NamedTuple):
    """A worker's caseload as statements built once (per shape of user) and the values to run them with."""
    rows: sa.Select
    count: sa.Select
    values: dict


_STALE_BEFORE = sa.bindparam("caseload_stale_before", type_=sa.DateTime)
_ME = sa.bindparam("caseload_user_id", type_=sa.Integer)


@functools.cache
def _my_caseload_statements(shape: tuple[bool, bool, bool]) -> tuple[sa.Select, sa.Select, sa.Select]:
    stmt, last = _caseload_select(bound_referral_scope(shape))
    tier = sa.case((last.c.last_contact_at.is_(None), 0), (last.c.last_contact_at < _STALE_BEFORE, 1), else_=2)
    mine = (Referral.assigned_worker_id == _ME, Referral.status.in_(OPEN_STATUSES))
    rows = stmt.where(*mine).order_by(tier, last.c.last_contact_at, Referral.referred_at, Referral.id)
    summary = (sa.select(Referral.id, Referral.referred_on, Referral.trial_arm, last.last_contact_at,
                         last.last_measure_on).where(bound_referral_scope(shape), *mine))
    return rows, caseload_count(rows), summary


def _caseload_values(user, today: date) -> dict:
    stale_before = datetime.combine(today - timedelta(days=STALE_AFTER_DAYS), time.min)
    return {**scope_values(user), "caseload_user_id": user.id, "caseload_stale_before": stale_before}


def my_caseload(user, today: date) -> Caseload:
    """Most urgent first: no contact yet (longest waiting first), then no contact in 14 days (longest
    silence first), then the rest by how long since the last contact. Built once per shape of user: building
    it cost more Python on every page than running it costs the database."""
    rows, count, _ = _my_caseload_statements(referral_scope_shape(user))
    return Caseload(rows, count, _caseload_values(user, today))


def my_caseload_summary(user, today: date):
    """Every open referral of the worker, as the few values the "needs doing" counts need (one query)."""
    summary = _my_caseload_statements(referral_scope_shape(user))[2]
    return db.session.execute(summary, _caseload_values(user, today)).all()


# The case timeline reads one person's audit events in time order: this index answers it directly at any
# size of audit trail (declared here, beside the only query that needs it; migration 0009 creates it).
PERSON_HISTORY_INDEX = sa.Index("ix_audit_events_person_id_occurred_at", AuditEvent.person_id, AuditEvent.occurred_at,
                                AuditEvent.id)

HISTORY_ACTIONS = ("referral.reassigned", "referral.updated", "person.updated", "person.merged")


def case_history(referral: Referral) -> list:
    """Reassignments and edits from the audit trail, for the case timeline. Only this referral's events,
    and edits to the person made by this referral's own provider: another organisation's work with the
    same young person is not shown here."""

    events = db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.detail,
                  User.full_name.label("actor"))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.person_id == referral.person_id, AuditEvent.action.in_(HISTORY_ACTIONS),
               sa.or_(sa.and_(AuditEvent.object_type == "Referral", AuditEvent.object_id == referral.id),
                      sa.and_(AuditEvent.object_type == "Person", AuditEvent.object_id == referral.person_id,
                              AuditEvent.organisation_id == referral.provider_id)))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)).all()
    worker_ids = {v for e in events if e.action == "referral.reassigned"
                  for v in ((e.detail or {}).get("from"), (e.detail or {}).get("to")) if isinstance(v, int)}
    names = dict(db.session.execute(sa.select(User.id, User.full_name).where(
        User.id.in_(worker_ids or [0]), User.organisation_id == referral.provider_id)).all())
    return [(e, names) for e in events]


def caseload_count(stmt):
    """How many rows a caseload statement (my_caseload, org_caseload) yields, counted on referrals alone: its
    joins are to the referral's own person, programme and site (required, so they never drop a row) and an
    outer join to its worker, and every filter is on the referral, so the count needs none of them — nor the
    per-referral subqueries. (Counting the page's own statement joined all the people at national scale.)"""
    return sa.select(sa.func.count(Referral.id)).where(stmt.whereclause)


def org_caseload(user, *, site_id=None, worker_id=None, status=None, programme_id=None):
    stmt, last = _caseload_select(referral_scope(user))
    if site_id:
        stmt = stmt.where(Referral.site_id == site_id)
    if worker_id == -1:
        stmt = stmt.where(Referral.assigned_worker_id.is_(None))
    elif worker_id:
        stmt = stmt.where(Referral.assigned_worker_id == worker_id)
    if status == "open":
        stmt = stmt.where(Referral.status.in_(OPEN_STATUSES))
    elif status:
        stmt = stmt.where(Referral.status == ReferralStatus(status))
    if programme_id:
        stmt = stmt.where(Referral.programme_id == programme_id)
    return stmt.order_by(Referral.referred_on.desc(), Referral.id.desc())


def site_figures(user, *, since: date, programme_id=None, site_id=None):
    """Per site: referrals received since `since` (control arm excluded: it is never reached), how many
    were reached, and each referral's hours to first contact (for the median, computed by the caller
    because SQLite has no median)."""
    base = [referral_scope(user), Referral.referred_on >= since, Referral.trial_arm != TrialArm.CONTROL]
    if programme_id:
        base.append(Referral.programme_id == programme_id)
    if site_id:
        base.append(Referral.site_id == site_id)
    counts = db.session.execute(
        sa.select(Site.id, Site.name, Programme.name.label("programme"), sa.func.count(Referral.id).label("referred"),
                  sa.func.count(Referral.reached_on).label("reached"))
        .join(Referral, Referral.site_id == Site.id).join(Programme, Programme.id == Site.programme_id)
        .where(*base).group_by(Site.id, Site.name, Programme.name).order_by(Programme.name, Site.name)).all()
    times = db.session.execute(
        sa.select(Referral.site_id, Referral.referred_at, Referral.first_contact_at)
        .where(*base, Referral.first_contact_at.is_not(None), Referral.referred_at.is_not(None))).all()
    return counts, times


def data_quality(user, today: date, limit: int = 50) -> dict[str, list]:
    """The organisation's data-quality exceptions (DOMAIN.md §5 G), each as a short list of rows."""
    person_cols = (Referral.id, Person.given_name, Person.family_name, Site.name.label("site"), Referral.referred_on)

    def listing(*conditions, extra=()):
        return db.session.execute(
            sa.select(*person_cols, *extra).join(Person, Person.id == Referral.person_id)
            .join(Site, Site.id == Referral.site_id)
            .where(referral_scope(user), *conditions).order_by(Referral.referred_on.desc()).limit(limit)).all()

    early = (sa.select(Contact.referral_id, sa.func.min(Contact.occurred_at).label("first_at"))
             .group_by(Contact.referral_id).subquery())
    return {
        "Age not recorded": listing(Person.date_of_birth.is_(None), Person.estimated_age.is_(None),
                                   Person.age_not_known_reason.is_(None)),
        "Age not known (a reason is recorded)": listing(Person.date_of_birth.is_(None),
                                                        Person.estimated_age.is_(None),
                                                        Person.age_not_known_reason.is_not(None)),
        "Ethnicity missing": listing(Person.ethnicity.is_(None)),
        "Sex missing": listing(Person.sex.is_(None)),
        "Contact dated before the referral": db.session.execute(
            sa.select(*person_cols).join(Person, Person.id == Referral.person_id).join(Site, Site.id == Referral.site_id)
            .join(early, early.c.referral_id == Referral.id)
            .where(referral_scope(user), sa.func.date(early.c.first_at) < sa.func.date(Referral.referred_on))
            .order_by(Referral.referred_on.desc()).limit(limit)).all(),
        "Reached over 6 months ago and still open": listing(
            Referral.reached_on < today - timedelta(days=183), Referral.status != ReferralStatus.CLOSED),
    }


def worker_choices(user, provider_id: int | None = None) -> list[tuple[int, str]]:

    stmt = sa.select(User.id, User.full_name, User.role).where(
        User.active.is_(True), organisation_scope(user, User.organisation_id)).order_by(User.full_name)
    if provider_id:
        stmt = stmt.where(User.organisation_id == provider_id)
    return [(r.id, r.full_name) for r in db.session.execute(stmt) if role_can(r.role, Capability.LOG_CONTACT)]


def worker_filter_choices(user) -> list[tuple[int, str]]:

    stmt = (sa.select(User.id, User.full_name, Organisation.name.label("org")).join(Organisation)
            .where(organisation_scope(user, User.organisation_id),
                   sa.exists().where(Referral.assigned_worker_id == User.id, referral_scope(user)))
            .order_by(User.full_name))
    rows = db.session.execute(stmt).all()
    return [(r.id, f"{r.full_name} ({r.org})" if user.sees_all_organisations else r.full_name) for r in rows]


def site_choices(user, *, active_only: bool = True):
    """(site id, "Programme — Site", programme id) for sites the user may refer to."""
    stmt = (sa.select(Site.id, Site.name, Programme.id.label("programme_id"), Programme.name.label("programme"),
                      Programme.min_age, Programme.max_age)
            .join(Programme).where(organisation_scope(user, Site.provider_id))
            .order_by(Programme.name, Site.name))
    if active_only:
        stmt = stmt.where(Site.active.is_(True), Programme.active.is_(True))
    return db.session.execute(stmt).all()


def programme_choices(user) -> list[tuple[int, str]]:
    stmt = (sa.select(Programme.id, Programme.name).where(
        sa.exists().where(Site.programme_id == Programme.id, organisation_scope(user, Site.provider_id)))
        .order_by(Programme.name))
    return [(r.id, r.name) for r in db.session.execute(stmt)]


def merge_candidates(user, limit: int = 50):
    """Pairs of live records that look like one person: same NHS number, same name and DOB, same family
    name and DOB, or same name with one DOB missing. Provider staff see pairs inside their own organisation."""
    a, b = aliased(Person), aliased(Person)
    same = sa.or_(
        sa.and_(a.nhs_number.is_not(None), a.nhs_number == b.nhs_number),
        sa.and_(a.date_of_birth.is_not(None), a.date_of_birth == b.date_of_birth,
                sa.or_(a.name_key == b.name_key, sa.func.lower(a.family_name) == sa.func.lower(b.family_name))),
        sa.and_(a.name_key == b.name_key, sa.or_(a.date_of_birth.is_(None), b.date_of_birth.is_(None))),
    )
    stmt = sa.select(a, b).join(b, sa.and_(a.id < b.id, same)).where(
        a.merged_into_id.is_(None), b.merged_into_id.is_(None))
    if not user.sees_all_organisations:
        stmt = stmt.where(a.organisation_id == user.organisation_id, b.organisation_id == user.organisation_id)
    else:
        stmt = stmt.where(sa.true() if user.can(Capability.VIEW_CASEWORK) else sa.false())
    stmt = stmt.options(selectinload(a.organisation), selectinload(b.organisation)).order_by(a.id, b.id).limit(limit)
    return db.session.execute(stmt).all()


def evaluation_rows(programme_id: int):
    """One row per trial referral of a programme, for the pseudonymised evaluator export."""
    contacts = (sa.select(Contact.referral_id, sa.func.count(Contact.id).label("contacts"),
                          sa.func.count(Contact.id).filter(Contact.attended.is_(True)).label("attended"))
                .group_by(Contact.referral_id).subquery())
    return db.session.execute(
        sa.select(Referral.id, Referral.person_id, Person.date_of_birth, Person.sex, Person.ethnicity,
                  Site.name.label("site"), Referral.referred_on, Referral.trial_arm, Referral.allocation_draw,
                  Referral.status, Referral.reached_on, Referral.closed_on,
                  sa.func.coalesce(contacts.c.contacts, 0).label("contacts"),
                  sa.func.coalesce(contacts.c.attended, 0).label("attended"))
        .join(Person, Person.id == Referral.person_id).join(Site, Site.id == Referral.site_id)
        .outerjoin(contacts, contacts.c.referral_id == Referral.id)
        .where(Referral.programme_id == programme_id, Referral.trial_arm != TrialArm.NONE)
        .order_by(Referral.referred_on, Referral.id)).all()


def measures_for(referral_ids: list[int]):
    if not referral_ids:
        return []
    return db.session.execute(
        sa.select(OutcomeMeasure.referral_id, OutcomeMeasure.instrument, OutcomeMeasure.time_point,
                  OutcomeMeasure.value, OutcomeMeasure.measured_on)
        .where(OutcomeMeasure.referral_id.in_(referral_ids)).order_by(OutcomeMeasure.measured_on)).all()


def referrals_changed(user, *, updated_since: datetime | None = None, status=None, open_only: bool | None = None,
                      assigned_worker_id: int | None = None, person_id: int | None = None,
                      programme_id: int | None = None):
    """Referrals in scope for a provider system's sync (the API): a referral has changed when it, or a
    contact, status change, outcome or measure of it, was saved at or after `updated_since` (UTC)."""
    stmt = sa.select(Referral).where(referral_scope(user))
    if updated_since is not None:
        touched = [sa.exists().where(m.referral_id == Referral.id, m.updated_at >= updated_since)
                   for m in (Contact, ReferralStatusChange, Outcome, OutcomeMeasure)]
        stmt = stmt.where(sa.or_(Referral.updated_at >= updated_since, *touched))
    if status is not None:
        stmt = stmt.where(Referral.status == status)
    if open_only is True:
        stmt = stmt.where(Referral.status.in_(OPEN_STATUSES))
    elif open_only is False:
        stmt = stmt.where(Referral.status == ReferralStatus.CLOSED)
    if assigned_worker_id:
        stmt = stmt.where(Referral.assigned_worker_id == assigned_worker_id)
    if person_id:
        stmt = stmt.where(Referral.person_id == person_id)
    if programme_id:
        stmt = stmt.where(Referral.programme_id == programme_id)
    return stmt


def referral_items(referral: Referral, model, updated_since: datetime | None = None):
    """A referral's contacts, outcomes or measures (the referral was loaded through its policy)."""
    stmt = sa.select(model).where(model.referral_id == referral.id)
    if updated_since is not None:
        stmt = stmt.where(model.updated_at >= updated_since)
    return stmt


def open_referrals_twice_to_a_programme(person_id: int) -> list[tuple[str, list[int]]]:
    """(programme, referral ids) where the person has more than one open referral to the same programme —
    after a merge, for a manager to check."""
    rows = db.session.execute(
        sa.select(Programme.name, Referral.id).join(Programme, Programme.id == Referral.programme_id)
        .where(Referral.person_id == person_id, Referral.status.in_(OPEN_STATUSES))
        .order_by(Programme.name, Referral.id)).all()
    by_programme: dict[str, list[int]] = {}
    for name, rid in rows:
        by_programme.setdefault(name, []).append(rid)
    return [(name, ids) for name, ids in by_programme.items() if len(ids) > 1]
