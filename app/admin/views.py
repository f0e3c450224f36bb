from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import bp, queries
from app.admin.forms import ButtonForm, OrganisationForm, ReasonForm, UserForm
from app import audit as audit_log
from app import idempotency
from app.audit import AuditEvent
from app.audit import export as audit_export_file
from app.auth import services
from app.auth.decorators import personal_data, requires
from app.auth.models import Organisation, OrganisationKind, User
from app.auth.policies import get_person_for
from app.auth.roles import Capability as C
from app.auth.roles import Role
from app.db import db, utcnow
from app.errors import DomainError
from app.forms import attach_error, id_arg, page_arg
from app.privacy.services import subject_access_export
from app.privacy.services import set_restricted
from app.privacy.services import erase_person

USERS = {"text": "Users", "href": "/admin/users"}


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/users")
@requires(C.MANAGE_USERS)
def users():
    org_id = id_arg("organisation")
    page = db.paginate(queries.users(org_id), page=page_arg(), per_page=50,
                       error_out=False)
    orgs = db.session.execute(sa.select(Organisation).order_by(Organisation.name)).scalars().all()
    return render_template("admin/users.html", page=page, organisations=orgs, org_id=org_id, page_title="Users",
                           now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
@requires(C.MANAGE_USERS)
def new_user():
    form = UserForm()
    form.organisation_id.choices = [("", "Choose an organisation")] + [
        (str(o.id), o.name) for o in db.session.execute(sa.select(Organisation).order_by(Organisation.name)).scalars()]
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)  # a double tap lands on the account the first made
        if replay is not None:
            return replay
        org = db.session.get(Organisation, int(form.organisation_id.data))
        try:
            user = services.create_account(current_user, email=form.email.data, full_name=form.full_name.data,
                                           password=form.password.data, role=Role(form.role.data), organisation=org)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            idempotency.finish_form(form, current_user, url_for("admin.user", user_id=user.id))
            db.session.commit()
            note = " They will set up an authenticator app at first sign-in." if user.two_factor_required else ""
            flash(f"Account created for {user.email}.{note}", "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/form.html", form=form, page_title="Create an account", breadcrumbs=[USERS])


@bp.route("/users/<int:user_id>")
@requires(C.MANAGE_USERS)
def user(user_id: int):
    u = _user_or_404(user_id)
    events = db.session.execute(
        sa.select(AuditEvent).where(sa.or_(AuditEvent.actor_id == u.id,
                                           sa.and_(AuditEvent.object_type == "User", AuditEvent.object_id == u.id)))
        .order_by(AuditEvent.id.desc()).limit(20)
    ).scalars().all()
    return render_template("admin/user.html", u=u, events=events, form=ButtonForm(), page_title=u.full_name,
                           breadcrumbs=[USERS], now=utcnow())


def _user_action(user_id: int, action, message: str):
    u = _user_or_404(user_id)
    if ButtonForm().validate_on_submit():
        try:
            action(u)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "info")
        else:
            db.session.commit()
            flash(message.format(email=u.email), "success")
    return redirect(url_for("admin.user", user_id=u.id))


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@requires(C.MANAGE_USERS)
def disable_user(user_id: int):
    return _user_action(user_id, lambda u: services.set_active(current_user, u, False),
                        "{email} is disabled and has been signed out everywhere.")


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@requires(C.MANAGE_USERS)
def enable_user(user_id: int):
    return _user_action(user_id, lambda u: services.set_active(current_user, u, True), "{email} can sign in again.")


@bp.route("/users/<int:user_id>/reset-two-factor", methods=["POST"])
@requires(C.MANAGE_USERS)
def reset_two_factor(user_id: int):
    return _user_action(user_id, lambda u: services.reset_two_factor(current_user, u),
                        "Second factor reset for {email}: they will set it up again at their next sign-in.")


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@requires(C.MANAGE_USERS)
def unlock_user(user_id: int):
    return _user_action(user_id, lambda u: services.unlock(current_user, u), "{email} is unlocked.")


@bp.route("/organisations")
@requires(C.MANAGE_USERS)
def organisations():
    rows = db.session.execute(queries.organisations()).all()
    return render_template("admin/organisations.html", rows=rows, page_title="Organisations")


@bp.route("/organisations/new", methods=["GET", "POST"])
@requires(C.MANAGE_USERS)
def new_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            idempotency.finish_form(form, current_user, url_for("admin.organisations"))
            org = services.create_organisation(current_user, name=form.name.data,
                                               kind=OrganisationKind(form.kind.data), consortium=form.consortium.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"{org.name} added.", "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/form.html", form=form, page_title="Add an organisation",
                           breadcrumbs=[{"text": "Organisations", "href": url_for("admin.organisations")}])


