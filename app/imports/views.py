"""Import pages: upload a file, match its columns and its words once (saved per organisation), check it (dry
run), import it. The programme office may import for any provider; a provider manager for their own."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

import io

from app import audit, idempotency
from app.auth.decorators import personal_data, requires
from app.auth.roles import Capability as C
from app.db import db
from app.errors import DomainError
from app.imports import bp, fields as F, progress, services
from app.imports.forms import UploadForm
from app.imports.mapping import Setup
from app.imports.models import RunStatus
from app.imports.template_file import template_csv, template_xlsx
from app.referrals.names import fold

NOT_IN_FILE = ""


def _run_or_404(run_id: int):
    run = services.run_for(current_user, run_id)
    if run is None:
        abort(404)
    return run


def _crumbs(run=None) -> list[dict]:
    crumbs = [{"text": "Import casework", "href": url_for("imports.index")}]
    if run is not None:
        crumbs.append({"text": run.filename, "href": url_for("imports.run", run_id=run.id)})
    return crumbs


@bp.route("/", methods=["GET", "POST"])
@requires(C.IMPORT_CASEWORK)
def index():
    organisations = services.organisations_for(current_user)
    form = UploadForm()
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            org_id = int(request.form.get("organisation_id") or 0)
        except ValueError:
            org_id = 0
        organisation = services.organisation_for(current_user, org_id)
        if organisation is None:
            error = ("organisation_id", "Choose the organisation whose casework this is")
        elif upload is None or not upload.filename:
            error = ("file", "Choose the file to upload")
        else:
            # Claimed first, in the run's own transaction: a second post of the same form (a double click) waits
            # for the first and lands on the run it made, rather than making another.
            replay = idempotency.claim_form(form, current_user)
            if replay is not None:
                return replay
            try:
                run = services.start_run(current_user, organisation, upload.filename, upload.read())
                location = url_for("imports.columns", run_id=run.id)
                idempotency.finish_form(form, current_user, location)
                db.session.commit()
                return redirect(location)
            except DomainError as exc:
                db.session.rollback()
                error = ("file", exc.message)
    runs = services.recent_runs(current_user)
    return render_template("imports/index.html", organisations=organisations, runs=runs, error=error, form=form,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024),
                           page_title="Import casework")


@bp.route("/template.csv")
@requires(C.IMPORT_CASEWORK)
def template_csv_file():
    audit.record_export(current_user, "import_template", "csv")
    db.session.commit()
    return send_file(io.BytesIO(template_csv()), mimetype="text/csv", as_attachment=True,
                     download_name="waypoint-casework-template.csv")


@bp.route("/template.xlsx")
@requires(C.IMPORT_CASEWORK)
def template_xlsx_file():
    """With one organisation in reach, the guidance sheet lists its own sites and outcomes."""
    organisations = services.organisations_for(current_user)
    setup = Setup.load(organisations[0]) if len(organisations) == 1 else None
    data = template_xlsx(setup)
    audit.record_export(current_user, "import_template", "xlsx")
    db.session.commit()
    return send_file(io.BytesIO(data), as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     download_name="waypoint-casework-template.xlsx")


@bp.route("/<int:run_id>/columns", methods=["GET", "POST"])
@requires(C.IMPORT_CASEWORK)
def columns(run_id: int):
    run = _run_or_404(run_id)
    mapping = services.mapping_of(run)
    headers = [h for h in run.headers if h]
    errors = {}
    if request.method == "POST":
        chosen = {f.key: request.form.get(f.key, NOT_IN_FILE) for f in F.FIELDS}
        chosen = {k: v for k, v in chosen.items() if v in headers}
        twice = {}
        for key, heading in chosen.items():
            twice.setdefault(heading, []).append(key)
        for heading, keys in twice.items():
            if len(keys) > 1:
                for key in keys[1:]:
                    errors[key] = f'"{heading}" is already chosen for {F.BY_KEY[keys[0]].label.lower()}'
        for f in F.FIELDS:
            if f.required and f.key not in chosen and f.key not in F.CATEGORY_FIELDS:
                errors[f.key] = f"Choose the column that holds the {f.label.lower()}"
        if not errors:
            services.save_mapping(current_user, run.organisation, columns=chosen)
            db.session.commit()
            return redirect(url_for("imports.values", run_id=run.id))
        mapping.columns = chosen
    groups = [(g, [f for f in F.FIELDS if f.group == g]) for g in F.GROUPS]
    return render_template("imports/columns.html", run=run, groups=groups, headers=headers, mapping=mapping,
                           errors=errors, page_title="Match the columns", breadcrumbs=_crumbs(run))


@bp.route("/<int:run_id>/values", methods=["GET", "POST"])
@requires(C.IMPORT_CASEWORK)
@personal_data
def values(run_id: int):
    run = _run_or_404(run_id)
    mapping = services.mapping_of(run)
    setup = Setup.load(run.organisation)
    try:
        words = services.unmatched_values(run)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("imports.index"))
    # A needed category can be given once for every row (or for the rows where its cell is blank).
    needed = [f for f in F.FIELDS if f.kind == F.CATEGORY and f.required]
    errors = {}
    if request.method == "POST":
        chosen = {key: {fold(w): request.form.get(f"v-{key}-{i}", "") for i, w in enumerate(found)}
                  for key, found in words.items()}
        defaults = {f.key: request.form.get(f"default-{f.key}", "") for f in needed}
        for f in needed:
            if f.key not in mapping.columns and not defaults[f.key]:
                errors[f"default-{f.key}"] = f"The file has no {f.label.lower()} column: choose one for every row"
        if not errors:
            services.save_mapping(current_user, run.organisation, values=chosen, defaults=defaults)
            db.session.commit()
            return redirect(url_for("imports.run", run_id=run.id))
    fields = [(F.BY_KEY[k], list(found.items()), setup.choices(k)) for k, found in words.items()]
    return render_template("imports/values.html", run=run, fields=fields, mapping=mapping, errors=errors,
                           needed=[(f, setup.choices(f.key), f.key in mapping.columns) for f in needed], fold=fold,
                           page_title="Match the values", breadcrumbs=_crumbs(run))


@bp.route("/<int:run_id>")
@requires(C.IMPORT_CASEWORK)
@personal_data
def run(run_id: int):
    run = _run_or_404(run_id)
    progress.interrupted(run)  # the server stopped while it was being worked on: say so (nothing was saved)
    state = progress.state_of(run.id)
    if state and state.get("running"):
        return render_template("imports/progress.html", run=run, state=state, page_title="Working on the file",
                               breadcrumbs=_crumbs(run)), 200, {"Refresh": "2"}
    return render_template("imports/run.html", run=run, state=state, RunStatus=RunStatus, page_title=run.filename,
                           breadcrumbs=_crumbs(run))


def _start(run_id: int, job: str):
    run = _run_or_404(run_id)
    if job == "import" and run.status is RunStatus.IMPORTED:
        flash("This file has already been imported.", "error")
        return redirect(url_for("imports.run", run_id=run.id))
    try:
        progress.start(current_app._get_current_object(), current_user.id, run.id, job)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("imports.run", run_id=run.id))


@bp.route("/<int:run_id>/check", methods=["POST"])
@requires(C.IMPORT_CASEWORK)
def check(run_id: int):
    return _start(run_id, "check")


@bp.route("/<int:run_id>/import", methods=["POST"])
@requires(C.IMPORT_CASEWORK)
def do_import(run_id: int):
    return _start(run_id, "import")
