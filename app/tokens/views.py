"""Pages for API tokens: a person's own (under Your account) and service tokens (administrators)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app import idempotency
from app.auth.decorators import requires
from app.auth.roles import Capability as C
from app.auth.models import Organisation
from app.db import db, utcnow
from app.errors import DomainError
from app.forms import attach_error
from app.tokens import bp, services
from app.tokens.forms import PersonalTokenForm, RevokeForm, ServiceTokenForm


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@requires(C.MANAGE_OWN_ACCOUNT)
def personal_tokens():
    form = PersonalTokenForm()
    shown_once = None
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)  # a double tap makes one token, not two
        if replay is not None:
            return replay
        try:
            idempotency.finish_form(form, current_user, url_for("tokens.personal_tokens"))
            token, shown_once = services.create_personal_token(current_user, form.name.data)
            db.session.commit()
            form = PersonalTokenForm(formdata=None)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("tokens/personal.html", form=form, tokens=services.personal_tokens(current_user),
                           shown_once=shown_once, revoke=RevokeForm(), now=utcnow(), page_title="API tokens",
                           days=services.lifetime_days(),
                           breadcrumbs=[{"text": "Your account", "href": url_for("auth.account")}])


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@requires(C.MANAGE_OWN_ACCOUNT)
def revoke_personal_token(token_id: int):
    token = services.get_own_token(current_user, token_id)
    if token is None or not RevokeForm().validate_on_submit():
        abort(404)
    services.revoke_token(current_user, token)
    db.session.commit()
    flash(f"Token ‘{token.name}’ revoked: anything still using it is refused from now on.", "success")
    return redirect(url_for("tokens.personal_tokens"))


def _organisations():
    return db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.active.is_(True))
                              .order_by(Organisation.name)).all()


@bp.route("/admin/service-tokens", methods=["GET", "POST"])
@requires(C.MANAGE_USERS)
def service_tokens():
    form = ServiceTokenForm()
    form.organisation_id.choices = [(0, "Choose an organisation")] + [(o.id, o.name) for o in _organisations()]
    form.role.choices = [("", "Choose a role")] + [(r.value, r.label) for r in services.SERVICE_ROLES]
    shown_once = None
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            idempotency.finish_form(form, current_user, url_for("tokens.service_tokens"))
            if not form.organisation_id.data:
                raise DomainError("Choose the organisation whose system this is", "organisation_id")
            if not form.role.data:
                raise DomainError("Choose a role", "role")
            token, shown_once = services.create_service_token(
                current_user, form.name.data, form.organisation_id.data, services.Role(form.role.data))
            db.session.commit()
            form.name.data, form.idempotency_token.data = None, idempotency.new_token()  # the next one is new
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("tokens/service.html", form=form, tokens=services.service_tokens(), shown_once=shown_once,
                           revoke=RevokeForm(), now=utcnow(), page_title="Service tokens",
                           days=services.lifetime_days(),
                           breadcrumbs=[{"text": "Users", "href": url_for("admin.users")}])


@bp.route("/admin/service-tokens/<int:token_id>/revoke", methods=["POST"])
@requires(C.MANAGE_USERS)
def revoke_service_token(token_id: int):
    token = services.get_service_token(token_id)
    if token is None or not RevokeForm().validate_on_submit():
        abort(404)
    services.revoke_token(current_user, token)
    db.session.commit()
    flash(f"Service token ‘{token.name}’ revoked: the system is refused from now on.", "success")
    return redirect(url_for("tokens.service_tokens"))
