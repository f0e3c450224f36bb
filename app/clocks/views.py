from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import requires
from app.auth.roles import Capability as C
from app.clocks import bp, services
from app.clocks.forms import ClockForm
from app.clocks.rules import ClockUnit
from app.db import db
from app.errors import DomainError
from app.forms import attach_error
from app.programmes import queries as programme_queries


@bp.route("/<int:programme_id>/clocks", methods=["GET", "POST"])
@requires(C.MANAGE_PROGRAMMES)
def settings(programme_id: int):
    programme = programme_queries.get_programme(programme_id)
    current = services.settings_of(programme)
    form = ClockForm()
    if request.method == "GET":
        form.first_contact_within.data = current.first_contact_within
        form.first_contact_unit.data = current.unit.value
        form.amber_hours.data = current.amber_hours
        form.baseline_within_days.data = current.baseline_within_days
        form.review_at_weeks.data = current.review_at_weeks
        form.exit_at_close.data = current.exit_at_close
    if form.validate_on_submit():
        try:
            services.save_clock_settings(current_user, programme, {
                "first_contact_within": form.first_contact_within.data,
                "first_contact_unit": ClockUnit(form.first_contact_unit.data),
                "amber_hours": form.amber_hours.data, "baseline_within_days": form.baseline_within_days.data,
                "review_at_weeks": form.review_at_weeks.data, "exit_at_close": bool(form.exit_at_close.data)})
            db.session.commit()
            flash("Clock settings saved. To-do lists use them from now on.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("clocks/settings.html", form=form, programme=programme, current=current,
                           page_title=f"Clocks for {programme.name}",
                           breadcrumbs=[{"text": "Programmes", "href": url_for("programmes.index")},
                                        {"text": programme.name,
                                         "href": url_for("programmes.show", programme_id=programme.id)}])
