"""Organisation scoping — the ONLY place it lives (DESIGN.md §4.3).

Provider staff see their own organisation's referrals, and the people those referrals (or their
own records) concern. The programme office sees every organisation. Roles without casework
capability see no people at all. People whose processing is restricted (and their referrals) are visible
only to the data-protection capability. Out-of-scope loads are 404, never 403, so ids leak nothing.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.aliased)
from flask import abort

from app.auth.roles import Capability
from app.referrals.models import Contact, Referral
from app.db import db
from app.referrals.models import Person
from app.auth.models import User
from app.programmes.models import Site


# Aliases built once (building one per request cost milliseconds on every page). Each is used only inside
# its own EXISTS, so it never correlates with a Person or Referral the outer query joins.
_RESTRICTED_PERSON = sa.orm.aliased(Person, name="restricted_person")
_THEIR_REFERRAL = sa.orm.aliased(Referral, name="their_referral")


def _casework_allowed(user) -> bool:
    return bool(user and user.is_authenticated and user.can(Capability.VIEW_CASEWORK))


def _sees_restricted(user) -> bool:
    """Restricted records (UK GDPR Art. 18) are visible only with the data-protection capability."""
    return user.can(Capability.DATA_PROTECTION)


def _referral_clause(shape: tuple[bool, bool, bool], organisation):
    allowed, sees_all, sees_restricted = shape
    if not allowed:
        return sa.false()
    clauses = []
    if not sees_all:
        clauses.append(Referral.provider_id == organisation)
    if not sees_restricted:
        restricted = _RESTRICTED_PERSON
        clauses.append(~sa.exists().where(restricted.id == Referral.person_id, restricted.restricted.is_(True)))
    return sa.and_(sa.true(), *clauses)


def referral_scope_shape(user) -> tuple[bool, bool, bool]:
    """Everything a user's referral scope depends on except their organisation's id: may they see casework at
    all, every organisation's, restricted people's. Statements built once are built once per shape."""
    if not _casework_allowed(user):
        return (False, False, False)
    return (True, bool(user.sees_all_organisations), bool(_sees_restricted(user)))


def referral_scope(user):
    """A WHERE clause limiting Referral rows to the user's scope."""
    return _referral_clause(referral_scope_shape(user), user.organisation_id if _casework_allowed(user) else None)


# The same scope for statements built once and run many times (see bound_referral_scope): the organisation's id
# is a bound parameter, given at execution by scope_values(user).
SCOPE_ORGANISATION = sa.bindparam("scope_organisation_id", type_=sa.Integer)


def bound_referral_scope(shape: tuple[bool, bool, bool]):
    """referral_scope for a user of this shape (referral_scope_shape), with the organisation as a parameter.
    A statement built with it must be executed with scope_values(user)."""
    return _referral_clause(shape, SCOPE_ORGANISATION)


def scope_values(user) -> dict:
    """The parameters of bound_referral_scope for this user."""
    return {"scope_organisation_id": getattr(user, "organisation_id", None)}


def person_scope(user):
    """A WHERE clause limiting Person rows to the user's scope."""

    if not _casework_allowed(user):
        return sa.false()
    clauses = []
    if not user.sees_all_organisations:
        theirs = _THEIR_REFERRAL
        has_referral = sa.exists().where(theirs.person_id == Person.id, theirs.provider_id == user.organisation_id)
        clauses.append(sa.or_(Person.organisation_id == user.organisation_id, has_referral))
    if not _sees_restricted(user):
        clauses.append(Person.restricted.is_(False))
    return sa.and_(sa.true(), *clauses)


def organisation_scope(user, column):
    """Limit any organisation-owned column (e.g. Site.provider_id) to the user's scope."""
    if user.sees_all_organisations:
        return sa.true()
    return column == user.organisation_id


def visible_organisation_ids(user) -> list[int] | None:
    """None means every organisation."""
    return None if user.sees_all_organisations else [user.organisation_id]


def scoped_referrals(user):

    return sa.select(Referral).where(referral_scope(user))


def scoped_people(user):

    return sa.select(Person).where(person_scope(user), Person.merged_into_id.is_(None))


def get_referral_for(user, referral_id: int, *, for_update: bool = False):

    stmt = sa.select(Referral).where(Referral.id == referral_id, referral_scope(user))
    referral = db.session.execute(stmt).scalar_one_or_none()
    if referral is None:
        abort(404)
    return referral


def get_person_for(user, person_id: int):

    stmt = sa.select(Person).where(Person.id == person_id, person_scope(user))
    person = db.session.execute(stmt).scalar_one_or_none()
    if person is None:
        abort(404)
    return person


def get_worker_for(user, worker_id: int):
    """A user the acting user may assign work to: same organisation (or any, for the programme office)."""

    stmt = sa.select(User).where(User.id == worker_id, organisation_scope(user, User.organisation_id))
    worker = db.session.execute(stmt).scalar_one_or_none()
    if worker is None:
        abort(404)
    return worker


def delivers_programme(user, programme_id: int) -> bool:
    """Whether the user's organisation delivers at a site of the programme (all, for the programme office)."""

    if user.sees_all_organisations:
        return True
    return db.session.execute(sa.select(Site.id).where(
        Site.programme_id == programme_id, Site.provider_id == user.organisation_id).limit(1)).first() is not None


def person_for_route(view_args: dict) -> int | None:
    """The person a URL is about, from its person, referral or contact id (for access histories)."""
    if view_args.get("person_id") is not None:
        return int(view_args["person_id"])
    if view_args.get("referral_id") is not None:
        return db.session.execute(sa.select(Referral.person_id).where(Referral.id == view_args["referral_id"])).scalar()
    if view_args.get("contact_id") is not None:
        return db.session.execute(
            sa.select(Referral.person_id).join(Contact, Contact.referral_id == Referral.id)
            .where(Contact.id == view_args["contact_id"])
        ).scalar()
    return None
