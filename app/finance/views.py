"""Finance screens: grant years and lines, spend (one entry or a ledger), match funding, dashboard, reports."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import audit, idempotency
from app.auth.decorators import requires
from app.auth.roles import Capability as C
from app.db import db
from app.documents import render, report_for_html
from app.errors import ConflictError, DomainError
from app.finance import bp, figures, ledger, queries, rules, services
from app.finance.forms import (
    ContributionForm,
    GrantYearForm,
    LedgerForm,
    LineForm,
    SecondmentForm,
    SpendForm,
)
from app.finance.models import LineType, MatchKind, MatchStatus, SpendKind
from app.finance.report_grant_spend import build_grant_spend
from app.finance.report_match_funding import build_match_funding
from app.finance.report_sections import build_return_finance
from app.finance.rules import format_money
from app.forms import attach_error, id_arg, page_arg
from app.periods import fy_label, fy_of, quarter_label

REPORTS = {
    "grant-spend": "Grant spend",
    "match-funding": "Match funding",
    "return-finance": "Quarterly return sections A to C",
    "quarterly-return": "Complete quarterly return",
}
FORMATS = ("html", "pdf", "xlsx", "csv", "json")


def _crumbs(grant=None, *extra):
    items = [{"text": "Finance", "href": url_for("finance.dashboard")}]
    if grant is not None:
        items.append({"text": grant.label, "href": url_for("finance.dashboard", fy=grant.fy)})
    return items + [{"text": t, "href": h} for t, h in extra]


def _quarter_arg(default: int | None) -> int | None:
    value = id_arg("quarter")
    return value if value in (1, 2, 3, 4) else default


# --- dashboard ----------------------------------------------------------------------------------


@bp.route("/", defaults={"fy": None})
@bp.route("/years/<int:fy>")
@requires(C.VIEW_FINANCE)
def dashboard(fy: int | None):
    years = db.session.execute(queries.grant_years()).scalars().all()
    if fy is None:
        if not years:
            return render_template("finance/empty.html", page_title="Finance")
        this = fy_of(date.today())
        grant = next((g for g in years if g.fy == this), years[0])
    else:
        grant = queries.get_grant_year(fy)
    f = figures.year_figures(grant, _quarter_arg(None))
    return render_template("finance/dashboard.html", f=f, grant=grant, years=years, reports=REPORTS,
                           page_title=f"Finance {grant.label}", quarter_label=quarter_label,
                           LineType=LineType, MatchStatus=MatchStatus, MatchKind=MatchKind)


# --- grant years and lines ----------------------------------------------------------------------


def _year_choices():
    this = fy_of(date.today())
    return [(y, fy_label(y)) for y in range(this + 1, 2018, -1)]


@bp.route("/years/new", methods=["GET", "POST"], defaults={"fy": None})
@bp.route("/years/<int:fy>/edit", methods=["GET", "POST"])
@requires(C.MANAGE_FINANCE)
def grant_year_form(fy: int | None):
    grant = queries.get_grant_year(fy) if fy is not None else None
    form = GrantYearForm(obj=grant)
    form.fy.choices = _year_choices()
    if request.method == "GET" and grant is None:
        form.fy.data = fy_of(date.today())
    if form.validate_on_submit():
        replay = None if grant else idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            if grant is None:
                idempotency.finish_form(form, current_user, url_for("finance.lines", fy=form.fy.data))
            grant = services.save_grant_year(
                current_user, fy=form.fy.data, funder=form.funder.data, allocation=form.allocation.data,
                match_pct=form.match_pct.data, grant_reference=form.grant_reference.data,
                sro_name=form.sro_name.data, grant=grant)
            db.session.commit()
            flash(f"Grant year {grant.label} saved. Add its budget lines.", "success")
            return redirect(url_for("finance.lines", fy=grant.fy))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    title = f"Edit grant year {grant.label}" if grant else "Set up a grant year"
    return render_template("finance/form.html", form=form, page_title=title, breadcrumbs=_crumbs(grant))


@bp.route("/years/<int:fy>/lines")
@requires(C.VIEW_FINANCE)
def lines(fy: int):
    grant = queries.get_grant_year(fy)
    rows = queries.lines_of(grant)

    total = sum((line.planned for line in rows), 0)
    return render_template("finance/lines.html", grant=grant, lines=rows, total=total,
                           unallocated=rules.unallocated(grant.allocation, [line.planned for line in rows]),
                           page_title=f"Budget lines {grant.label}", breadcrumbs=_crumbs(grant))


@bp.route("/years/<int:fy>/lines/new", methods=["GET", "POST"], defaults={"line_id": None})
@bp.route("/years/<int:fy>/lines/<int:line_id>/edit", methods=["GET", "POST"])
@requires(C.MANAGE_FINANCE)
def line_form(fy: int, line_id: int | None):
    grant = queries.get_grant_year(fy)
    line = queries.get_line(grant, line_id) if line_id else None
    form = LineForm(obj=line)
    form.programme_id.choices = [("", "No programme")] + queries.programme_choices()
    if request.method == "GET" and line:
        form.line_type.data = line.line_type.value
    if form.validate_on_submit():
        replay = None if line else idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            if line is None:
                idempotency.finish_form(form, current_user, url_for("finance.lines", fy=grant.fy))
            services.save_line(current_user, grant, name=form.name.data, line_type=LineType(form.line_type.data),
                               planned=form.planned.data, programme_id=form.programme_id.data, line=line)
            db.session.commit()
            flash("Budget line saved.", "success")
            return redirect(url_for("finance.lines", fy=grant.fy))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("finance/form.html", form=form, grant=grant,
                           page_title="Edit budget line" if line else "Add a budget line",
                           breadcrumbs=_crumbs(grant, ("Budget lines", url_for("finance.lines", fy=grant.fy))))


# --- spend --------------------------------------------------------------------------------------


@bp.route("/years/<int:fy>/spend")
@requires(C.VIEW_FINANCE)
def spend(fy: int):
    grant = queries.get_grant_year(fy)
    line_id = id_arg("line")
    quarter = id_arg("quarter")
    quarter = quarter if quarter in (1, 2, 3, 4) else None
    page = db.paginate(queries.expenditures(grant, line_id=line_id, quarter=quarter), page=page_arg(),
                       per_page=current_app.config["PER_PAGE"] * 2, error_out=False)
    totals = queries.expenditure_totals(grant, line_id=line_id, quarter=quarter)
    return render_template("finance/spend.html", grant=grant, page=page, totals=totals, lines=queries.lines_of(grant),
                           line_id=line_id, quarter=quarter, page_title=f"Spend {grant.label}",
                           breadcrumbs=_crumbs(grant))


def _spend_choices(grant, form):
    lines_ = queries.lines_of(grant)
    form.line_id.choices = [(line.id, line.name) for line in lines_]
    years = [g for g in db.session.execute(queries.grant_years()).scalars() if g.fy <= grant.fy]
    form.funded_by.choices = [(g.id, f"{g.label} grant") for g in years]
    return lines_, years


def _conflict(exc: ConflictError, endpoint: str, **values):
    """Start again from what is saved now: never a silent overwrite."""
    db.session.rollback()
    flash(exc.message, "conflict")
    return redirect(url_for(endpoint, **values))


@bp.route("/years/<int:fy>/spend/new", methods=["GET", "POST"])
@requires(C.MANAGE_FINANCE)
def spend_form(fy: int):
    grant = queries.get_grant_year(fy)
    form = SpendForm()
    del form.version
    lines_, years = _spend_choices(grant, form)
    if request.method == "GET":
        form.funded_by.data = grant.id
        form.line_id.data = id_arg("line")
    if not lines_:
        flash(f"Add the {grant.label} budget lines before recording spend.", "info")
        return redirect(url_for("finance.lines", fy=grant.fy))
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)  # a double tap lands on the first one's result
        if replay is not None:
            return replay
        try:
            line = queries.get_line(grant, form.line_id.data)
            funded_by = next(g for g in years if g.id == form.funded_by.data)
            entry = services.record_expenditure(
                current_user, line, incurred_on=form.incurred_on.data, amount=form.amount.data,
                kind=SpendKind(form.kind.data), description=form.description.data, funded_by=funded_by)
            location = (url_for("finance.spend_form", fy=grant.fy, line=line.id) if request.form.get("another")
                        else url_for("finance.spend", fy=grant.fy))
            idempotency.finish_form(form, current_user, location)
            db.session.commit()
            flash(f"{entry.kind.label} spend of {format_money(entry.amount)} on {line.name} saved "
                  f"({quarter_label(entry.fy, entry.quarter)}).", "success")
            return redirect(location)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("finance/spend_form.html", form=form, grant=grant, page_title="Record spend",
                           breadcrumbs=_crumbs(grant, ("Spend", url_for("finance.spend", fy=grant.fy))))


@bp.route("/years/<int:fy>/spend/<int:expenditure_id>/edit", methods=["GET", "POST"])
@requires(C.MANAGE_FINANCE)
def spend_edit(fy: int, expenditure_id: int):
    grant = queries.get_grant_year(fy)
    entry = queries.get_expenditure(grant, expenditure_id)
    if entry.line.grant_year_id != grant.id:  # a later year's line paid for by this grant: edit it there
        return redirect(url_for("finance.spend_edit", fy=entry.line.grant_year.fy, expenditure_id=entry.id))
    form = SpendForm(obj=entry)
    form.submit.label.text = "Save changes"
    _, years = _spend_choices(grant, form)
    if request.method == "GET":
        form.line_id.data, form.funded_by.data = entry.line_id, entry.funded_by_id
        form.kind.data, form.version.data = entry.kind.value, entry.version_id
    if form.validate_on_submit():
        try:
            line = queries.get_line(grant, form.line_id.data)
            funded_by = next(g for g in years if g.id == form.funded_by.data)
            services.update_expenditure(
                current_user, entry, line=line, incurred_on=form.incurred_on.data, amount=form.amount.data,
                kind=SpendKind(form.kind.data), description=form.description.data, funded_by=funded_by,
                version=form.version.data)
            db.session.commit()
            flash(f"Spend entry changed: {entry.kind.label.lower()} {format_money(entry.amount)} on {line.name}, "
                  f"{entry.incurred_on:%-d %B %Y} ({quarter_label(entry.fy, entry.quarter)}).", "success")
            return redirect(url_for("finance.spend", fy=grant.fy))
        except ConflictError as exc:
            return _conflict(exc, "finance.spend_edit", fy=grant.fy, expenditure_id=expenditure_id)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("finance/spend_form.html", form=form, grant=grant, entry=entry,
                           page_title="Change a spend entry",
                           breadcrumbs=_crumbs(grant, ("Spend", url_for("finance.spend", fy=grant.fy))))


@bp.route("/years/<int:fy>/spend/<int:expenditure_id>/delete", methods=["GET", "POST"])
@requires(C.MANAGE_FINANCE)
def spend_delete(fy: int, expenditure_id: int):
    grant = queries.get_grant_year(fy)
    entry = queries.get_expenditure(grant, expenditure_id)
    if request.method == "GET":  # a deletion is confirmed on its own page, showing what will go
        return render_template("finance/spend_delete.html", grant=grant, entry=entry, quarter_label=quarter_label,
                               page_title="Delete a spend entry",
                               breadcrumbs=_crumbs(grant, ("Spend", url_for("finance.spend", fy=grant.fy))))
    try:
        services.delete_expenditure(current_user, entry, version=request.form.get("version"))
        db.session.commit()
        flash("The spend entry was deleted. The audit trail keeps a record of it.", "success")
    except DomainError as exc:  # a locked quarter, or someone changed it meanwhile
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("finance.spend", fy=grant.fy))


@bp.route("/years/<int:fy>/ledger", methods=["GET", "POST"])
@requires(C.MANAGE_FINANCE)
def ledger_upload(fy: int):
    grant = queries.get_grant_year(fy)
    form = LedgerForm()
    form.quarter.choices = [(q, quarter_label(grant.fy, q)) for q in (1, 2, 3, 4)]
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = ledger.import_ledger(current_user, grant, form.quarter.data, upload.filename or "ledger",
                                          upload.read(ledger.MAX_BYTES + 1))
            if result.ok:
                db.session.commit()
                if result.added:
                    flash(f"{result.added} rows added ({format_money(result.total)}); {result.already_imported} were "
                          "already imported and were skipped.", "success")
                else:
                    # A re-upload of rows already in Waypoint changes nothing: say so, not "Success".
                    flash(f"Nothing was added: all {result.already_imported} rows of this file were already "
                          "imported. Check you chose the right file and quarter.", "info")
                return redirect(url_for("finance.spend", fy=grant.fy, quarter=form.quarter.data))
            db.session.rollback()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("finance/ledger.html", form=form, grant=grant, result=result,
                           page_title="Upload a quarter's ledger",
                           breadcrumbs=_crumbs(grant, ("Spend", url_for("finance.spend", fy=grant.fy))))


@bp.route("/ledger-template.csv")
@requires(C.VIEW_FINANCE)
def ledger_template():
    body = ("date,line,amount,type,description,reference,funded by\r\n"
            "15/07/2024,Hospital Navigators,10416.67,actual,Berkshire Youth Navigators invoice 2291,INV-2291,\r\n")
    audit.record_export(current_user, "ledger_template", "csv", rows=1)
    db.session.commit()
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="ledger-template.csv"'})


# --- match funding ------------------------------------------------------------------------------


@bp.route("/years/<int:fy>/match")
@requires(C.VIEW_FINANCE)
def match(fy: int):
    grant = queries.get_grant_year(fy)
    f = figures.year_figures(grant, _quarter_arg(figures.latest_actual_quarter(grant)))
    return render_template("finance/match.html", grant=grant, f=f, page_title=f"Match funding {grant.label}",
                           breadcrumbs=_crumbs(grant), MatchStatus=MatchStatus)


@bp.route("/years/<int:fy>/match/new", methods=["GET", "POST"], defaults={"contribution_id": None})
@bp.route("/years/<int:fy>/match/<int:contribution_id>/edit", methods=["GET", "POST"])
@requires(C.MANAGE_FINANCE)
def contribution_form(fy: int, contribution_id: int | None):
    grant = queries.get_grant_year(fy)
    contribution = queries.get_contribution(grant, contribution_id) if contribution_id else None
    form = ContributionForm(obj=contribution)
    if request.method == "GET" and contribution:
        form.kind.data, form.status.data = contribution.kind.value, contribution.status.value
        form.version.data = contribution.version_id
    if form.validate_on_submit():
        replay = None if contribution else idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            if contribution is None:
                idempotency.finish_form(form, current_user, url_for("finance.match", fy=grant.fy))
            services.save_contribution(
                current_user, grant, contributor=form.contributor.data, kind=MatchKind(form.kind.data),
                basis=form.basis.data, amount=form.amount.data, received_on=form.received_on.data,
                status=MatchStatus(form.status.data), evidence_note=form.evidence_note.data,
                contribution=contribution, version=form.version.data)
            db.session.commit()
            flash("Match contribution saved.", "success")
            return redirect(url_for("finance.match", fy=grant.fy))
        except ConflictError as exc:
            return _conflict(exc, "finance.contribution_form", fy=grant.fy, contribution_id=contribution_id)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("finance/form.html", form=form, grant=grant,
                           page_title="Edit match contribution" if contribution else "Add a match contribution",
                           intro="Secondments of staff are recorded as secondments, so their in-kind value is "
                                 "worked out from the days seconded in the year.",
                           breadcrumbs=_crumbs(grant, ("Match funding", url_for("finance.match", fy=grant.fy))))


@bp.route("/years/<int:fy>/secondments/new", methods=["GET", "POST"], defaults={"secondment_id": None})
@bp.route("/years/<int:fy>/secondments/<int:secondment_id>/edit", methods=["GET", "POST"])
@requires(C.MANAGE_FINANCE)
def secondment_form(fy: int, secondment_id: int | None):
    grant = queries.get_grant_year(fy)
    secondment = queries.get_secondment(secondment_id) if secondment_id else None
    form = SecondmentForm(obj=secondment)
    if request.method == "GET" and secondment:
        form.status.data, form.version.data = secondment.status.value, secondment.version_id
    if form.validate_on_submit():
        replay = None if secondment else idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            if secondment is None:
                idempotency.finish_form(form, current_user, url_for("finance.match", fy=grant.fy))
            services.save_secondment(
                current_user, contributor=form.contributor.data, role=form.role.data, fte=form.fte.data,
                starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                annual_loaded_cost=form.annual_loaded_cost.data, status=MatchStatus(form.status.data),
                evidence_note=form.evidence_note.data, secondment=secondment, version=form.version.data)
            db.session.commit()
            flash("Secondment saved.", "success")
            return redirect(url_for("finance.match", fy=grant.fy))
        except ConflictError as exc:
            return _conflict(exc, "finance.secondment_form", fy=grant.fy, secondment_id=secondment_id)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("finance/form.html", form=form, grant=grant,
                           page_title="Edit secondment" if secondment else "Add a secondment",
                           intro="In-kind value = annual loaded cost × FTE × days seconded in the year ÷ days in "
                                 "the year. A secondment spanning two years counts in each for its days.",
                           breadcrumbs=_crumbs(grant, ("Match funding", url_for("finance.match", fy=grant.fy))))


# --- reports ------------------------------------------------------------------------------------


def build_report(name: str, fy: int, quarter: int | None):
    """Finance's own reports (grant spend, match funding, sections A–C of the return) by name."""
    if name == "grant-spend":
        return build_grant_spend(fy, quarter)
    if name == "match-funding":
        return build_match_funding(fy, quarter)
    return build_return_finance(fy, quarter)


