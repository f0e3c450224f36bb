"""Use cases about referrals: submit, work (contacts, status, outcomes, measures), close, reassign.

Each takes the acting user, checks policy and meaning, calls the pure rules, audits and flushes; the
view or CLI commits once at the edge (DESIGN.md §4.3–4.4).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app import audit
from app.auth.models import User
from app.auth.policies import organisation_scope, referral_scope
from app.auth.roles import Capability
from app.db import db
from app.errors import DomainError
from app.programmes.models import Programme, Site
from app.referrals import allocation, eligibility, sessions
from app.referrals.models import (
    Contact, ContactMode, LawfulBasis, Outcome, OutcomeMeasure, Person, Referral, ReferralSource,
    ReferralStatusChange, TimePoint, TrialArm,
)
from app.referrals.reach import recompute_reach
from app.referrals.services._common import check_version, clean, flush, require, uk_now
from app.referrals.transitions import ReferralStatus as S, can_move, next_statuses
from app.referrals.services.people import create_person

MAX_NOTE = 5000


@dataclass
class ContactResult:
    contact: Contact
    warnings: list[str] = field(default_factory=list)


def _check_worker(actor, worker_id: int | None, provider_id: int) -> User | None:
    if worker_id is None:
        return None
    worker = db.session.execute(sa.select(User).where(
        User.id == worker_id, User.active.is_(True), organisation_scope(actor, User.organisation_id))).scalar_one_or_none()
    if worker is None or worker.organisation_id != provider_id or not worker.can(Capability.LOG_CONTACT):
        raise DomainError("Choose a youth worker or manager at the organisation that delivers this site",
                          "assigned_worker_id")
    return worker


def _record_status(actor, referral: Referral, to: S, note: str | None = None, at: datetime | None = None) -> None:
    if not can_move(referral.status, to):
        allowed = ", ".join(s.label.lower() for s in next_statuses(referral.status)) or "nothing (it is closed)"
        raise DomainError(f"A {referral.status.label.lower()} referral can move to {allowed}, not "
                          f"{to.label.lower()}", "to_status")
    db.session.add(ReferralStatusChange(referral=referral, from_status=referral.status, to_status=to,
                                        changed_by_id=actor.id, changed_at=at or uk_now(), note=note))
    audit.record(actor, "referral.status_changed", referral,
                 detail={"from": referral.status.value, "to": to.value, "note": bool(note)})
    referral.status = to


def submit_referral(actor, person: Person, *, programme_id: int, site_id: int, referred_on: date,
                    referred_at: datetime | None = None, source: ReferralSource, reason: str | None,
                    lawful_basis: LawfulBasis, consent_recorded: bool = False,
                    override_reason: str | None = None, assigned_worker_id: int | None = None) -> Referral:
    require(actor, Capability.RECORD_REFERRAL, "Your role cannot record referrals")
    if person.merged_into_id:
        raise DomainError("This record was merged into another: refer the person on their current record")
    programme = db.session.get(Programme, programme_id)
    if programme is None or not programme.active:
        raise DomainError("Choose a programme that is running", "site_id")
    site = db.session.get(Site, site_id)
    if site is None or site.programme_id != programme.id:
        raise DomainError(f"Choose one of {programme.name}'s sites", "site_id")
    if not actor.sees_all_organisations and site.provider_id != actor.organisation_id:
        raise DomainError("Choose a site your organisation delivers", "site_id")
    if referred_on > date.today():
        raise DomainError("The referral date must be today or in the past", "referred_on")
    if person.date_of_birth and referred_on < person.date_of_birth:
        raise DomainError("The referral date cannot be before their date of birth", "referred_on")
    reason, override_reason = clean(reason), clean(override_reason)
    for name, text in (("reason", reason), ("override_reason", override_reason)):
        if text and len(text) > MAX_NOTE:
            raise DomainError(f"Keep this to {MAX_NOTE:,} characters or fewer", name)
    if lawful_basis is LawfulBasis.CONSENT and not consent_recorded:
        raise DomainError("When the lawful basis is consent, confirm that consent has been recorded",
                          "consent_recorded")
    age = eligibility.age_for_referral(person.date_of_birth, person.estimated_age, person.estimated_on, referred_on)
    judged = eligibility.check(age, programme.min_age, programme.max_age, programme.name)
    if not judged.eligible and not override_reason:
        raise DomainError(judged.message + ". To refer them anyway, give a reason.", "override_reason")
    worker = _check_worker(actor, assigned_worker_id, site.provider_id)
    if referred_at is None or referred_at.date() != referred_on:
        referred_at = datetime.combine(referred_on, (referred_at or uk_now()).time().replace(second=0, microsecond=0))
    referral = Referral(
        person=person, programme=programme, site=site, provider_id=site.provider_id, referred_on=referred_on,
        referred_at=referred_at, source=source, reason=reason, lawful_basis=lawful_basis,
        consent_recorded=consent_recorded, eligibility_override_reason=override_reason if not judged.eligible else None,
        assigned_worker=worker, status=S.RECEIVED, trial_arm=TrialArm.NONE,
    )
    db.session.add(referral)
    if programme.trial_enabled and judged.eligible:
        _allocate(referral, programme, site)
    flush()
    db.session.add(ReferralStatusChange(referral=referral, from_status=None, to_status=S.RECEIVED,
                                        changed_by_id=actor.id, changed_at=referral.referred_at))
    audit.record(actor, "referral.submitted", referral, detail={
        "programme": programme.name, "site": site.name, "age": age, "eligible": judged.eligible,
        "override_reason": override_reason if not judged.eligible else None, "trial_arm": referral.trial_arm.value,
        "allocation_draw": referral.allocation_draw})
    flush()
    return referral


def refer_new_person(actor, person_values: dict, *, confirm_different: bool = False, **referral) -> Referral:
    """Record a person and their first referral in one go (one page for the worker). The duplicate check
    runs first; if the referral is refused (say, an age override without a reason) the person is not kept
    either, because the view rolls the whole request back."""

    person = create_person(actor, person_values, confirm_different=confirm_different,
                           estimate_default=referral.get("referred_on"))
    return submit_referral(actor, person, **referral)


def _allocate(referral: Referral, programme: Programme, site: Site) -> None:
    """Record the draw (DOMAIN.md §6). The sequence counts earlier allocations in the same stratum."""
    if programme.trial_seed is None:
        import secrets

        programme.trial_seed = secrets.randbelow(2**31)
    stratify = programme.trial_stratify_by_site
    same_stratum = [Referral.programme_id == programme.id, Referral.trial_arm != TrialArm.NONE]
    if stratify:
        same_stratum.append(Referral.site_id == site.id)
    sequence = db.session.execute(sa.select(sa.func.count()).select_from(Referral).where(*same_stratum)).scalar_one()
    drawn = allocation.allocate(programme.trial_seed, allocation.stratum_for(programme.id, site.id, stratify), sequence)
    referral.trial_arm = TrialArm(drawn.arm)
    referral.allocation_draw = drawn.draw


def update_referral(actor, referral: Referral, *, version, source: ReferralSource, reason: str | None,
                    lawful_basis: LawfulBasis, consent_recorded: bool) -> Referral:
    require(actor, Capability.RECORD_REFERRAL, "Your role cannot change referrals")
    check_version(referral, version)
    reason = clean(reason)
    if reason and len(reason) > MAX_NOTE:
        raise DomainError(f"Keep this to {MAX_NOTE:,} characters or fewer", "reason")
    if lawful_basis is LawfulBasis.CONSENT and not consent_recorded:
        raise DomainError("When the lawful basis is consent, confirm that consent has been recorded",
                          "consent_recorded")
    changed = []
    for name, value in (("source", source), ("reason", reason), ("lawful_basis", lawful_basis),
                        ("consent_recorded", consent_recorded)):
        if getattr(referral, name) != value:
            setattr(referral, name, value)
            changed.append(name)
    if changed:
        flush()
        audit.record(actor, "referral.updated", referral, detail={"fields": changed})
    return referral


def log_contact(actor, referral: Referral, *, occurred_at: datetime, mode: ContactMode, attended: bool,
                duration_minutes: int | None = None, notes: str | None = None) -> ContactResult:
    """Record a session. Warns (never blocks) past the session cap or inside the cadence (DOMAIN.md §2)."""
    require(actor, Capability.LOG_CONTACT, "Your role cannot log contacts")
    if referral.status is S.CLOSED:
        raise DomainError("This referral is closed. Reopening is not possible: record a new referral", "occurred_on")
    if occurred_at.date() < referral.referred_on:
        raise DomainError(f"The contact date cannot be before the referral date "
                          f"({referral.referred_on.strftime('%-d %B %Y')})", "occurred_on")
    if occurred_at > uk_now() + timedelta(minutes=10):
        raise DomainError("The contact date must be today or in the past", "occurred_on")
    if duration_minutes is not None and not 0 <= duration_minutes <= 720:
        raise DomainError("Duration must be between 0 and 720 minutes", "duration_minutes")
    notes = clean(notes)
    if notes and len(notes) > MAX_NOTE:
        raise DomainError(f"Notes must be {MAX_NOTE:,} characters or fewer", "notes")
    programme = referral.programme
    earlier = attended_sessions(referral)
    warnings = []
    if attended:
        warnings = sessions.session_warnings(
            programme=programme.name, session_cap=programme.session_cap, cadence_days=programme.cadence_days,
            attended_at=earlier, at=occurred_at)
    contact = Contact(referral=referral, occurred_at=occurred_at, mode=mode, attended=attended,
                      duration_minutes=duration_minutes if attended else None, worker_id=actor.id, notes=notes)
    db.session.add(contact)
    flush()
    recompute_reach(referral)
    # An attended session means the young person is engaged; a missed one changes nothing.
    if attended:
        for step in (S.CONTACTED, S.ENGAGED):
            if can_move(referral.status, step):
                _record_status(actor, referral, step, note="Recorded automatically when a session was logged",
                               at=occurred_at)
    flush()
    audit.record(actor, "contact.logged", contact, person_id=referral.person_id,
                 detail={"referral": referral.id, "attended": attended, "mode": mode.value, "warnings": len(warnings)})
    return ContactResult(contact, warnings)


def attended_sessions(referral: Referral) -> list[datetime]:
    """When the referral's attended sessions took place, from the database (not a possibly stale list)."""
    return list(db.session.execute(sa.select(Contact.occurred_at).where(
        Contact.referral_id == referral.id, Contact.attended.is_(True)).order_by(Contact.occurred_at)).scalars())


