"""A case: the page (person, referral, timeline) and everything done to it."""
from __future__ import annotations

from datetime import date, datetime, UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import audit, idempotency
from app.auth.decorators import personal_data, requires
from app.auth.policies import get_referral_for
from app.auth.roles import Capability as C
from app.db import db
from app.referrals.services._common import uk_now
from app.errors import ConflictError, DomainError
from app.referrals import bp, queries, services
from app.referrals.followups import follow_up_due
from app.referrals.forms import (
    AssignForm, CloseForm, ContactForm, MeasureForm, OutcomeForm, ReferralEditForm, ReopenForm, StatusForm,
)
from app.referrals.models import Contact, ContactMode, LawfulBasis, ReferralSource, TimePoint, TrialArm
from app.referrals.transitions import ReferralStatus, can_move, next_statuses
from app.referrals.views._helpers import case_crumbs, conflict_redirect, fail
from app.todo import first_contact


FIELD_LABELS = {
    "source": "referred by", "reason": "reason", "lawful_basis": "lawful basis", "consent_recorded": "consent",
    "given_name": "first name", "family_name": "last name", "date_of_birth": "date of birth",
    "estimated_age": "estimated age", "sex": "sex", "gender_identity": "gender identity", "ethnicity": "ethnicity",
    "home_area": "home area", "nhs_number": "NHS number", "police_reference": "police reference",
}


