from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import idempotency
from app.auth.decorators import requires
from app.auth.policies import delivers_programme
from app.auth.roles import Capability as C
from app.db import db
from app.errors import DomainError
from app.forms import attach_error, enum_or_none
from app.periods import fy_label, fy_of
from app.programmes import bp, queries, services
from app.programmes.forms import ProgrammeForm, SiteForm, TargetForm, WindowForm
from app.programmes.models import (
    Cohort, EvaluationStage, HomeOfficeCategory, ProgrammeKind, ReachUnit, SiteSetting, TargetMeasure,
)
from app.programmes.models import DEFAULT_OUTCOME_TYPES
from app.programmes.forms import TrainingForm
from app.periods import Window
from app.reports.queries import professionals_trained


def _year_choices() -> list[tuple[int, str]]:
    this = fy_of(date.today())
    return [(y, fy_label(y)) for y in range(this + 1, 2019, -1)]


@bp.route("/")
@requires(C.VIEW_PROGRAMMES)
def index():
    programmes = db.session.execute(queries.programmes()).scalars().all()
    return render_template("programmes/index.html", programmes=programmes, page_title="Programmes")


@bp.route("/<int:programme_id>")
@requires(C.VIEW_PROGRAMMES)
def show(programme_id: int):
    programme = queries.get_programme(programme_id)
    return render_template(
        "programmes/show.html", programme=programme, windows=queries.windows_of(programme.id),
        targets=queries.targets_of(programme.id), page_title=programme.name, fy_label=fy_label,
        breadcrumbs=[{"text": "Programmes", "href": url_for("programmes.index")}],
    )


def _programme_values(form: ProgrammeForm) -> dict:
    lines = [line.strip() for line in (form.outcome_types.data or "").splitlines() if line.strip()]
    return {
        "name": form.name.data, "kind": ProgrammeKind(form.kind.data), "ho_category": HomeOfficeCategory(form.ho_category.data),
        "ho_category_secondary": enum_or_none(HomeOfficeCategory, form.ho_category_secondary.data),
        "tiers": list(form.tiers.data or []), "cohort": Cohort(form.cohort.data),
        "min_age": form.min_age.data, "max_age": form.max_age.data,
        "referral_trigger": form.referral_trigger.data or None, "session_cap": form.session_cap.data,
        "cadence_days": form.cadence_days.data, "reach_unit": ReachUnit(form.reach_unit.data),
        "evaluation_stage": EvaluationStage(form.evaluation_stage.data), "trial_enabled": form.trial_enabled.data,
        "trial_stratify_by_site": form.trial_stratify_by_site.data, "trial_seed": form.trial_seed.data,
        "outcome_types": lines,
        "description": form.description.data or None,
    }


@bp.route("/new", methods=["GET", "POST"])
@requires(C.MANAGE_PROGRAMMES)
def new():
    form = ProgrammeForm()
    if request.method == "GET":

        form.outcome_types.data = "\n".join(DEFAULT_OUTCOME_TYPES)
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)  # a double tap lands on the programme the first made
        if replay is not None:
            return replay
        try:
            programme = services.save_programme(current_user, _programme_values(form))
            idempotency.finish_form(form, current_user, url_for("programmes.show", programme_id=programme.id))
            db.session.commit()
            flash(f"{programme.name} created. Add its sites and targets.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("programmes/form.html", form=form, page_title="New programme",
                           breadcrumbs=[{"text": "Programmes", "href": url_for("programmes.index")}])


@bp.route("/<int:programme_id>/edit", methods=["GET", "POST"])
@requires(C.MANAGE_PROGRAMMES)
def edit(programme_id: int):
    programme = queries.get_programme(programme_id)
    form = ProgrammeForm(obj=programme)
    if request.method == "GET":
        for name in ("kind", "ho_category", "ho_category_secondary", "cohort", "reach_unit", "evaluation_stage"):
            value = getattr(programme, name)
            getattr(form, name).data = value.value if value else ""
        form.outcome_types.data = "\n".join(programme.outcome_types or [])
    if form.validate_on_submit():
        try:
            services.save_programme(current_user, _programme_values(form), programme)
            db.session.commit()
            flash("Programme saved.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("programmes/form.html", form=form, programme=programme, page_title=f"Edit {programme.name}",
                           breadcrumbs=[{"text": "Programmes", "href": url_for("programmes.index")},
                                        {"text": programme.name, "href": url_for("programmes.show", programme_id=programme.id)}])