def session_notices_before_saving(referral: Referral, at: datetime) -> list[sessions.SessionNotice]:
    """What the log-contact form says on load: the session number against the cap, the gap against the cadence."""
    programme = referral.programme
    return sessions.session_notices(programme=programme.name, session_cap=programme.session_cap,
                                    cadence_days=programme.cadence_days, attended_at=attended_sessions(referral),
                                    at=at, before_saving=True)


def change_status(actor, referral: Referral, to: S, *, note: str | None = None, version=None) -> Referral:
    require(actor, Capability.LOG_CONTACT, "Your role cannot change a referral's status")
    check_version(referral, version)
    if to is S.CLOSED:
        raise DomainError("Use ‘Close the case’ to close a referral, so the reason is recorded", "to_status")
    note = clean(note)
    if note and len(note) > MAX_NOTE:
        raise DomainError(f"Keep this to {MAX_NOTE:,} characters or fewer", "note")
    _record_status(actor, referral, to, note=note)
    flush()
    return referral


def record_outcome(actor, referral: Referral, *, outcome_type: str, achieved_on: date,
                   notes: str | None = None) -> Outcome:
    require(actor, Capability.RECORD_OUTCOME, "Your role cannot record outcomes")
    allowed = referral.programme.outcome_types or []
    if outcome_type not in allowed:
        raise DomainError(f"Choose one of {referral.programme.name}'s outcomes", "outcome_type")
    if achieved_on < referral.referred_on:
        raise DomainError("The outcome date cannot be before the referral date", "achieved_on")
    if achieved_on > date.today():
        raise DomainError("The outcome date must be today or in the past", "achieved_on")
    notes = clean(notes)
    if notes and len(notes) > MAX_NOTE:
        raise DomainError(f"Notes must be {MAX_NOTE:,} characters or fewer", "notes")
    outcome = Outcome(referral=referral, outcome_type=outcome_type, achieved_on=achieved_on, notes=notes,
                      recorded_by_id=actor.id)
    db.session.add(outcome)
    flush()
    audit.record(actor, "outcome.recorded", outcome, person_id=referral.person_id,
                 detail={"referral": referral.id, "type": outcome_type})
    return outcome