def _uk(moment: datetime) -> datetime:
    """Audit times are kept in UTC; the timeline speaks UK time like the sessions it sits among."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/London")).replace(tzinfo=None)


def _history_text(event, names: dict) -> str:
    detail = event.detail or {}
    if event.action == "referral.reassigned":
        to = names.get(detail.get("to"), "another worker")
        return f"Reassigned to {to}" + (f" from {names[detail['from']]}" if detail.get("from") in names else "")
    fields = ", ".join(FIELD_LABELS.get(f, f.replace("_", " ")) for f in detail.get("fields") or [])
    if event.action == "referral.updated":
        return "Referral details changed" + (f": {fields}" if fields else "")
    if event.action == "person.updated":
        return "Personal details changed" + (f": {fields}" if fields else "")
    return "Another record of this person was merged into this one"


def _timeline(referral, history=()) -> list[dict]:
    """Newest first; at the same moment a session sits below the status changes it caused."""
    def day(d):
        return datetime.combine(d, datetime.min.time())

    items = [{"key": (c.occurred_at, 0, c.id), "kind": "contact", "obj": c} for c in referral.contacts]
    items += [{"key": (s.changed_at, 1, s.id), "kind": "status", "obj": s} for s in referral.status_changes]
    items += [{"key": (day(o.achieved_on), 2, o.id), "kind": "outcome", "obj": o} for o in referral.outcomes]
    items += [{"key": (day(m.measured_on), 3, m.id), "kind": "measure", "obj": m} for m in referral.measures]
    items += [{"key": (_uk(e.occurred_at), 4, e.id), "kind": "history",
               "obj": {"text": _history_text(e, names), "at": _uk(e.occurred_at), "by": e.actor}}
              for e, names in history]
    return sorted(items, key=lambda i: i["key"], reverse=True)


@bp.route("/<int:referral_id>")
@requires(C.VIEW_CASEWORK)
@personal_data
def case(referral_id: int):
    referral = queries.load_case(get_referral_for(current_user, referral_id))
    last_measure = max((m.measured_on for m in referral.measures), default=None)
    due = follow_up_due(referral.referred_on, referral.trial_arm is not TrialArm.NONE, date.today(), last_measure)
    html = render_template(
        "referrals/case.html", referral=referral, person=referral.person,
        timeline=_timeline(referral, queries.case_history(referral)),
        next_statuses=[s for s in next_statuses(referral.status) if s is not ReferralStatus.CLOSED],
        attended=sum(1 for c in referral.contacts if c.attended), follow_up=due,
        first_contact=first_contact.for_referral(referral),
        page_title=f"{referral.person.display_name} — {referral.programme.name}",
        breadcrumbs=case_crumbs(referral)[:2])
    # Recorded after rendering, just before the commit: on SQLite the event's INSERT takes the write lock, so it is
    # held for the INSERT and the commit only, not while the page is drawn (app/sqlite.py). Committing first
    # would expire the eager-loaded timeline.
    audit.record(current_user, "referral.viewed", referral)
    db.session.commit()
    return html


def _load(referral_id: int):
    return get_referral_for(current_user, referral_id)


def _small(form, referral, title: str, template: str = "referrals/case_form.html", **extra):
    return render_template(template, form=form, referral=referral, page_title=title,
                           breadcrumbs=case_crumbs(referral), **extra)


@bp.route("/<int:referral_id>/edit", methods=["GET", "POST"])
@requires(C.RECORD_REFERRAL)
@personal_data
def edit_referral(referral_id: int):
    referral = _load(referral_id)
    form = ReferralEditForm(obj=referral)
    if request.method == "GET":
        form.version.data = referral.version_id
        form.source.data = referral.source.value
        form.lawful_basis.data = referral.lawful_basis.value
    if form.validate_on_submit():
        try:
            services.update_referral(current_user, referral, version=form.version.data,
                                     source=ReferralSource(form.source.data), reason=form.reason.data,
                                     lawful_basis=LawfulBasis(form.lawful_basis.data),
                                     consent_recorded=form.consent_recorded.data)
            db.session.commit()
            flash("Referral details saved.", "success")
            return redirect(url_for("referrals.case", referral_id=referral.id))
        except ConflictError as exc:
            return conflict_redirect(exc, "referrals.edit_referral", referral_id=referral_id)
        except DomainError as exc:
            fail(form, exc)
    return _small(form, referral, "Change referral details")


@bp.route("/<int:referral_id>/contacts/new", methods=["GET", "POST"])
@requires(C.LOG_CONTACT)
@personal_data
def log_contact(referral_id: int):
    referral = _load(referral_id)
    form = ContactForm()
    if request.method == "GET":
        now = uk_now()
        form.occurred_on.data = now.date()
        form.occurred_time.data = now.time().replace(second=0, microsecond=0)
        form.attended.data = "yes"
        last = referral.contacts[-1] if referral.contacts else None
        form.mode.data = (last.mode if last else ContactMode.ONE_TO_ONE).value
        # The worker's own last duration (never a fixed 45 minutes, which over-records short sessions).
        form.duration_minutes.data = db.session.execute(
            sa.select(Contact.duration_minutes).where(Contact.worker_id == current_user.id,
                                                      Contact.duration_minutes.is_not(None))
            .order_by(Contact.occurred_at.desc(), Contact.id.desc()).limit(1)).scalar_one_or_none()
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)  # first, so a second submission waits and lands here
        if replay is not None:
            return replay
        at = datetime.combine(form.occurred_on.data, form.occurred_time.data or uk_now().time())
        try:
            result = services.log_contact(
                current_user, referral, occurred_at=at, mode=ContactMode(form.mode.data),
                attended=form.attended.data == "yes", duration_minutes=form.duration_minutes.data,
                notes=form.notes.data)
            idempotency.finish_form(form, current_user, url_for("referrals.case", referral_id=referral.id))
            db.session.commit()
            flash("Contact saved." if result.contact.attended else "Did-not-attend saved.", "success")
            for warning in result.warnings:
                flash(warning, "warning")
            return redirect(url_for("referrals.case", referral_id=referral.id))
        except DomainError as exc:
            fail(form, exc)
    # Said before saving, for the moment on the form (or now), so nobody is surprised afterwards.
    at = uk_now()
    if form.occurred_on.data and not form.occurred_on.errors:
        at = datetime.combine(form.occurred_on.data, form.occurred_time.data or at.time())
    notices = services.session_notices_before_saving(referral, at)
    return _small(form, referral, "Log a contact", notices=notices)


@bp.route("/<int:referral_id>/status", methods=["GET", "POST"])
@requires(C.LOG_CONTACT)
@personal_data
def change_status(referral_id: int):
    referral = _load(referral_id)
    form = StatusForm()
    form.to_status.choices = [(s.value, s.label) for s in next_statuses(referral.status) if s is not ReferralStatus.CLOSED]
    if request.method == "GET":
        form.version.data = referral.version_id
    if not form.to_status.choices:
        flash("This referral's status cannot change here: close the case instead.", "info")
        return redirect(url_for("referrals.case", referral_id=referral.id))
    if form.validate_on_submit():
        try:
            services.change_status(current_user, referral, ReferralStatus(form.to_status.data), note=form.note.data,
                                   version=form.version.data)
            db.session.commit()
            flash(f"Status changed to {referral.status.label.lower()}.", "success")
            return redirect(url_for("referrals.case", referral_id=referral.id))
        except ConflictError as exc:
            return conflict_redirect(exc, "referrals.case", referral_id=referral_id)
        except DomainError as exc:
            fail(form, exc)
    return _small(form, referral, "Change the status")


@bp.route("/<int:referral_id>/outcomes/new", methods=["GET", "POST"])
@requires(C.RECORD_OUTCOME)
@personal_data
def record_outcome(referral_id: int):
    referral = _load(referral_id)
    form = OutcomeForm()
    form.outcome_type.choices = [(t, t) for t in (referral.programme.outcome_types or [])]
    if request.method == "GET":
        form.achieved_on.data = date.today()
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            services.record_outcome(current_user, referral, outcome_type=form.outcome_type.data,
                                    achieved_on=form.achieved_on.data, notes=form.notes.data)
            idempotency.finish_form(form, current_user, url_for("referrals.case", referral_id=referral.id))
            db.session.commit()
            flash("Outcome saved.", "success")
            return redirect(url_for("referrals.case", referral_id=referral.id))
        except DomainError as exc:
            fail(form, exc)
    return _small(form, referral, "Record an outcome")


@bp.route("/<int:referral_id>/measures/new", methods=["GET", "POST"])
@requires(C.RECORD_OUTCOME)
@personal_data
def record_measure(referral_id: int):
    referral = _load(referral_id)
    form = MeasureForm()
    if request.method == "GET":
        form.measured_on.data = date.today()
        previous = [m for m in referral.measures]
        form.instrument.data = previous[-1].instrument if previous else "Distress (0–10)"
        form.time_point.data = (TimePoint.REVIEW if previous else TimePoint.BASELINE).value
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            services.record_measure(current_user, referral, instrument=form.instrument.data,
                                    time_point=TimePoint(form.time_point.data), value=form.value.data,
                                    measured_on=form.measured_on.data, higher_is_better=form.higher_is_better.data)
            idempotency.finish_form(form, current_user, url_for("referrals.case", referral_id=referral.id))
            db.session.commit()
            flash("Measure saved.", "success")
            return redirect(url_for("referrals.case", referral_id=referral.id))
        except DomainError as exc:
            fail(form, exc)
    return _small(form, referral, "Record a measure")


@bp.route("/<int:referral_id>/close", methods=["GET", "POST"])
@requires(C.CLOSE_REFERRAL)
@personal_data
def close(referral_id: int):
    referral = _load(referral_id)
    if referral.status is ReferralStatus.CLOSED:
        flash("This referral is already closed.", "info")
        return redirect(url_for("referrals.case", referral_id=referral.id))
    form = CloseForm()
    needs_ending = not can_move(referral.status, ReferralStatus.CLOSED)
    if not needs_ending:
        del form.ending
    if request.method == "GET":
        form.version.data = referral.version_id
        form.closed_on.data = date.today()
    if form.validate_on_submit():
        reason = form.reason.data
        if reason == "Other":
            reason = (form.other_reason.data or "").strip()
        try:
            if not reason:
                raise DomainError("Say why the case is closing", "other_reason")
            ending = ReferralStatus(form.ending.data) if needs_ending and form.ending.data else None
            services.close_referral(current_user, referral, reason=reason, closed_on=form.closed_on.data,
                                    ending=ending, version=form.version.data)
            db.session.commit()
            flash("Case closed.", "success")
            return redirect(url_for("referrals.case", referral_id=referral.id))
        except ConflictError as exc:
            return conflict_redirect(exc, "referrals.case", referral_id=referral_id)
        except DomainError as exc:
            fail(form, exc)
    return _small(form, referral, "Close the case")


@bp.route("/<int:referral_id>/reopen", methods=["GET", "POST"])
@requires(C.REASSIGN_REFERRAL)
@personal_data
def reopen(referral_id: int):
    referral = _load(referral_id)
    if referral.status is not ReferralStatus.CLOSED:
        flash("This case is open.", "info")
        return redirect(url_for("referrals.case", referral_id=referral.id))
    form = ReopenForm()
    if request.method == "GET":
        form.version.data = referral.version_id
    if form.validate_on_submit():
        try:
            services.reopen_referral(current_user, referral, reason=form.reason.data, version=form.version.data)
            db.session.commit()
            flash("Case reopened. The reason is in its history.", "success")
            return redirect(url_for("referrals.case", referral_id=referral.id))
        except ConflictError as exc:
            return conflict_redirect(exc, "referrals.case", referral_id=referral_id)
        except DomainError as exc:
            fail(form, exc)
    return _small(form, referral, "Reopen the case")


@bp.route("/<int:referral_id>/assign", methods=["GET", "POST"])
@requires(C.REASSIGN_REFERRAL)
@personal_data
def assign(referral_id: int):
    referral = _load(referral_id)
    form = AssignForm()
    form.worker_id.choices = [(0, "Choose a worker")] + queries.worker_choices(current_user, referral.provider_id)
    if request.method == "GET":
        form.version.data = referral.version_id
        form.worker_id.data = referral.assigned_worker_id or 0
    if form.validate_on_submit():
        try:
            if not form.worker_id.data:
                raise DomainError("Choose who to assign it to", "worker_id")
            services.reassign_referrals(current_user, [referral.id], form.worker_id.data,
                                        version=form.version.data)
            db.session.commit()
            flash(f"Reassigned to {referral.assigned_worker.full_name}.", "success")
            return redirect(url_for("referrals.case", referral_id=referral.id))
        except ConflictError as exc:
            return conflict_redirect(exc, "referrals.assign", referral_id=referral_id)
        except DomainError as exc:
            if exc.field == "assigned_worker_id":
                exc.field = "worker_id"
            fail(form, exc)
    return _small(form, referral, "Reassign this case")
