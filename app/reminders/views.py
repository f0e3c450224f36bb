from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import requires
from app.auth.roles import Capability as C
from app.db import db
from app.errors import DomainError
from app.forms import attach_error
from app.reminders import bp, services
from app.reminders.forms import ReminderForm


@bp.route("/settings", methods=["GET", "POST"])
@requires(C.LOG_CONTACT)
def settings():
    pref = services.preferences_of(current_user)
    manager = current_user.can(C.VIEW_ORG_CASELOAD)
    form = ReminderForm()
    if not manager:
        del form.breaches
    if request.method == "GET":
        for name in services.PREFERENCE_FIELDS:
            if name in form:
                form[name].data = bool(getattr(pref, name))
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.PREFERENCE_FIELDS if name in form}
        values.setdefault("breaches", pref.breaches)
        try:
            services.save_preferences(current_user, values)
            db.session.commit()
            flash("E-mail choices saved.", "success")
            return redirect(url_for("reminders.settings"))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("reminders/settings.html", form=form, page_title="E-mail reminders",
                           email=current_user.email)
