from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import audit
from app.auth.decorators import requires
from app.auth.models import Organisation
from app.auth.policies import visible_organisation_ids
from app.auth.roles import Capability as C
from app.db import db
from app.documents import FORMATS, render, report_for_html
from app.errors import DomainError
from app.finance import bp as finance_bp
from app.finance import views as finance_views
from app.forms import attach_error, id_arg
from app.periods import fy_bounds, fy_label, fy_of, quarter_bounds, quarter_label
from app.periods.models import PeriodStatus, ReportingPeriod
from app.programmes.models import Programme
from app.referrals.models import Person
from app.reports import bp, counting, dashboard, queries, services
from app.reports.forms import AcceptForm, ActionForm, DraftForm
from app.reports.builders.timeliness import dashboard_table


def _today() -> date:
    return date.today()


def _fy_arg(default: int) -> int:
    raw = request.args.get("fy", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return default


def _check_quarter(year: int, quarter: int) -> None:
    if not (1 <= quarter <= 4 and 2000 <= year <= 2100):
        abort(404)


# ------------------------------------------------------------------ targets


@bp.route("/targets")
@requires(C.VIEW_TARGETS)
def targets():
    today = _today()
    years = queries.target_years()
    default = queries.latest_target_year(today) or fy_of(today)
    fy = _fy_arg(default)
    as_at = dashboard.default_as_at(fy, today)
    orgs = visible_organisation_ids(current_user)
    lines = dashboard.build(fy, as_at, orgs)
    chart = _chart(lines)
    timeliness = dashboard_table(fy_bounds(fy)[0], as_at, orgs)
    # Quarters that have not started yet show "–", not a 0 that reads as nothing done.
    future = {q for q in range(1, 5) if quarter_bounds(fy, q)[0] > today}
    return render_template(
        "reports/targets.html", lines=lines, timeliness=timeliness, fy=fy, fy_label=fy_label,
        years=sorted(set(years) | {fy}, reverse=True), as_at=as_at, share=orgs is not None, chart=chart,
        page_title=f"Targets {fy_label(fy)}", future=future,
        amber_from=int(dashboard.AMBER_FROM * 100))


def _chart(lines):
    """Bars of new people per quarter per programme, drawn as SVG on the server (no inline styles)."""
    def people(line, q):  # new people only: professionals trained are a different measure
        return sum(bl.by_quarter[q] for bl in line.lines if bl.band != dashboard.PROFESSIONALS)

    top = max([people(line, q) for line in lines for q in range(1, 5)] + [1])
    bars = []
    for i, line in enumerate(lines):
        for q in range(1, 5):
            n = people(line, q)
            height = round(90 * n / top)
            bars.append({"x": 10 + i * 70 + (q - 1) * 14, "y": 100 - height, "h": height, "n": n, "q": q,
                         "programme": line.name})
    return {"bars": bars, "width": 20 + len(lines) * 70, "labels": [
        {"x": 10 + i * 70 + 28, "lines": _label_lines(line.name)} for i, line in enumerate(lines)]}


def _label_lines(name: str, width: int = 13, most: int = 3) -> list[str]:
    """A programme's whole name in lines of about ``width`` characters under its bars (never just the first
    word); a name longer than ``most`` lines ends with an ellipsis and is in full in the table below."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


@bp.route("/targets/people")
@requires(C.VIEW_TARGETS, C.VIEW_CASEWORK)
def target_people():
    """The people behind a figure, within the viewer's scope; every view is audited."""
    today = _today()
    fy = _fy_arg(queries.latest_target_year(today) or fy_of(today))
    programme_id = id_arg("programme_id")
    programme = db.session.get(Programme, programme_id) if programme_id else None
    if programme_id and programme is None:
        abort(404)
    band = request.args.get("band")
    quarter = id_arg("quarter")
    as_at = dashboard.default_as_at(fy, today)
    if quarter is not None and not 1 <= quarter <= 4:
        abort(404)
    as_at_arg = request.args.get("as_at")
    if as_at_arg:
        try:
            as_at = min(as_at, date.fromisoformat(as_at_arg))
        except ValueError:
            abort(404)
    counted = counting.counted_people_stmt(fy, programme_ids=[programme.id] if programme else None, as_at=as_at,
                                           organisation_ids=visible_organisation_ids(current_user)).subquery()

    stmt = (
        sa.select(counted, Person.given_name, Person.family_name, Organisation.name.label("provider"),
                  Programme.name.label("programme"))
        .join(Person, Person.id == counted.c.person_id)
        .join(Organisation, Organisation.id == counted.c.provider_id)
        .join(Programme, Programme.id == counted.c.programme_id)
        .order_by(Programme.name, counted.c.reached_on, Person.family_name)
    )
    if band in ("24_and_under", "25_and_over", "not_known"):
        stmt = stmt.where(counted.c.band == band)
    if quarter:
        stmt = stmt.where(counted.c.quarter == quarter)
    rows = db.session.execute(stmt).all()
    audit.record(current_user, "targets.people.viewed", programme,
                 detail={"fy": fy_label(fy), "band": band, "quarter": quarter, "people": len(rows),
                         "person_ids": [r.person_id for r in rows][:500]})
    db.session.commit()
    return render_template("reports/target_people.html", rows=rows, programme=programme, fy=fy, fy_label=fy_label,
                           band=band, quarter=quarter, as_at=as_at, page_title="People behind the figure",
                           breadcrumbs=[{"text": "Targets", "href": url_for("reports.targets", fy=fy)}])


# ------------------------------------------------------------------ returns


@bp.route("/returns")
@requires(C.MANAGE_RETURNS)
def returns():
    today = _today()
    # The year being worked on: the latest with a return started, else the latest with targets (as the
    # target dashboard opens on), else this one — not an empty future year because the clock moved on.

    started = db.session.execute(sa.select(sa.func.max(ReportingPeriod.fy))).scalar_one_or_none()
    fy = _fy_arg(max(filter(None, [started, queries.latest_target_year(today)]), default=fy_of(today)))
    periods = {}
    for q in range(1, 5):
        periods[q] = services.period_for(fy, q)
    return render_template("reports/returns.html", fy=fy, fy_label=fy_label, periods=periods,
                           quarter_bounds=quarter_bounds, years=list(range(fy_of(today), 2021, -1)), today=today,
                           page_title=f"Quarterly returns {fy_label(fy)}")


def _return_page(year: int, quarter: int, draft_form=None, status: int = 200):
    period = services.period_for(year, quarter)
    report = services.return_report(year, quarter)
    if period is None:
        exceptions = queries.data_quality_exceptions(year, quarter)
    else:
        exceptions = [] if period.locked else services.open_exceptions(period)
    if draft_form is None:
        draft_form = DraftForm(obj=period) if period is not None else DraftForm()
    return render_template(
        "reports/return.html", report=report_for_html(report), period=period, year=year, quarter=quarter,
        label=quarter_label(year, quarter), formats=FORMATS, draft_form=draft_form, action_form=ActionForm(),
        open_exceptions=exceptions, PeriodStatus=PeriodStatus, page_title=f"Return {quarter_label(year, quarter)}",
        breadcrumbs=[{"text": "Returns", "href": url_for("reports.returns", fy=year)}]), status


@bp.route("/returns/<int:year>/<int:quarter>")
@requires(C.MANAGE_RETURNS)
def return_show(year: int, quarter: int):
    _check_quarter(year, quarter)
    return _return_page(year, quarter)


@bp.route("/returns/<int:year>/<int:quarter>/download")
@requires(C.MANAGE_RETURNS)
def return_download(year: int, quarter: int):
    _check_quarter(year, quarter)
    fmt = request.args.get("format", "pdf")
    if fmt not in FORMATS:
        abort(404)
    suppressed = request.args.get("suppressed") == "1"
    report = services.return_report(year, quarter, suppressed=suppressed)
    data, mimetype, ext = render(report, fmt)
    audit.record_export(current_user, "quarterly_return", fmt,
                        detail={"period": quarter_label(year, quarter), "suppressed": suppressed})
    db.session.commit()
    name = f"vru-return-{fy_label(year)}-Q{quarter}{'-public' if suppressed else ''}.{ext}"
    return data, 200, {"Content-Type": mimetype, "Content-Disposition": f'attachment; filename="{name}"'}


@bp.route("/returns/<int:year>/<int:quarter>/draft", methods=["POST"])
@requires(C.MANAGE_RETURNS)
def return_draft(year: int, quarter: int):
    _check_quarter(year, quarter)
    form = DraftForm()
    if form.validate_on_submit():
        try:
            period = services.period_for(year, quarter, create=True)
            services.save_draft(current_user, period, narrative=form.narrative.data, sro_name=form.sro_name.data,
                                grant_reference=form.grant_reference.data, due_on=form.due_on.data)
            db.session.commit()
            flash("Draft saved.", "success")
            return redirect(url_for("reports.return_show", year=year, quarter=quarter))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return _return_page(year, quarter, draft_form=form, status=400)


def _action(year: int, quarter: int, fn, message: str):
    _check_quarter(year, quarter)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    period = services.period_for(year, quarter, create=True)
    try:
        fn(current_user, period)
        db.session.commit()
        flash(message, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("reports.return_show", year=year, quarter=quarter))


@bp.route("/returns/<int:year>/<int:quarter>/submit", methods=["POST"])
@requires(C.MANAGE_RETURNS)
def return_submit(year: int, quarter: int):
    return _action(year, quarter, services.submit, "Return marked as submitted.")


@bp.route("/returns/<int:year>/<int:quarter>/lock", methods=["POST"])
@requires(C.MANAGE_RETURNS)
def return_lock(year: int, quarter: int):
    return _action(year, quarter, services.lock, "Return locked. Its figures will not change.")


@bp.route("/returns/<int:year>/<int:quarter>/exceptions", methods=["GET", "POST"])
@requires(C.MANAGE_RETURNS, C.VIEW_CASEWORK)
def return_exceptions(year: int, quarter: int):
    _check_quarter(year, quarter)
    form = AcceptForm()
    period = services.period_for(year, quarter)
    if request.method == "POST" and form.validate_on_submit():
        try:
            period = services.period_for(year, quarter, create=True)
            n = services.accept_exceptions(current_user, period, request.form.getlist("keys"), form.reason.data)
            db.session.commit()
            flash(f"{n} exception{'s' if n != 1 else ''} accepted.", "success")
            return redirect(url_for("reports.return_exceptions", year=year, quarter=quarter))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    rows = services.open_exceptions(period) if period is not None else queries.data_quality_exceptions(year, quarter)
    accepted = period.acceptances if period is not None else []
    audit.record(current_user, "return.exceptions.viewed", period,
                 detail={"period": quarter_label(year, quarter), "open": len(rows)})
    db.session.commit()
    return render_template("reports/exceptions.html", rows=rows, accepted=accepted, form=form, year=year,
                           quarter=quarter, label=quarter_label(year, quarter), period=period,
                           page_title=f"Data-quality exceptions {quarter_label(year, quarter)}",
                           breadcrumbs=[{"text": "Returns", "href": url_for("reports.returns", fy=year)},
                                        {"text": quarter_label(year, quarter),
                                         "href": url_for("reports.return_show", year=year, quarter=quarter)}]), (
        400 if form.errors or form.form_errors else 200)


# --- the whole return for finance ---------------------------------------------------------------
# Finance may download the complete quarterly return beside its own reports (aggregates only: no person is
# named in it), as the programme office holds it — its locked snapshot once locked. The route sits on
# finance's blueprint, so its address is finance's, but it is the reports domain's view: finance never imports
# the reports domain.


@finance_bp.route("/years/<int:fy>/reports/quarterly-return")
@requires(C.VIEW_FINANCE)
def quarterly_return_report(fy: int):
    return finance_views.report_response(fy, "quarterly-return",
                                         lambda _name, year, quarter: services.return_report(year, quarter or 1))
