"""/api/v1/referrals: partner referral intake, reading, sync, and moving a case along."""
from __future__ import annotations

from flask import g
from flask_login import current_user

from app import audit
from app.api.core import IDEMPOTENCY_KEY, IF_MATCH, api_blueprint, etag, idempotent, if_match, loads_referral, page
from app.auth.decorators import personal_data, requires
from app.auth.policies import get_person_for
from app.auth.roles import Capability as C
from app.db import db
from app.errors import DomainError
from app.referrals import queries, services
from app.referrals.models import Referral, TrialArm
from app.referrals.schemas import (
    AssignSchema, CloseSchema, DuplicateProblemSchema, ReferralCreateSchema, ReferralListArgs, ReferralSchema,
    ReferralsPage, StatusChangeSchema,
)

blp = api_blueprint("referrals", "/referrals", "Referrals: intake from partners, sync, status, assignment, closure")
ETAG_DOC = {"ETag": {"schema": {"type": "string"}}}


@blp.route("", methods=["GET"])
@requires(C.VIEW_CASEWORK)
@personal_data
@blp.arguments(ReferralListArgs, location="query", as_kwargs=True)
@blp.response(200, ReferralsPage)
def list_referrals(cursor, limit, updated_since, status, open, assigned_worker_id, person_id, programme_id):
    """Referrals in your scope, oldest first. With `updated_since`, only those that changed (the referral, or
    a contact, status change, outcome or measure of it) — a provider system's incremental sync."""
    stmt = queries.referrals_changed(current_user, updated_since=updated_since, status=status, open_only=open,
                                     assigned_worker_id=assigned_worker_id, person_id=person_id,
                                     programme_id=programme_id)
    result = page(stmt, Referral.id, {"cursor": cursor, "limit": limit})
    return result


def _allocation(values: dict):
    chosen = values.pop("trial_allocation", None) or {}
    if chosen.get("made_by", "waypoint") == "waypoint":
        if chosen.get("arm") or chosen.get("reference"):
            raise DomainError("Leave out arm and reference when Waypoint makes the draw, or set made_by to "
                              "elsewhere", "trial_allocation.made_by")
        return None
    if not chosen.get("arm"):
        raise DomainError("Say which arm they were allocated to: intervention or control", "trial_allocation.arm")
    return TrialArm(chosen["arm"]), chosen.get("reference")


@blp.route("", methods=["POST"])
@requires(C.RECORD_REFERRAL)
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.arguments(ReferralCreateSchema)
@blp.response(201, ReferralSchema, headers=ETAG_DOC)
@blp.alt_response(409, schema=DuplicateProblemSchema, content_type="application/problem+json",
                  description="`person` may already be recorded: check `candidates`, then refer one of them by "
                              "`person_id`, or send `person.create_anyway`")
def create_referral(values):
    """Partner referral intake: refer an existing person (`person_id`) or someone new (`person`, checked for
    duplicates exactly as the pages check them)."""
    person_id, new_person = values.pop("person_id"), values.pop("person")
    if (person_id is None) == (new_person is None):
        raise DomainError("Give either person_id (someone already recorded) or person (someone new)", "person_id")
    values["allocated_elsewhere"] = _allocation(values)
    if person_id is not None:
        referral = services.submit_referral(current_user, get_person_for(current_user, person_id), **values)
    else:
        create_anyway = new_person.pop("create_anyway", False)
        referral = services.refer_new_person(current_user, new_person, confirm_different=create_anyway, **values)
    db.session.commit()
    return referral, 201, etag(referral)


@blp.route("/<int:referral_id>", methods=["GET"])
@requires(C.VIEW_CASEWORK)
@loads_referral
@personal_data
@blp.response(200, ReferralSchema, headers=ETAG_DOC)
def get_referral(referral_id: int):
    """A referral (audited as a view of the case, like the page)."""
    referral = g.referral
    audit.record(current_user, "referral.viewed", referral, detail={"api": True})
    db.session.commit()
    return referral, 200, etag(referral)


@blp.route("/<int:referral_id>/status", methods=["POST"])
@requires(C.LOG_CONTACT)
@loads_referral
@idempotent
@blp.arguments(StatusChangeSchema)
@blp.response(200, ReferralSchema, headers=ETAG_DOC)
@blp.doc(parameters=[IF_MATCH, IDEMPOTENCY_KEY])
def change_status(values, referral_id: int):
    """Move the referral along the allowed transitions (closing has its own call, so the reason is recorded)."""
    referral = g.referral
    version = if_match(referral)
    services.change_status(current_user, referral, values["to_status"], note=values["note"], version=version)
    db.session.commit()
    return referral, 200, etag(referral)


@blp.route("/<int:referral_id>/assign", methods=["POST"])
@requires(C.REASSIGN_REFERRAL)
@loads_referral
@idempotent
@blp.arguments(AssignSchema)
@blp.response(200, ReferralSchema, headers=ETAG_DOC)
@blp.doc(parameters=[IF_MATCH, IDEMPOTENCY_KEY])
def assign(values, referral_id: int):
    """Give the referral to a youth worker or manager at the organisation that delivers its site."""
    referral = g.referral
    version = if_match(referral)
    services.reassign_referrals(current_user, [referral.id], values["worker_id"], version=version)
    db.session.commit()
    return referral, 200, etag(referral)


@blp.route("/<int:referral_id>/close", methods=["POST"])
@requires(C.CLOSE_REFERRAL)
@loads_referral
@idempotent
@blp.arguments(CloseSchema)
@blp.response(200, ReferralSchema, headers=ETAG_DOC)
@blp.doc(parameters=[IF_MATCH, IDEMPOTENCY_KEY])
def close(values, referral_id: int):
    """Close with a reason; from received or contacted, say why it is ending (`ending`)."""
    referral = g.referral
    version = if_match(referral)
    services.close_referral(current_user, referral, reason=values["reason"], closed_on=values["closed_on"],
                            ending=values["ending"], version=version)
    db.session.commit()
    return referral, 200, etag(referral)
