"""JSON shapes for casework (DESIGN.md §4.7): people, referrals, contacts, outcomes and measures.

Schemas check shape (types, lengths, allowed values); the services check meaning and answer with a
DomainError naming the field. Field names are the models' own, so the API reads like the database.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.referrals.ethnicity import Ethnicity
from app.referrals.models import ContactMode, LawfulBasis, ReferralSource, Sex, TimePoint, TrialArm
from app.referrals.transitions import ReferralStatus
from app.schemas import PageArgs, ProblemSchema, SaneDate, UkDateTime, UtcDateTime, page_of

NOTE = validate.Length(max=5000)


def _enum(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


# ------------------------------------------------------------------------------------------ people


class PersonSchema(Schema):
    id = fields.Integer(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    date_of_birth = fields.Date(allow_none=True)
    estimated_age = fields.Integer(allow_none=True, metadata={"description": "When there is no date of birth"})
    estimated_on = fields.Date(allow_none=True, metadata={"description": "The day the estimate was true"})
    age_not_known_reason = fields.String(allow_none=True, metadata={
        "description": "Why the age is not known, when there is neither a date of birth nor an estimate. All "
                       "three null is a record from before the rule: its age is not recorded"})
    sex = _enum(Sex, allow_none=True)
    gender_identity = fields.String(allow_none=True)
    ethnicity = _enum(Ethnicity, allow_none=True, metadata={"description": "ONS 2021 category"})
    home_area = fields.String(allow_none=True)
    nhs_number = fields.String(allow_none=True)
    police_reference = fields.String(allow_none=True)
    organisation_id = fields.Integer(required=True, metadata={"description": "The organisation that recorded them"})
    version = fields.Integer(attribute="version_id", required=True,
                             metadata={"description": "Changes on every save; also sent as the ETag"})
    updated_at = UtcDateTime(required=True)


class PersonInSchema(Schema):
    """A person's details as sent to Waypoint."""

    given_name = fields.String(required=True, validate=validate.Length(1, 100))
    family_name = fields.String(required=True, validate=validate.Length(1, 100))
    date_of_birth = SaneDate(load_default=None, allow_none=True)
    estimated_age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 120),
                                   metadata={"description": "When there is no date of birth"})
    estimated_on = SaneDate(load_default=None, allow_none=True, metadata={
        "description": "The day the estimate was true; by default the referral date (or today, for a person "
                       "recorded without a referral)"})
    age_not_known_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                         metadata={"description": "Required when there is neither "
                                                                  "`date_of_birth` nor `estimated_age`"})
    sex = _enum(Sex, load_default=None, allow_none=True)
    gender_identity = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    ethnicity = _enum(Ethnicity, load_default=None, allow_none=True)
    home_area = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    nhs_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    police_reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))

    @validates_schema
    def _age_given(self, data, **kwargs):
        """A date of birth, an estimated age, or why the age is not known: never silence (DOMAIN.md §3.5)."""
        if (data.get("date_of_birth") is None and data.get("estimated_age") is None
                and not (data.get("age_not_known_reason") or "").strip()):
            raise ValidationError("Give date_of_birth, or estimated_age, or age_not_known_reason (why their age "
                                  "is not known)", "date_of_birth")


class PersonCreateSchema(PersonInSchema):
    create_anyway = fields.Boolean(load_default=False, metadata={
        "description": "Record them even though Waypoint found possible duplicates (after checking them)"})


class PersonSearchArgs(PageArgs):
    q = fields.String(load_default=None, validate=validate.Length(max=200),
                      metadata={"description": "Name, NHS number or police reference"})
    date_of_birth = SaneDate(load_default=None)


class CandidateSchema(Schema):
    """A possible duplicate: just enough to recognise them."""

    id = fields.Integer(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    date_of_birth = fields.Date(allow_none=True)
    organisation_id = fields.Integer(required=True)


class DuplicateProblemSchema(ProblemSchema):
    candidates = fields.List(fields.Nested(CandidateSchema), required=True,
                             metadata={"description": "The possible duplicates the caller may see"})


PeoplePage = page_of(PersonSchema, "PeoplePage")


# --------------------------------------------------------------------------------------- referrals


class ReferralSchema(Schema):
    id = fields.Integer(required=True)
    person_id = fields.Integer(required=True)
    programme_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
    provider_id = fields.Integer(required=True)
    referred_on = fields.Date(required=True)
    referred_at = UkDateTime(allow_none=True)
    source = _enum(ReferralSource, required=True)
    reason = fields.String(allow_none=True)
    lawful_basis = _enum(LawfulBasis, required=True)
    consent_recorded = fields.Boolean(required=True)
    eligibility_override_reason = fields.String(allow_none=True)
    assigned_worker_id = fields.Integer(allow_none=True)
    status = _enum(ReferralStatus, required=True)
    trial_arm = _enum(TrialArm, required=True)
    allocation_draw = fields.String(allow_none=True, metadata={
        "description": "Waypoint's recorded draw, or the record of an allocation made elsewhere"})
    reached_on = fields.Date(allow_none=True, metadata={"description": "Date of the first attended contact"})
    closed_on = fields.Date(allow_none=True)
    closure_reason = fields.String(allow_none=True)
    version = fields.Integer(attribute="version_id", required=True)
    updated_at = UtcDateTime(required=True)


class TrialAllocationSchema(Schema):
    """For a programme running a trial: take Waypoint's draw (the default) or carry an allocation made elsewhere."""

    made_by = fields.String(load_default="waypoint", validate=validate.OneOf(["waypoint", "elsewhere"]),
                            metadata={"description": "`waypoint`: Waypoint draws; `elsewhere`: give arm and reference"})
    arm = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["intervention", "control"]))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=150),
                              metadata={"description": "Where and how it was allocated, e.g. the trial unit's id"})


