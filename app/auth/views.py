from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from app import audit
from app.auth import bp
from app.auth.decorators import public, requires
from app.auth.forms import SignInForm
from app.auth.roles import Capability
from app.auth.services import SIGN_IN_FAILED, authenticate
from app.db import db


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        db.session.commit()
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        failed = True
    return render_template("auth/sign_in.html", form=form, failed=failed, failed_message=SIGN_IN_FAILED)


@bp.route("/sign-out", methods=["POST"])
@requires(Capability.VIEW_HOME)
def sign_out():
    audit.record(current_user, "auth.signed_out", current_user)
    db.session.commit()
    logout_user()
    flash("You have been signed out.", "success")
    return redirect(url_for("auth.sign_in"))