def report_response(fy: int, name: str, build=build_report):
    """A report as a page (HTML) or a download (?format=pdf|xlsx|csv|json), for the grant year ``fy``.

    ``build(name, fy, quarter)`` makes the Report; the reports domain passes its own builder for the whole
    quarterly return, which finance may download (app/reports/views.py registers that route here)."""
    grant = queries.get_grant_year(fy)
    fmt = request.args.get("format", "html")
    if fmt not in FORMATS:
        abort(404)
    quarter = _quarter_arg(figures.latest_actual_quarter(grant))
    built = build(name, grant.fy, quarter)
    if fmt != "html":  # downloads leave the system, so they are audited as exports (SECURITY.md §7)
        audit.record_export(current_user, f"finance.{name}", fmt,
                            detail={"report": name, "fy": grant.label, "quarter": quarter})
        db.session.commit()
    if fmt == "html":
        return render_template("finance/report.html", report=report_for_html(built), grant=grant, name=name,
                               quarter=quarter, page_title=built.title, formats=FORMATS[1:],
                               endpoint=f"finance.{name.replace('-', '_')}_report", breadcrumbs=_crumbs(grant))
    data, mimetype, extension = render(built, fmt)
    filename = f"{name}-{grant.label}-q{quarter}.{extension}"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/years/<int:fy>/reports/grant-spend")
@requires(C.VIEW_FINANCE)
def grant_spend_report(fy: int):
    return report_response(fy, "grant-spend")


@bp.route("/years/<int:fy>/reports/match-funding")
@requires(C.VIEW_FINANCE)
def match_funding_report(fy: int):
    return report_response(fy, "match-funding")


@bp.route("/years/<int:fy>/reports/return-finance")
@requires(C.VIEW_FINANCE)
def return_finance_report(fy: int):
    return report_response(fy, "return-finance")