def record_measure(actor, referral: Referral, *, instrument: str, time_point: TimePoint, value: Decimal,
                   measured_on: date, higher_is_better: bool = False) -> OutcomeMeasure:
    require(actor, Capability.RECORD_OUTCOME, "Your role cannot record measures")
    instrument = clean(instrument)
    if not instrument:
        raise DomainError("Enter the measure, for example Distress (0–10)", "instrument")
    if len(instrument) > 200:
        raise DomainError("Keep the measure's name to 200 characters or fewer", "instrument")
    if measured_on < referral.referred_on:
        raise DomainError("The date cannot be before the referral date", "measured_on")
    if measured_on > date.today():
        raise DomainError("The date must be today or in the past", "measured_on")
    if abs(value) >= Decimal("100000000"):
        raise DomainError("Enter a score below 100,000,000", "value")
    measure = OutcomeMeasure(referral=referral, instrument=instrument, time_point=time_point, value=value,
                             measured_on=measured_on, higher_is_better=higher_is_better, recorded_by_id=actor.id)
    db.session.add(measure)
    flush()
    audit.record(actor, "measure.recorded", measure, person_id=referral.person_id,
                 detail={"referral": referral.id, "instrument": instrument, "time_point": time_point.value})
    return measure


def close_referral(actor, referral: Referral, *, reason: str, closed_on: date, ending: S | None = None,
                   version=None) -> Referral:
    """Close with a reason. From received/contacted the case first records why it is ending (declined,
    not eligible, unable to contact), as the transitions require (DOMAIN.md §2)."""
    require(actor, Capability.CLOSE_REFERRAL, "Your role cannot close referrals")
    check_version(referral, version)
    if referral.status is S.CLOSED:
        raise DomainError("This referral is already closed")
    reason = clean(reason)
    if not reason:
        raise DomainError("Give the reason for closing", "reason")
    if len(reason) > 200:
        raise DomainError("Keep the reason to 200 characters or fewer", "reason")
    if closed_on < referral.referred_on:
        raise DomainError("The closing date cannot be before the referral date", "closed_on")
    if closed_on > date.today():
        raise DomainError("The closing date must be today or in the past", "closed_on")
    if not can_move(referral.status, S.CLOSED):
        if ending is None or not can_move(referral.status, ending) or not can_move(ending, S.CLOSED):
            raise DomainError("Say why the case is ending: declined, not eligible or unable to contact", "ending")
        _record_status(actor, referral, ending, note=reason)
    _record_status(actor, referral, S.CLOSED, note=reason)
    referral.closed_on = closed_on
    referral.closure_reason = reason
    flush()
    audit.record(actor, "referral.closed", referral, detail={"reason": reason, "closed_on": closed_on.isoformat()})
    return referral


def reassign_referrals(actor, referral_ids: list[int], worker_id: int, *, version: int | None = None) -> int:
    """Give one or many referrals (e.g. when a worker leaves) to another worker at the same provider."""
    require(actor, Capability.REASSIGN_REFERRAL, "Your role cannot reassign referrals")
    ids = sorted({int(i) for i in referral_ids})
    if not ids:
        raise DomainError("Choose at least one referral to reassign", "referral_ids")
    referrals = list(db.session.execute(sa.select(Referral).where(Referral.id.in_(ids), referral_scope(actor))).scalars())
    if len(referrals) != len(ids):
        raise DomainError("Some of those referrals are not in your caseload any more: refresh the page", "referral_ids")
    if version is not None and len(referrals) == 1:
        check_version(referrals[0], version)
    worker = None
    moved = 0
    for referral in referrals:
        worker = _check_worker(actor, worker_id, referral.provider_id)
        if referral.assigned_worker_id != worker.id:
            previous = referral.assigned_worker_id
            referral.assigned_worker_id = worker.id
            flush()
            audit.record(actor, "referral.reassigned", referral, detail={"from": previous, "to": worker.id})
            moved += 1
    return moved
