"""Use cases about people: find, create (with a duplicate check), edit, merge (DOMAIN.md §2, §3.4)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app import audit
from app.auth.policies import person_scope
from app.auth.roles import Capability
from app.db import db, utcnow
from app.errors import DomainError
from app.programmes.age_bands import age_at_reach
from app.referrals import duplicates
from app.referrals.models import Person, Referral
from app.referrals.names import fold, name_key, normalise_nhs_number, valid_nhs_number
from app.referrals.services._common import check_version, clean, flush, require
from app.referrals import queries

PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "estimated_age", "age_not_known_reason", "sex",
                 "gender_identity", "ethnicity", "home_area", "nhs_number", "police_reference")
AGE_FIELDS = ("date_of_birth", "estimated_age", "age_not_known_reason")
AGE_REASON_MAX = 200
NO_AGE_MESSAGE = ("Enter their date of birth or an estimated age, or say why their age is not known")
EARLIEST_BIRTH = date(1900, 1, 1)


class PossibleDuplicate(DomainError):
    """Raised before a second record is made for someone who may already be recorded."""

    def __init__(self, candidates: list[Person]):
        super().__init__("This person may already be recorded. Check the people below: use one of them, "
                         "or confirm that this is someone different.", "confirm_different")
        self.candidates = candidates


def find_people(actor, *, text: str | None = None, date_of_birth: date | None = None, limit: int = 50) -> list[Person]:
    """People in the actor's scope matching a name, a reference (NHS number or police reference) and/or a DOB."""

    require(actor, Capability.VIEW_CASEWORK)
    stmt = queries.people_search(actor, text=text, date_of_birth=date_of_birth).limit(limit)
    return list(db.session.execute(stmt).scalars())


def duplicates_of(actor, *, given_name: str, family_name: str, date_of_birth: date | None,
                  nhs_number: str | None, exclude_id: int | None = None, estimated_age: int | None = None,
                  estimated_on: date | None = None) -> list[Person]:
    """The deterministic duplicate key (DOMAIN.md §3.4): normalised names + DOB, or NHS number. With no
    date of birth, the normalised names alone (narrowed by the estimated age where one is given), so a
    second record is never made without asking "is this one of these people?"."""
    key = name_key(given_name, family_name)
    nhs = normalise_nhs_number(nhs_number)
    tests = []
    if date_of_birth:
        tests.append(sa.and_(Person.name_key == key, sa.or_(Person.date_of_birth == date_of_birth,
                                                             Person.date_of_birth.is_(None))))
    else:
        tests.append(Person.name_key == key)
    if nhs:
        tests.append(Person.nhs_number == nhs)
    stmt = (sa.select(Person).where(person_scope(actor), Person.merged_into_id.is_(None), sa.or_(*tests))
            .order_by(Person.id).limit(20))
    if exclude_id:
        stmt = stmt.where(Person.id != exclude_id)
    found = list(db.session.execute(stmt).scalars())
    if date_of_birth is None and estimated_age is not None:
        on = estimated_on or date.today()
        found = [p for p in found if (nhs and p.nhs_number == nhs) or duplicates.plausible_age_match(
            estimated_age, on, age_at_reach(p.date_of_birth, p.estimated_age, p.estimated_on, on))]
    return found[:10]


def check_person_values(values: dict, *, require_age: bool = True) -> dict:
    """Names, dates of birth, ages and NHS numbers checked and tidied (the pages, the API and the import share
    this). A person needs a date of birth, an estimated age, or a reason their age is not known (DOMAIN.md §3.5):
    with none of the three the values are refused, naming the date of birth. A reason given alongside an age is
    dropped: the age is what is known."""
    out = {f: values.get(f) for f in PERSON_FIELDS if f in values}
    for f in ("given_name", "family_name"):
        out[f] = clean(out.get(f))
        if not out[f]:
            raise DomainError("Enter their " + ("first name" if f == "given_name" else "last name"), f)
        if not fold(out[f]):
            raise DomainError("A name needs at least one letter or number", f)
    dob = out.get("date_of_birth")
    if dob is not None:
        if dob > date.today():
            raise DomainError("Date of birth must be today or in the past", "date_of_birth")
        if dob < EARLIEST_BIRTH:
            raise DomainError("Date of birth must be after 1 January 1900", "date_of_birth")
    age = out.get("estimated_age")
    if age is not None and not 0 <= age <= 120:
        raise DomainError("Estimated age must be between 0 and 120", "estimated_age")
    if "age_not_known_reason" in out or require_age:
        reason = clean(out.get("age_not_known_reason"))
        if reason and len(reason) > AGE_REASON_MAX:
            raise DomainError(f"Say why their age is not known in {AGE_REASON_MAX} characters or fewer",
                              "age_not_known_reason")
        out["age_not_known_reason"] = None if (dob is not None or age is not None) else reason
    estimated_on = values.get("estimated_on")
    if estimated_on is not None:
        if estimated_on > date.today():
            raise DomainError("The date the age was estimated must be today or in the past", "estimated_on")
        if dob is not None and estimated_on < dob:
            raise DomainError("The date the age was estimated must be after the date of birth", "estimated_on")
    out["estimated_on"] = estimated_on
    if "nhs_number" in out:
        raw = clean(out["nhs_number"])
        if raw and not valid_nhs_number(raw):
            raise DomainError("Enter a valid 10-digit NHS number, like 943 476 5919", "nhs_number")
        out["nhs_number"] = normalise_nhs_number(raw)
    for f in ("gender_identity", "home_area", "police_reference"):
        if f in out:
            out[f] = clean(out[f])
    if require_age and dob is None and age is None and not out.get("age_not_known_reason"):
        raise DomainError(NO_AGE_MESSAGE, "date_of_birth")  # last, so a mistyped field is named first
    return out


