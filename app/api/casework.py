"""/api/v1/referrals/{id}/contacts, /outcomes, /measures: the work done on a case."""
from __future__ import annotations

from flask import g
from flask_login import current_user

from app.api.core import IDEMPOTENCY_KEY, api_blueprint, idempotent, loads_referral, page
from app.auth.decorators import personal_data, requires
from app.auth.roles import Capability as C
from app.db import db
from app.referrals import queries, services
from app.referrals.models import Contact, Outcome, OutcomeMeasure
from app.referrals.schemas import (
    ContactCreateSchema, ContactsPage, LoggedContactSchema, MeasureCreateSchema, MeasureSchema, MeasuresPage,
    OutcomeCreateSchema, OutcomeSchema, OutcomesPage,
)
from app.schemas import PageArgs

blp = api_blueprint("casework", "/referrals/<int:referral_id>", "Contacts, outcomes and measures of a referral")


def _list(referral_id: int, model, args: dict) -> dict:
    referral = g.referral
    return page(queries.referral_items(referral, model, args["updated_since"]), model.id, args)


@blp.route("/contacts", methods=["GET"])
@requires(C.VIEW_CASEWORK)
@loads_referral
@personal_data
@blp.arguments(PageArgs, location="query")
@blp.response(200, ContactsPage)
def list_contacts(args, referral_id: int):
    """The referral's contacts (sessions), attended or not."""
    return _list(referral_id, Contact, args)


@blp.route("/contacts", methods=["POST"])
@requires(C.LOG_CONTACT)
@loads_referral
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.arguments(ContactCreateSchema)
@blp.response(201, LoggedContactSchema)
def log_contact(values, referral_id: int):
    """Log a contact. The first attended one makes the referral reached (and engaged); warnings say when a
    session is past the programme's cap or inside its cadence — saved all the same."""
    referral = g.referral
    result = services.log_contact(current_user, referral, **values)
    db.session.commit()
    contact = result.contact
    contact.warnings = list(result.warnings)  # not a column: said once, in this answer
    return contact, 201


@blp.route("/outcomes", methods=["GET"])
@requires(C.VIEW_CASEWORK)
@loads_referral
@personal_data
@blp.arguments(PageArgs, location="query")
@blp.response(200, OutcomesPage)
def list_outcomes(args, referral_id: int):
    """The referral's outcomes."""
    return _list(referral_id, Outcome, args)


@blp.route("/outcomes", methods=["POST"])
@requires(C.RECORD_OUTCOME)
@loads_referral
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.arguments(OutcomeCreateSchema)
@blp.response(201, OutcomeSchema)
def record_outcome(values, referral_id: int):
    """Record an outcome: one of the programme's outcome types (see the programme)."""
    referral = g.referral
    outcome = services.record_outcome(current_user, referral, **values)
    db.session.commit()
    return outcome, 201


@blp.route("/measures", methods=["GET"])
@requires(C.VIEW_CASEWORK)
@loads_referral
@personal_data
@blp.arguments(PageArgs, location="query")
@blp.response(200, MeasuresPage)
def list_measures(args, referral_id: int):
    """The referral's measures (baseline, review, exit)."""
    return _list(referral_id, OutcomeMeasure, args)


@blp.route("/measures", methods=["POST"])
@requires(C.RECORD_OUTCOME)
@loads_referral
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.arguments(MeasureCreateSchema)
@blp.response(201, MeasureSchema)
def record_measure(values, referral_id: int):
    """Record a measure on an instrument, at a time point."""
    referral = g.referral
    measure = services.record_measure(current_user, referral, **values)
    db.session.commit()
    return measure, 201
