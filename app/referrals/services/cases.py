"""Use cases about referrals: submit, work (contacts, status, outcomes, measures), close, reassign.

Each takes the acting user, checks policy and meaning, calls the pure rules, audits and flushes; the
view or CLI commits once at the edge (DESIGN.md §4.3–4.4).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app import audit
from app.auth.models import User
from app.auth.policies import organisation_scope, referral_scope
from app.auth.roles import Capability
from app.db import db
from app.errors import DomainError
from app.programmes.models import Programme, Site
from app.referrals import allocation, sessions
from app.referrals.models import (
    Contact, ContactMode, LawfulBasis, Outcome, OutcomeMeasure, Person, Referral, ReferralSource,
    ReferralStatusChange, TimePoint, TrialArm,
)
from app.periods import fy_quarter_of, quarter_label
from app.periods.locks import is_locked
from app.referrals.reach import recompute_reach
from app.referrals.services._common import check_version, clean, flush, offline_moment, require, uk_now
from app.referrals.transitions import ReferralStatus as S, can_move, next_statuses
from app.referrals.services import checks
from app.referrals.services.people import create_person

MAX_NOTE = checks.MAX_NOTE
AUTOMATIC_NOTE = "Recorded automatically when a session was logged"


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
                    override_reason: str | None = None, assigned_worker_id: int | None = None,
                    allocated_elsewhere: tuple[TrialArm, str] | None = None,
                    recorded_offline_at: datetime | None = None) -> Referral:
    """Record a referral. On a trial programme an eligible person takes Waypoint's draw, unless
    `allocated_elsewhere` carries (arm, reference) for an allocation made outside Waypoint (a trial unit, a
    partner's system): that is recorded as such and audited, and Waypoint draws nothing (DOMAIN.md §6)."""
    require(actor, Capability.RECORD_REFERRAL, "Your role cannot record referrals")
    if person.merged_into_id:
        raise DomainError("This record was merged into another: refer the person on their current record")
    if not person.age_recorded:  # DOMAIN.md §3.5: a date of birth, an estimate, or "not known" and why
        raise DomainError(f"Record {person.display_name}'s age before referring them: their date of birth, an "
                          "estimated age, or why their age is not known (change their details)", "person_id")
    programme = db.session.get(Programme, programme_id)
    if programme is None or not programme.active:
        raise DomainError("Choose a programme that is running", "site_id")
    site = db.session.get(Site, site_id)
    if site is None or site.programme_id != programme.id:
        raise DomainError(f"Choose one of {programme.name}'s sites", "site_id")
    if not actor.sees_all_organisations and site.provider_id != actor.organisation_id:
        raise DomainError("Choose a site your organisation delivers", "site_id")
    age, judged, reason, override_reason = checks.check_referral(
        date_of_birth=person.date_of_birth, estimated_age=person.estimated_age, estimated_on=person.estimated_on,
        programme=programme, referred_on=referred_on, reason=reason, lawful_basis=lawful_basis,
        consent_recorded=consent_recorded, override_reason=override_reason)
    worker = _check_worker(actor, assigned_worker_id, site.provider_id)
    if referred_at is None or referred_at.date() != referred_on:
        referred_at = datetime.combine(referred_on, (referred_at or uk_now()).time().replace(second=0, microsecond=0))
    referral = Referral(
        person=person, programme=programme, site=site, provider_id=site.provider_id, referred_on=referred_on,
        referred_at=referred_at, source=source, reason=reason, lawful_basis=lawful_basis,
        consent_recorded=consent_recorded, eligibility_override_reason=override_reason if not judged.eligible else None,
        assigned_worker=worker, status=S.RECEIVED, trial_arm=TrialArm.NONE,
        recorded_offline_at=offline_moment(recorded_offline_at),
    )
    db.session.add(referral)
    if allocated_elsewhere is not None:
        _record_outside_allocation(referral, programme, *allocated_elsewhere)
    elif programme.trial_enabled and judged.eligible:
        _allocate(referral, programme, site)
    flush()
    db.session.add(ReferralStatusChange(referral=referral, from_status=None, to_status=S.RECEIVED,
                                        changed_by_id=actor.id, changed_at=referral.referred_at))
    audit.record(actor, "referral.submitted", referral, detail={
        "programme": programme.name, "site": site.name, "age": age, "eligible": judged.eligible,
        "override_reason": override_reason if not judged.eligible else None, "trial_arm": referral.trial_arm.value,
        "allocation_draw": referral.allocation_draw,
        "allocation": ("elsewhere" if allocated_elsewhere else "waypoint") if referral.allocation_draw else None,
        **({"recorded_offline_at": referral.recorded_offline_at.isoformat() + "Z"} if referral.recorded_offline_at
           else {})})
    flush()
    return referral


OUTSIDE_PREFIX = "allocated elsewhere: "


def _record_outside_allocation(referral: Referral, programme: Programme, arm: TrialArm, reference: str | None) -> None:
    if not programme.trial_enabled:
        raise DomainError(f"{programme.name} does not run a trial, so there is no allocation to record",
                          "trial_allocation")
    if arm not in (TrialArm.INTERVENTION, TrialArm.CONTROL):
        raise DomainError("Say which arm they were allocated to: intervention or control", "trial_allocation.arm")
    reference = clean(reference)
    if not reference:
        raise DomainError("Say where the allocation was made, for example the trial unit's reference",
                          "trial_allocation.reference")
    referral.trial_arm = arm
    referral.allocation_draw = (OUTSIDE_PREFIX + reference)[:200]


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
    # Waypoint's own draws only: an allocation made elsewhere takes no place in Waypoint's sequence.
    same_stratum = [Referral.programme_id == programme.id, Referral.trial_arm != TrialArm.NONE,
                    sa.or_(Referral.allocation_draw.is_(None), ~Referral.allocation_draw.startswith(OUTSIDE_PREFIX))]
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
                duration_minutes: int | None = None, notes: str | None = None,
                recorded_offline_at: datetime | None = None) -> ContactResult:
    """Record a session. Warns (never blocks) past the session cap or inside the cadence (DOMAIN.md §2).
    `recorded_offline_at` (UTC): when the worker saved it on a device without a connection (issue 14); the
    contact keeps `occurred_at`, so reach dates and clocks are the true ones, and its arrival is `created_at`."""
    require(actor, Capability.LOG_CONTACT, "Your role cannot log contacts")
    if referral.status is S.CLOSED:
        raise DomainError("This referral is closed. Reopening is not possible: record a new referral", "occurred_on")
    notes = checks.check_contact(referred_on=referral.referred_on, occurred_at=occurred_at,
                                 duration_minutes=duration_minutes, notes=notes)
    programme = referral.programme
    earlier = attended_sessions(referral)
    warnings = []
    if attended:
        warnings = sessions.session_warnings(
            programme=programme.name, session_cap=programme.session_cap, cadence_days=programme.cadence_days,
            attended_at=earlier, at=occurred_at)
    contact = Contact(referral=referral, occurred_at=occurred_at, mode=mode, attended=attended,
                      duration_minutes=duration_minutes if attended else None, worker_id=actor.id, notes=notes,
                      recorded_offline_at=offline_moment(recorded_offline_at))
    db.session.add(contact)
    flush()
    recompute_reach(referral)
    # An attended session means the young person is engaged; a missed one changes nothing.
    if attended:
        for step in checks.steps_when_attended(referral.status):
            _record_status(actor, referral, step, note=AUTOMATIC_NOTE, at=occurred_at)
    flush()
    detail = {"referral": referral.id, "attended": attended, "mode": mode.value, "warnings": len(warnings)}
    if contact.recorded_offline_at:
        # Both times, so the trail shows when it happened, when it was written down and (the event's own time)
        # when it arrived; and whether the case had been given to someone else meanwhile.
        detail.update(recorded_offline=True, occurred_at=occurred_at.isoformat(),
                      recorded_offline_at=contact.recorded_offline_at.isoformat() + "Z",
                      assigned_to_someone_else=referral.assigned_worker_id not in (None, actor.id))
    audit.record(actor, "contact.logged", contact, person_id=referral.person_id, detail=detail)
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
    notes = checks.check_outcome(programme=referral.programme, referred_on=referral.referred_on,
                                 outcome_type=outcome_type, achieved_on=achieved_on, notes=notes)
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
    instrument = checks.check_measure(referred_on=referral.referred_on, instrument=instrument, value=value,
                                      measured_on=measured_on)
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
    reason, steps = checks.check_closure(status=referral.status, referred_on=referral.referred_on, reason=reason,
                                         closed_on=closed_on, ending=ending)
    for step in steps:
        _record_status(actor, referral, step, note=reason)
    referral.closed_on = closed_on
    referral.closure_reason = reason
    flush()
    audit.record(actor, "referral.closed", referral, detail={"reason": reason, "closed_on": closed_on.isoformat()})
    return referral