class ReferralCreateSchema(Schema):
    person_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1),
                               metadata={"description": "An existing person; or give `person`"})
    person = fields.Nested(PersonCreateSchema, load_default=None, allow_none=True,
                           metadata={"description": "Someone new (checked for duplicates first)"})
    programme_id = fields.Integer(required=True, validate=validate.Range(1))
    site_id = fields.Integer(required=True, validate=validate.Range(1))
    referred_on = SaneDate(required=True)
    referred_at = UkDateTime(load_default=None, allow_none=True)
    source = _enum(ReferralSource, required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=NOTE)
    lawful_basis = _enum(LawfulBasis, required=True)
    consent_recorded = fields.Boolean(load_default=False)
    override_reason = fields.String(load_default=None, allow_none=True, validate=NOTE, metadata={
        "description": "Why someone outside the programme's ages is referred anyway"})
    assigned_worker_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1))
    trial_allocation = fields.Nested(TrialAllocationSchema, load_default=None, allow_none=True)
    recorded_offline_at = UtcDateTime(load_default=None, allow_none=True, metadata={
        "description": "Offline capture: when the worker saved it on a device without a connection (it keeps "
                       "the time it happened; Waypoint records when it arrived)"})


class ReferralListArgs(PageArgs):
    status = _enum(ReferralStatus, load_default=None)
    open = fields.Boolean(load_default=None, metadata={"description": "true: only referrals not closed"})
    assigned_worker_id = fields.Integer(load_default=None, validate=validate.Range(1))
    person_id = fields.Integer(load_default=None, validate=validate.Range(1))
    programme_id = fields.Integer(load_default=None, validate=validate.Range(1))


class StatusChangeSchema(Schema):
    to_status = _enum(ReferralStatus, required=True)
    note = fields.String(load_default=None, allow_none=True, validate=NOTE)


class AssignSchema(Schema):
    worker_id = fields.Integer(required=True, validate=validate.Range(1))


class CloseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 200))
    closed_on = SaneDate(required=True)
    ending = _enum(ReferralStatus, load_default=None, allow_none=True, metadata={
        "description": "From received or contacted: declined, not_eligible or unable_to_contact"})


ReferralsPage = page_of(ReferralSchema, "ReferralsPage")


# ------------------------------------------------------------------------- contacts, outcomes, measures


class ContactSchema(Schema):
    id = fields.Integer(required=True)
    referral_id = fields.Integer(required=True)
    occurred_at = UkDateTime(required=True)
    duration_minutes = fields.Integer(allow_none=True)
    mode = _enum(ContactMode, required=True)
    attended = fields.Boolean(required=True)
    worker_id = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    recorded_offline_at = UtcDateTime(allow_none=True, metadata={
        "description": "When it was saved on a device without a connection, if it was; `created_at` is when it "
                       "reached Waypoint"})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class ContactCreateSchema(Schema):
    occurred_at = UkDateTime(required=True, metadata={"description": "UK time unless an offset is given"})
    mode = _enum(ContactMode, required=True)
    attended = fields.Boolean(required=True)
    duration_minutes = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 720))
    notes = fields.String(load_default=None, allow_none=True, validate=NOTE)
    recorded_offline_at = UtcDateTime(load_default=None, allow_none=True, metadata={
        "description": "Offline capture: when the worker saved it on a device without a connection (it keeps "
                       "the time it happened; Waypoint records when it arrived)"})


class LoggedContactSchema(ContactSchema):
    warnings = fields.List(fields.String(), required=True, metadata={
        "description": "Past the session cap or inside the cadence: saved, but worth knowing"})


class OutcomeSchema(Schema):
    id = fields.Integer(required=True)
    referral_id = fields.Integer(required=True)
    outcome_type = fields.String(required=True)
    achieved_on = fields.Date(required=True)
    notes = fields.String(allow_none=True)
    updated_at = UtcDateTime(required=True)


class OutcomeCreateSchema(Schema):
    outcome_type = fields.String(required=True, validate=validate.Length(1, 200),
                                 metadata={"description": "One of the programme's outcome types"})
    achieved_on = SaneDate(required=True)
    notes = fields.String(load_default=None, allow_none=True, validate=NOTE)


class MeasureSchema(Schema):
    id = fields.Integer(required=True)
    referral_id = fields.Integer(required=True)
    instrument = fields.String(required=True)
    time_point = _enum(TimePoint, required=True)
    value = fields.Decimal(required=True, as_string=True, places=2)
    measured_on = fields.Date(required=True)
    higher_is_better = fields.Boolean(required=True)
    updated_at = UtcDateTime(required=True)


def _below_a_hundred_million(value) -> None:
    if abs(value) >= 100_000_000:
        raise ValidationError("Enter a score below 100,000,000")


class MeasureCreateSchema(Schema):
    instrument = fields.String(required=True, validate=validate.Length(1, 200))
    time_point = _enum(TimePoint, required=True)
    value = fields.Decimal(required=True, places=2, allow_nan=False, validate=_below_a_hundred_million,
                           metadata={"description": "The score, e.g. 8 or 7.5 (below 100,000,000)"})
    measured_on = SaneDate(required=True)
    higher_is_better = fields.Boolean(load_default=False)


ContactsPage = page_of(ContactSchema, "ContactsPage")
OutcomesPage = page_of(OutcomeSchema, "OutcomesPage")
MeasuresPage = page_of(MeasureSchema, "MeasuresPage")
