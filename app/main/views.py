from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app, render_template, send_from_directory
from flask_login import current_user

from app.auth.decorators import personal_data, public, requires
from app.auth.roles import Capability as C
from app.finance import queries as finance_queries
from app.main import bp, queries
from app.periods import fy_bounds, fy_label, fy_of
from app.programmes.models import TargetMeasure
from app.db import db
from app.todo.services import home_todo, uk_now


def _today() -> date:
    return date.today()


@bp.route("/")
@requires(C.VIEW_HOME)
@personal_data  # a youth worker's home lists their open cases by name
def home():
    user = current_user
    today = _today()
    ctx: dict = {"today": today, "page_title": "Home"}
    if user.can(C.VIEW_CASEWORK):
        ctx["todo"] = home_todo(user, uk_now())  # the home page leads with what is due
    if user.can(C.LOG_CONTACT):
        ctx["my_referrals"] = queries.my_open_referrals(user)
        ctx["my_counts"] = queries.my_status_counts(user)
    if user.can(C.VIEW_ORG_CASELOAD) or user.can(C.MANAGE_PROGRAMMES):
        fy = fy_of(today)
        target_year = queries.latest_target_year(today) or fy
        start, end = fy_bounds(target_year)
        ctx["caseload_fy"] = fy_label(target_year)
        ctx["caseload"] = queries.caseload_by_site(user, start, end)
    if user.can(C.MANAGE_PROGRAMMES):
        target_year = queries.latest_target_year(today) or fy_of(today)
        programmes, targets, site_counts = queries.programmes_with_targets(target_year)
        ctx.update(programmes=programmes, targets=targets, site_counts=site_counts,
                   target_fy=fy_label(target_year), measures=list(TargetMeasure))
    if user.can(C.MANAGE_FINANCE):
        ctx["grant_years"] = _grant_years()
    if user.can(C.MANAGE_USERS):
        ctx["users_by_role"] = queries.users_by_role()
    return render_template("main/home.html", **ctx)


def _grant_years():
    """Grant years set up, with their spend so far."""
    return finance_queries.grant_year_summaries()


@bp.route("/healthz")
@public
def healthz():
    from sqlalchemy import text


    db.session.execute(text("SELECT 1"))
    return {"status": "ok", "service": current_app.config["SERVICE_NAME"]}


@bp.route("/assets/<path:filename>")
@public
def govuk_assets(filename: str):
    """GOV.UK Frontend's stylesheet asks for its fonts and images at /assets/…; they are copied with the
    stylesheet into static/govuk/assets (``make assets``), so serve them from there rather than 404."""
    folder = Path(current_app.static_folder) / "govuk" / "assets"
    return send_from_directory(folder, filename, max_age=31_536_000)