def reopen_referral(actor, referral: Referral, *, reason: str, version=None) -> Referral:
    """Reopen a closed case (a manager or the programme office), with a reason, recorded in its history. It
    returns to the status it had before it closed. Refused when it closed in a locked quarter: that quarter's
    figures have gone to the Home Office (record a new referral instead)."""
    require(actor, Capability.REASSIGN_REFERRAL, "Only a manager or the programme office can reopen a case")
    check_version(referral, version)
    if referral.status is not S.CLOSED:
        raise DomainError("This case is not closed", "reason")
    reason = clean(reason) or ""
    if len(reason) < 10:
        raise DomainError("Say why the case is being reopened (at least 10 characters)", "reason")
    if len(reason) > 500:
        raise DomainError("Keep the reason to 500 characters or fewer", "reason")
    if referral.closed_on is not None and is_locked(*fy_quarter_of(referral.closed_on)):
        fy, quarter = fy_quarter_of(referral.closed_on)
        raise DomainError(f"This case closed in {quarter_label(fy, quarter)}, which is locked: its return has gone to "
                          "the Home Office. Record a new referral instead.", "reason")
    closing = db.session.execute(
        sa.select(ReferralStatusChange).where(ReferralStatusChange.referral_id == referral.id,
                                              ReferralStatusChange.to_status == S.CLOSED)
        .order_by(ReferralStatusChange.changed_at.desc(), ReferralStatusChange.id.desc()).limit(1)).scalar_one_or_none()
    back_to = closing.from_status if closing is not None and closing.from_status else (
        S.ENGAGED if referral.reached_on else S.RECEIVED)
    db.session.add(ReferralStatusChange(referral=referral, from_status=S.CLOSED, to_status=back_to,
                                        changed_by_id=actor.id, changed_at=uk_now(), note=f"Reopened: {reason}"))
    closed_on = referral.closed_on
    referral.status, referral.closed_on, referral.closure_reason = back_to, None, None
    flush()
    audit.record(actor, "referral.reopened", referral,
                 detail={"reason": reason, "was_closed_on": closed_on.isoformat() if closed_on else None,
                         "status": back_to.value})
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