@bp.route("/<int:programme_id>/sites/new", methods=["GET", "POST"], defaults={"site_id": None})
@bp.route("/<int:programme_id>/sites/<int:site_id>/edit", methods=["GET", "POST"])
@requires(C.MANAGE_PROGRAMMES)
def site_form(programme_id: int, site_id: int | None):
    programme = queries.get_programme(programme_id)
    site = queries.get_site(programme, site_id) if site_id else None
    form = SiteForm(obj=site)
    form.provider_id.choices = queries.provider_choices()
    if request.method == "GET" and site:
        form.setting.data = site.setting.value
    if form.validate_on_submit():
        replay = None if site else idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            if site is None:
                idempotency.finish_form(form, current_user, url_for("programmes.show", programme_id=programme.id))
            services.save_site(current_user, programme, name=form.name.data, setting=SiteSetting(form.setting.data),
                               provider_id=form.provider_id.data, site=site)
            db.session.commit()
            flash("Site saved.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return _small_form(form, programme, "Edit site" if site else "Add a site")


@bp.route("/<int:programme_id>/windows", methods=["GET", "POST"])
@requires(C.MANAGE_PROGRAMMES)
def window_form(programme_id: int):
    programme = queries.get_programme(programme_id)
    form = WindowForm()
    form.fy.choices = _year_choices()
    if request.method == "GET":
        form.fy.data = fy_of(date.today())
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            idempotency.finish_form(form, current_user, url_for("programmes.show", programme_id=programme.id))
            services.set_counting_window(current_user, programme, form.fy.data, form.starts_on.data, form.ends_on.data)
            db.session.commit()
            flash(f"Counting window for {fy_label(form.fy.data)} saved.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return _small_form(form, programme, "Set a counting window",
                       intro="By default people are counted over the financial year (1 April to 31 March). "
                             "Set a window when a programme counts over a shorter period, such as a school year.")


@bp.route("/<int:programme_id>/targets", methods=["GET", "POST"])
@requires(C.MANAGE_PROGRAMMES)
def target_form(programme_id: int):
    programme = queries.get_programme(programme_id)
    form = TargetForm()
    form.fy.choices = _year_choices()
    if request.method == "GET":
        form.fy.data = fy_of(date.today())
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            idempotency.finish_form(form, current_user, url_for("programmes.show", programme_id=programme.id))
            services.set_target(current_user, programme, form.fy.data, TargetMeasure(form.measure.data), form.value.data)
            db.session.commit()
            flash("Target saved.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return _small_form(form, programme, "Set a target")


def _small_form(form, programme, title: str, intro: str | None = None):
    return render_template(
        "programmes/small_form.html", form=form, programme=programme, page_title=title, intro=intro,
        breadcrumbs=[{"text": "Programmes", "href": url_for("programmes.index")},
                     {"text": programme.name, "href": url_for("programmes.show", programme_id=programme.id)}],
    )


@bp.route("/<int:programme_id>/training", methods=["GET", "POST"])
@requires(C.RECORD_TRAINING)
def training_form(programme_id: int):

    programme = queries.get_programme(programme_id)
    form = TrainingForm()
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)  # a double tap lands on the events the first recorded
        if replay is not None:
            return replay
        try:
            idempotency.finish_form(form, current_user, url_for("programmes.training_events", programme_id=programme.id))
            event = services.record_training(current_user, programme, held_on=form.held_on.data, title=form.title.data,
                                             attendees_text=form.attendees.data,
                                             anonymous_count=form.anonymous_count.data)
            db.session.commit()
            n = event.anonymous_count or len(event.attendees)
            flash(f"Training recorded: {n} professional{'s' if n != 1 else ''} trained.", "success")
            return redirect(url_for("programmes.training_events", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return _small_form(form, programme, "Record training",
                       intro="Record a training session for professionals. It counts towards the programme's "
                             "\u201cprofessionals trained\u201d target in the return.")


def _training_breadcrumbs(programme, *extra):
    return [{"text": "Programmes", "href": url_for("programmes.index")},
            {"text": programme.name, "href": url_for("programmes.show", programme_id=programme.id)}, *extra]


@bp.route("/<int:programme_id>/training/events")
@requires(C.VIEW_PROGRAMMES)
def training_events(programme_id: int):
    """Past training events of a programme; with ?fy= those inside that year's counting window, with the
    unique professionals they add up to (the figure on the target dashboard)."""

    programme = queries.get_programme(programme_id)
    raw = request.args.get("fy", "")
    fy = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else None
    window, unique = None, None
    if fy is not None:
        window = Window(*services.window_for(programme.id, fy))
        as_at = min(window.ends_on, date.today())
        unique = sum(professionals_trained(fy, as_at).get(programme.id, {}).values())
    events = queries.training_events_of(programme.id, window.starts_on if window else None,
                                        window.ends_on if window else None)
    can_edit = current_user.can(C.RECORD_TRAINING) and delivers_programme(current_user, programme.id)
    return render_template(
        "programmes/training_events.html", programme=programme, events=events, fy=fy, window=window,
        unique=unique, fy_label=fy_label, can_edit=can_edit, years=[y for y, _ in _year_choices()],
        page_title=f"Training: {programme.name}", breadcrumbs=_training_breadcrumbs(programme))


def _editable_event(programme_id: int, event_id: int):
    programme = queries.get_programme(programme_id)
    if not delivers_programme(current_user, programme.id):
        abort(404)
    return programme, queries.get_training_event(programme, event_id)


@bp.route("/<int:programme_id>/training/<int:event_id>/edit", methods=["GET", "POST"])
@requires(C.RECORD_TRAINING)
def training_edit(programme_id: int, event_id: int):

    programme, event = _editable_event(programme_id, event_id)
    form = TrainingForm()
    form.submit.label.text = "Save changes"
    if request.method == "GET":
        form.title.data, form.held_on.data = event.title, event.held_on
        form.attendees.data = services.attendees_text(event)
        form.anonymous_count.data = event.anonymous_count
    if form.validate_on_submit():
        try:
            services.update_training(current_user, event, held_on=form.held_on.data, title=form.title.data,
                                     attendees_text=form.attendees.data, anonymous_count=form.anonymous_count.data)
            db.session.commit()
            flash("Training event updated.", "success")
            return redirect(url_for("programmes.training_events", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template(
        "programmes/small_form.html", form=form, programme=programme, page_title="Change a training event",
        intro="Correct the date, name or people trained. The change is recorded in the audit log.",
        delete_url=url_for("programmes.training_delete", programme_id=programme.id, event_id=event.id),
        breadcrumbs=_training_breadcrumbs(programme, {
            "text": "Training", "href": url_for("programmes.training_events", programme_id=programme.id)}))


@bp.route("/<int:programme_id>/training/<int:event_id>/delete", methods=["GET", "POST"])
@requires(C.RECORD_TRAINING)
def training_delete(programme_id: int, event_id: int):
    from flask_wtf import FlaskForm

    programme, event = _editable_event(programme_id, event_id)
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.delete_training(current_user, event)
            db.session.commit()
            flash("Training event deleted.", "success")
            return redirect(url_for("programmes.training_events", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("programmes.training_events", programme_id=programme.id))
    return render_template(
        "programmes/training_delete.html", form=form, programme=programme, event=event,
        page_title="Delete a training event",
        breadcrumbs=_training_breadcrumbs(programme, {
            "text": "Training", "href": url_for("programmes.training_events", programme_id=programme.id)}))
