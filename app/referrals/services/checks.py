"""The meaning checks of the casework use cases, as plain functions over values (no session, no writes).

The pages' services call them before they save; the bulk import calls the same functions for every row, so a
referral, session, outcome, measure or closure is refused for the same reasons, in the same words, whichever
way it arrives (DESIGN.md §4.7).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from app.errors import DomainError
from app.referrals import eligibility
from app.referrals.models import LawfulBasis
from app.referrals.services._common import clean, uk_now
from app.referrals.transitions import ReferralStatus as S, can_move

MAX_NOTE = 5000


def _note(text: str | None, name: str, what: str = "Keep this") -> str | None:
    text = clean(text)
    if text and len(text) > MAX_NOTE:
        raise DomainError(f"{what} to {MAX_NOTE:,} characters or fewer", name)
    return text


def check_referral(*, date_of_birth: date | None, estimated_age: int | None, estimated_on: date | None,
                   programme, referred_on: date, reason: str | None, lawful_basis: LawfulBasis,
                   consent_recorded: bool, override_reason: str | None) -> tuple[int | None, eligibility.Eligibility,
                                                                             str | None, str | None]:
    """Dates, notes, consent and age eligibility of a new referral. Returns (age, judgement, reason, override)."""
    if referred_on > date.today():
        raise DomainError("The referral date must be today or in the past", "referred_on")
    if date_of_birth and referred_on < date_of_birth:
        raise DomainError("The referral date cannot be before their date of birth", "referred_on")
    reason = _note(reason, "reason")
    override_reason = _note(override_reason, "override_reason")
    if lawful_basis is LawfulBasis.CONSENT and not consent_recorded:
        raise DomainError("When the lawful basis is consent, confirm that consent has been recorded",
                          "consent_recorded")
    age = eligibility.age_for_referral(date_of_birth, estimated_age, estimated_on, referred_on)
    judged = eligibility.check(age, programme.min_age, programme.max_age, programme.name)
    if not judged.eligible and not override_reason:
        raise DomainError(judged.message + ". To refer them anyway, give a reason.", "override_reason")
    return age, judged, reason, override_reason


def check_contact(*, referred_on: date, occurred_at: datetime, duration_minutes: int | None,
                  notes: str | None) -> str | None:
    if occurred_at.date() < referred_on:
        raise DomainError(f"The contact date cannot be before the referral date "
                          f"({referred_on.strftime('%-d %B %Y')})", "occurred_on")
    if occurred_at > uk_now() + timedelta(minutes=10):
        raise DomainError("The contact date must be today or in the past", "occurred_on")
    if duration_minutes is not None and not 0 <= duration_minutes <= 720:
        raise DomainError("Duration must be between 0 and 720 minutes", "duration_minutes")
    return _note(notes, "notes", "Notes must be")


def check_outcome(*, programme, referred_on: date, outcome_type: str, achieved_on: date,
                  notes: str | None) -> str | None:
    if outcome_type not in (programme.outcome_types or []):
        raise DomainError(f"Choose one of {programme.name}'s outcomes", "outcome_type")
    if achieved_on < referred_on:
        raise DomainError("The outcome date cannot be before the referral date", "achieved_on")
    if achieved_on > date.today():
        raise DomainError("The outcome date must be today or in the past", "achieved_on")
    return _note(notes, "notes", "Notes must be")


def check_measure(*, referred_on: date, instrument: str | None, value: Decimal, measured_on: date) -> str:
    instrument = clean(instrument)
    if not instrument:
        raise DomainError("Enter the measure, for example Distress (0–10)", "instrument")
    if len(instrument) > 200:
        raise DomainError("Keep the measure's name to 200 characters or fewer", "instrument")
    if measured_on < referred_on:
        raise DomainError("The date cannot be before the referral date", "measured_on")
    if measured_on > date.today():
        raise DomainError("The date must be today or in the past", "measured_on")
    if abs(value) >= Decimal("100000000"):
        raise DomainError("Enter a score below 100,000,000", "value")
    return instrument


def check_closure(*, status: S, referred_on: date, reason: str | None, closed_on: date,
                  ending: S | None) -> tuple[str, list[S]]:
    """The reason and the statuses a closing case walks through: straight to closed from engaged; from
    received/contacted first through why it is ending (declined, not eligible, unable to contact)."""
    if status is S.CLOSED:
        raise DomainError("This referral is already closed")
    reason = clean(reason)
    if not reason:
        raise DomainError("Give the reason for closing", "reason")
    if len(reason) > 200:
        raise DomainError("Keep the reason to 200 characters or fewer", "reason")
    if closed_on < referred_on:
        raise DomainError("The closing date cannot be before the referral date", "closed_on")
    if closed_on > date.today():
        raise DomainError("The closing date must be today or in the past", "closed_on")
    if can_move(status, S.CLOSED):
        return reason, [S.CLOSED]
    if ending is None or not can_move(status, ending) or not can_move(ending, S.CLOSED):
        raise DomainError("Say why the case is ending: declined, not eligible or unable to contact", "ending")
    return reason, [ending, S.CLOSED]


def steps_when_attended(status: S) -> list[S]:
    """An attended session means the young person is engaged; a missed one changes nothing."""
    steps = []
    for step in (S.CONTACTED, S.ENGAGED):
        if can_move(status, step):
            steps.append(step)
            status = step
    return steps
