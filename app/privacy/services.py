"""Privacy use cases: anonymise after retention, subject access, erasure, restriction. Callers commit."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401

from app import audit
from app.audit import AuditEvent
from app.auth.roles import Capability
from app.db import db, utcnow
from app.errors import DomainError
from app.privacy.retention import generalised_dob, is_expired, retention_cutoff
from app.referrals.models import Person, Referral
from app.documents.safe_cells import neutralise
from app.auth.models import Organisation
from app.reminders.models import SentReminder


def _require_dp(actor) -> None:
    if actor is not None and not actor.can(Capability.DATA_PROTECTION):
        raise DomainError("Only the data-protection lead can do this")


def _strip_identity(person: Person, label: str) -> None:
    """Remove what identifies the person; keep what the counts use (see retention.py)."""
    keep_age_on = [d for r in person.referrals for d in (r.referred_on, r.reached_on)]
    if person.date_of_birth is not None:
        person.date_of_birth = generalised_dob(person.date_of_birth, keep_age_on)
    person.given_name = label
    person.family_name = f"#{person.id}"
    person.name_key = f"{label.lower()} {person.id}"
    person.gender_identity = None
    person.home_area = None
    person.nhs_number = None
    person.police_reference = None
    person.anonymised_at = utcnow()
    for r in person.referrals:
        r.reason = None
        r.eligibility_override_reason = None
        for c in r.contacts:
            c.notes = None
        for o in r.outcomes:
            o.notes = None
        for s in r.status_changes:
            s.note = None


def expired_people(today: date, years: int) -> list[Person]:
    cutoff = retention_cutoff(today, years)
    candidates = db.session.execute(
        sa.select(Person).where(Person.anonymised_at.is_(None), Person.merged_into_id.is_(None),
                                sa.exists().where(Referral.person_id == Person.id))
        .options(sa.orm.selectinload(Person.referrals))
    ).scalars().all()
    return [p for p in candidates if is_expired([r.closed_on for r in p.referrals], cutoff)]


def anonymise_expired(today: date, years: int) -> int:
    people = expired_people(today, years)
    for person in people:
        _strip_identity(person, "Anonymised")
        audit.record(None, "privacy.anonymised", person, detail={"retention_years": years})
    db.session.flush()
    return len(people)


def erase_person(actor, person: Person, reason: str) -> None:
    """Right to erasure: identity and free text go; anonymous counts stay (ICO: anonymised data is not personal)."""
    _require_dp(actor)
    if not (reason or "").strip():
        raise DomainError("Enter why the record is being erased, for example the request reference", "reason")
    if person.anonymised_at is not None:
        raise DomainError("This person's details have already been removed")
    _strip_identity(person, "Erased")
    audit.record(actor, "privacy.erased", person, reason=reason.strip()[:500])
    db.session.flush()


def set_restricted(actor, person: Person, restricted: bool, reason: str) -> None:
    _require_dp(actor)
    if not (reason or "").strip():
        raise DomainError("Enter why processing is being restricted or lifted", "reason")
    person.restricted = restricted
    audit.record(actor, "privacy.restricted" if restricted else "privacy.restriction_lifted", person,
                 reason=reason.strip()[:500])
    db.session.flush()


# --- subject access ----------------------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "label") and hasattr(value, "value"):
        return value.label
    return value


def _row(obj, fields) -> dict:
    return {f: _plain(getattr(obj, f)) for f in fields}


PERSON_FIELDS = ["id", "given_name", "family_name", "date_of_birth", "estimated_age", "estimated_on", "sex",
                 "gender_identity", "ethnicity", "home_area", "nhs_number", "police_reference", "restricted",
                 "anonymised_at", "created_at", "updated_at"]
REFERRAL_FIELDS = ["id", "referred_on", "referred_at", "source", "reason", "lawful_basis", "consent_recorded",
                   "eligibility_override_reason", "status", "trial_arm", "closed_on", "closure_reason", "reached_on"]
CONTACT_FIELDS = ["id", "referral_id", "occurred_at", "duration_minutes", "mode", "attended", "notes"]
OUTCOME_FIELDS = ["id", "referral_id", "outcome_type", "achieved_on", "notes"]
MEASURE_FIELDS = ["id", "referral_id", "instrument", "time_point", "value", "measured_on"]
STATUS_FIELDS = ["id", "referral_id", "from_status", "to_status", "changed_at", "note"]
ACCESS_FIELDS = ["occurred_at", "action", "organisation", "role"]
REMINDER_FIELDS = ["id", "referral_id", "kind", "status", "planned_at", "sent_at", "subject", "body"]


def subject_access_data(person: Person) -> dict:
    """Everything Waypoint holds about a person, including who has looked at their record."""
    referrals = db.session.execute(
        sa.select(Referral).where(Referral.person_id == person.id).order_by(Referral.referred_on)
        .options(sa.orm.selectinload(Referral.contacts), sa.orm.selectinload(Referral.outcomes),
                 sa.orm.selectinload(Referral.measures), sa.orm.selectinload(Referral.status_changes),
                 sa.orm.joinedload(Referral.programme), sa.orm.joinedload(Referral.site),
                 sa.orm.joinedload(Referral.provider), sa.orm.joinedload(Referral.assigned_worker))
    ).unique().scalars().all()

    events = db.session.execute(
        sa.select(AuditEvent.occurred_at, AuditEvent.action, Organisation.name, AuditEvent.role)
        .outerjoin(Organisation, Organisation.id == AuditEvent.organisation_id)
        .where(AuditEvent.person_id == person.id).order_by(AuditEvent.id)
    ).all()
    data = {
        "generated_at": utcnow().isoformat(timespec="seconds") + "Z",
        "person": _row(person, PERSON_FIELDS),
        "referrals": [], "contacts": [], "outcomes": [], "outcome_measures": [], "status_changes": [],
        "access_log": [dict(zip(ACCESS_FIELDS, (_plain(e[0]), e[1], e[2], e[3]), strict=False)) for e in events],
    }
    for r in referrals:
        row = _row(r, REFERRAL_FIELDS)
        row.update(programme=r.programme.name, site=r.site.name, provider=r.provider.name,
                   assigned_worker=r.assigned_worker.full_name if r.assigned_worker else None)
        data["referrals"].append(row)
        data["contacts"] += [_row(c, CONTACT_FIELDS) for c in r.contacts]
        data["outcomes"] += [_row(o, OUTCOME_FIELDS) for o in r.outcomes]
        data["outcome_measures"] += [_row(m, MEASURE_FIELDS) for m in r.measures]
        data["status_changes"] += [_row(s, STATUS_FIELDS) for s in r.status_changes]
    # Reminder e-mails to staff about this person's referrals (issue 13): what was sent, and when.
    referral_ids = [r.id for r in referrals]
    data["reminders"] = [_row(m, REMINDER_FIELDS) for m in db.session.execute(
        sa.select(SentReminder).where(sa.or_(SentReminder.person_id == person.id,
                                             SentReminder.referral_id.in_(referral_ids)))
        .order_by(SentReminder.id)).scalars()]
    return data


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: neutralise(v) for k, v in row.items()})
    return out.getvalue()


def subject_access_export(actor, person: Person) -> bytes:
    """A zip of one JSON file and one CSV per kind of record; audited as an export."""
    _require_dp(actor)
    data = subject_access_data(person)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("everything.json", json.dumps(data, indent=2, ensure_ascii=False))
        zf.writestr("person.csv", _csv([data["person"]]))
        for key in ("referrals", "contacts", "outcomes", "outcome_measures", "status_changes", "access_log",
                    "reminders"):
            zf.writestr(f"{key}.csv", _csv(data[key]))
        zf.writestr("README.txt", "Everything Waypoint holds about this person, as JSON and as CSV files.\n"
                                  "access_log lists each time staff viewed, changed or exported the record.\n"
                                  "reminders lists the e-mails Waypoint sent staff about this person's referrals.\n")
    audit.record_export(actor, "subject_access", "zip", person_id=person.id,
                        rows=sum(len(v) for v in data.values() if isinstance(v, list)) + 1)
    return buf.getvalue()
