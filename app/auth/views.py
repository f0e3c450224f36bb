from __future__ import annotations


from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import bp, services, sessions, two_factor
from app.auth.decorators import public, requires
from app.auth.forms import ChangePasswordForm, CodeForm, ConfirmForm, SignInForm
from app.auth.models import User
from app.auth.roles import Capability
from app.db import db
from app.errors import DomainError
from app.forms import attach_error, local_path
from app.limits import account_and_ip_key, client_ip, configured, limiter

PENDING_USER = "mfa_user_id"
PENDING_NEXT = "mfa_next"
PENDING_TOKEN = "mfa_token"
PENDING_SECRET = "mfa_new_secret"
PENDING_SECONDS = 300


# Every credential endpoint shares one allowance per client address (password spraying across accounts), and each has
# its own per account (and address) below. Only POSTs count: showing the page is free.
per_ip = limiter.shared_limit(configured("SIGN_IN_LIMIT_PER_IP"), scope="credentials", key_func=client_ip,
                              methods=["POST"])


def _pending_key() -> str:
    return f"pending:{session.get(PENDING_USER)}:{client_ip()}"


def _own_account_key() -> str:
    return f"user:{current_user.get_id()}"


def _safe_next(target: str | None) -> str | None:
    return local_path(target)


def _finish_sign_in(user: User, next_url: str | None):
    services.complete_sign_in(user)  # clears the cookie session and mints a new session id
    db.session.commit()
    login_user(user)
    if user.two_factor_required and not user.two_factor_enabled:
        flash("Your role needs a second factor. Set up an authenticator app to continue.", "info")
        return redirect(url_for("auth.two_factor_setup"))
    return redirect(next_url or url_for("main.home"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@per_ip
@limiter.limit(configured("SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP"), key_func=account_and_ip_key("email"), methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, ip=client_ip())
        db.session.commit()
        next_url = _safe_next(request.args.get("next"))
        if user is not None and user.two_factor_enabled:
            token = services.begin_pending_sign_in(user)
            db.session.commit()
            session.clear()
            session[PENDING_USER] = user.id
            session[PENDING_TOKEN] = token
            session[PENDING_NEXT] = next_url
            return redirect(url_for("auth.sign_in_code"))
        if user is not None:
            return _finish_sign_in(user, next_url)
        failed = True
    return render_template("auth/sign_in.html", form=form, failed=failed, failed_message=services.SIGN_IN_FAILED)


def _pending_user() -> User | None:
    """The password step must be live on the server: single-use, replaced by a newer one, five minutes at most."""
    return services.pending_sign_in(session.get(PENDING_USER), session.get(PENDING_TOKEN), PENDING_SECONDS)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@per_ip
@limiter.limit(configured("SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP"), key_func=_pending_key, methods=["POST"])
def sign_in_code():
    user = _pending_user()
    if user is None:
        for key in (PENDING_USER, PENDING_TOKEN, PENDING_NEXT):
            session.pop(key, None)
        flash("Sign in again: the security code step timed out.", "info")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        ok = services.check_second_factor(user, form.code.data, ip=client_ip())
        db.session.commit()
        if ok:
            return _finish_sign_in(user, _safe_next(session.get(PENDING_NEXT)))
        form.code.errors = [services.CODE_FAILED]
    return render_template("auth/code.html", form=form, page_title="Enter your security code")


@bp.route("/sign-out", methods=["POST"])
@requires(Capability.VIEW_HOME)
def sign_out():
    services.sign_out(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have been signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account")
@requires(Capability.MANAGE_OWN_ACCOUNT)
def account():
    return render_template("auth/account.html", page_title="Your account", confirm=ConfirmForm())


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
@per_ip
@limiter.limit(configured("PASSWORD_CHANGE_LIMIT"), key_func=_own_account_key, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            user = current_user._get_current_object()
            sessions.start_session(user)  # this browser carries on; every other session has ended
            db.session.commit()
            login_user(user)
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form, page_title="Change your password",
                           breadcrumbs=[{"text": "Your account", "href": url_for("auth.account")}])


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def two_factor_setup():
    if current_user.two_factor_enabled:
        flash("Your second factor is already set up.", "info")
        return redirect(url_for("auth.account"))
    secret = session.get(PENDING_SECRET) or two_factor.new_secret()
    session[PENDING_SECRET] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            services.enrol_two_factor(current_user, secret, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            session.pop(PENDING_SECRET, None)
            flash("Your authenticator app is set up. You will be asked for a code each time you sign in.", "success")
            return redirect(url_for("main.home"))
    uri = two_factor.provisioning_uri(secret, current_user.email)
    return render_template("auth/two_factor_setup.html", form=form, qr=two_factor.qr_data_uri(uri),
                           key=two_factor.grouped(secret), page_title="Set up your authenticator app")


@bp.route("/account/two-factor/turn-off", methods=["POST"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def two_factor_turn_off():
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.turn_off_two_factor(current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "info")
        else:
            db.session.commit()
            flash("The second factor is turned off for your account.", "success")
    return redirect(url_for("auth.account"))