def _apply(person: Person, values: dict, *, estimate_default: date | None = None) -> dict:
    """Copy the checked values onto ``person``. An estimated age is held *as at* a date (DOMAIN.md §3.5):
    the date given, else ``estimate_default`` (the referral date when the person is recorded with their
    referral), else today — never silently the day it was typed when a referral date is known."""
    values = dict(values)
    estimated_on = values.pop("estimated_on", None)
    changed = {}
    for f, v in values.items():
        if getattr(person, f) != v:
            changed[f] = getattr(v, "value", v) if not isinstance(v, date) else v.isoformat()
            setattr(person, f, v)
    person.name_key = name_key(person.given_name, person.family_name)
    if person.estimated_age is None:
        new_on = None
    elif estimated_on is not None:
        new_on = estimated_on
    elif "estimated_age" in changed or person.estimated_on is None:
        new_on = estimate_default or date.today()
    else:
        new_on = person.estimated_on
    if person.estimated_on != new_on:
        changed["estimated_on"] = new_on.isoformat() if new_on else None
        person.estimated_on = new_on
    return changed


def create_person(actor, values: dict, *, confirm_different: bool = False,
                  estimate_default: date | None = None) -> Person:
    require(actor, Capability.RECORD_REFERRAL, "Your role cannot record people")
    values = check_person_values(values)
    if not confirm_different:
        candidates = duplicates_of(actor, given_name=values["given_name"], family_name=values["family_name"],
                                   date_of_birth=values.get("date_of_birth"), nhs_number=values.get("nhs_number"),
                                   estimated_age=values.get("estimated_age"),
                                   estimated_on=values.get("estimated_on") or estimate_default)
        if candidates:
            raise PossibleDuplicate(candidates)
    person = Person(organisation_id=actor.organisation_id)
    changed = _apply(person, values, estimate_default=estimate_default)
    db.session.add(person)
    flush()
    # Only which fields were given: the audit trail must not become a second copy of the personal data.
    audit.record(actor, "person.created", person,
                 detail={"fields": sorted(changed), "confirmed_not_duplicate": confirm_different})
    return person


def update_person(actor, person: Person, values: dict, *, version=None) -> Person:
    require(actor, Capability.RECORD_REFERRAL, "Your role cannot change people's details")
    check_version(person, version)
    # The age rule is judged on the record as it will be: what is saved, overlaid with what was sent.
    values = check_person_values({**{f: getattr(person, f) for f in AGE_FIELDS}, **values})
    changed = _apply(person, values)
    if changed:
        flush()
        audit.record(actor, "person.updated", person, detail={"fields": sorted(changed)})
    return person


def merge_people(actor, keep: Person, other: Person) -> Person:
    """Fold `other` into `keep`: its referrals (with their contacts and outcomes) move across, blanks on
    `keep` are filled from `other`, and `other` stays as a record pointing at `keep`, so it can be traced."""
    require(actor, Capability.MERGE_PEOPLE, "Your role cannot merge records")
    if keep.id == other.id:
        raise DomainError("Choose two different records to merge")
    if keep.merged_into_id or other.merged_into_id:
        raise DomainError("One of these records has already been merged")
    if not actor.sees_all_organisations:
        foreign = db.session.execute(sa.select(sa.func.count()).select_from(Referral).where(
            Referral.person_id.in_([keep.id, other.id]), Referral.provider_id != actor.organisation_id)).scalar_one()
        if foreign or keep.organisation_id != actor.organisation_id or other.organisation_id != actor.organisation_id:
            raise DomainError("These records involve another organisation: ask the programme office to merge them")
    moving = list(db.session.execute(sa.select(Referral).where(Referral.person_id == other.id)).scalars())
    for referral in moving:
        referral.person_id = keep.id
    moved = [r.id for r in moving]
    filled = []
    for f in ("date_of_birth", "estimated_age", "sex", "gender_identity", "ethnicity", "home_area", "nhs_number",
              "police_reference"):
        if getattr(keep, f) is None and getattr(other, f) is not None:
            setattr(keep, f, getattr(other, f))
            filled.append(f)
            if f == "estimated_age":
                keep.estimated_on = other.estimated_on  # an estimate is as at its own date
    if keep.date_of_birth is not None or keep.estimated_age is not None:
        keep.age_not_known_reason = None  # an age (kept or filled from the other record) answers the question
    elif not keep.age_not_known_reason and other.age_not_known_reason:
        keep.age_not_known_reason = other.age_not_known_reason
        filled.append("age_not_known_reason")
    other.merged_into_id = keep.id
    other.merged_at = utcnow()
    flush()
    db.session.expire(keep, ["referrals"])
    db.session.expire(other, ["referrals"])
    detail = {"kept": keep.id, "merged": other.id, "referrals_moved": moved, "fields_filled": filled}
    audit.record(actor, "person.merged", keep, detail=detail)
    audit.record(actor, "person.merged_away", other, detail=detail)
    return keep