def _audit_filters():
    f = {"action": request.args.get("action", "")[:80], "actor": request.args.get("actor", "").strip()[:254],
         "person": id_arg("person"), "since": _date_arg("since"), "until": _date_arg("until")}
    stmt = queries.audit_events(action=f["action"], actor=f["actor"], person_id=f["person"], since=f["since"],
                                until=f["until"])
    return f, stmt


@bp.route("/audit")
@requires(C.VIEW_AUDIT)
def audit():
    f, stmt = _audit_filters()
    page = db.paginate(stmt, page=page_arg(), per_page=50, error_out=False)
    bad_dates = [n for n in ("since", "until") if request.args.get(n) and f[n] is None]
    download = {k: v for k, v in request.args.items() if k in ("action", "actor", "person", "since", "until") and v}
    return render_template("admin/audit.html", page=page, f=f, groups=queries.ACTION_GROUPS, bad_dates=bad_dates,
                           download=download, page_title="Audit log")


@bp.route("/audit/export")
@requires(C.VIEW_AUDIT)
def audit_export():
    """The filtered log as CSV or JSON Lines, oldest first, for an investigator or a SIEM. The export is audited."""
    fmt = request.args.get("format", "csv")
    if fmt not in audit_export_file.FORMATS:
        abort(404)
    f, stmt = _audit_filters()
    stmt = stmt.order_by(None).order_by(AuditEvent.id)
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
    audit_log.record_export(current_user, "audit_log", fmt, rows=total,
                        detail={"filters": {k: str(v) for k, v in f.items() if v}})
    db.session.commit()
    name = f"waypoint-audit-{utcnow():%Y%m%d-%H%M%S}.{'csv' if fmt == 'csv' else 'jsonl'}"
    # Streamed through a session of its own (on the request's database): the request's own session is gone by the
    # time the body is sent.
    return Response(audit_export_file.stream(db.session.get_bind(), stmt, fmt), mimetype=audit_export_file.FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- data protection (programme office) ---------------------------------------------------------------------

def _person_crumbs(person):
    return [{"text": "Audit log", "href": url_for("admin.audit")},
            {"text": person.display_name, "href": url_for("admin.person_privacy", person_id=person.id)}]


@bp.route("/people/<int:person_id>")
@requires(C.DATA_PROTECTION)
@personal_data
def person_privacy(person_id: int):
    person = get_person_for(current_user, person_id)
    return render_template("admin/person_privacy.html", person=person, form=ReasonForm(),
                           page_title=f"Data protection: {person.display_name}",
                           breadcrumbs=[{"text": "Audit log", "href": url_for("admin.audit")}])


@bp.route("/people/<int:person_id>/history")
@requires(C.DATA_PROTECTION)
@personal_data
def person_history(person_id: int):
    person = get_person_for(current_user, person_id)
    page = db.paginate(queries.audit_events(person_id=person.id), page=page_arg(),
                       per_page=50, error_out=False)
    return render_template("admin/person_history.html", person=person, page=page,
                           page_title=f"Access history: {person.display_name}", breadcrumbs=_person_crumbs(person))


@bp.route("/people/<int:person_id>/subject-access.zip")
@requires(C.DATA_PROTECTION)
def subject_access(person_id: int):

    person = get_person_for(current_user, person_id)
    body = subject_access_export(current_user, person)
    db.session.commit()
    return Response(body, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="subject-access-{person.id}-{date.today():%Y-%m-%d}.zip"'})


@bp.route("/people/<int:person_id>/restriction", methods=["POST"])
@requires(C.DATA_PROTECTION)
def restriction(person_id: int):

    person = get_person_for(current_user, person_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            set_restricted(current_user, person, not person.restricted, form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "info")
        else:
            db.session.commit()
            flash("Processing is restricted: only the data-protection lead can see this record now."
                  if person.restricted else "The restriction is lifted.", "success")
    else:
        flash("Enter a reason", "info")
    return redirect(url_for("admin.person_privacy", person_id=person.id))


@bp.route("/people/<int:person_id>/erase", methods=["POST"])
@requires(C.DATA_PROTECTION)
def erase(person_id: int):

    person = get_person_for(current_user, person_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            erase_person(current_user, person, form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "info")
        else:
            db.session.commit()
            flash("The person's details are erased. Anonymous counts are kept.", "success")
    else:
        flash("Enter a reason", "info")
    return redirect(url_for("admin.person_privacy", person_id=person.id))
