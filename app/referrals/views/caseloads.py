"""Caseloads (mine; the organisation's), data quality, the merge queue and the evaluator export."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import audit
from app.auth.decorators import personal_data, requires
from app.auth.policies import get_person_for
from app.auth.roles import Capability as C
from app.db import db
from app.errors import DomainError
from app.forms import local_path, parse_id
from app.referrals import bp, export, queries, services
from app.referrals.followups import hours_between, median, needs_doing
from app.referrals.forms import AssignForm, MergeForm
from app.referrals.models import TrialArm
from app.referrals.transitions import ReferralStatus
from app.referrals.views._helpers import fail, int_arg, paginate_rows
from app.referrals.duplicates import likely_same
from app.todo.services import todo_for, uk_now

NEW_DAYS = 28  # "new" referrals show hours to first contact


def _decorate(rows, today: date) -> list[dict]:
    out = []
    for r in rows:
        out.append({
            "row": r,
            "days_since": (today - r.last_contact_at.date()).days if r.last_contact_at else None,
            "hours_to_first": hours_between(r.referred_at, r.first_contact_at),
            "is_new": (today - r.referred_on).days <= NEW_DAYS,
            "flags": needs_doing(last_contact_at=r.last_contact_at, today=today, referred_on=r.referred_on,
                                 in_trial=r.trial_arm is not TrialArm.NONE, last_measure_on=r.last_measure_on),
        })
    return out


@bp.route("/mine")
@requires(C.LOG_CONTACT)
@personal_data
def my_caseload():
    today = date.today()
    mine = queries.my_caseload(current_user, today)
    page = paginate_rows(mine.rows, count=mine.count, values=mine.values)
    rows = _decorate(page.items, today)
    counts = {"open": 0, "no_contact": 0, "stale": 0, "follow_up": 0}
    for r in queries.my_caseload_summary(current_user, today):
        counts["open"] += 1
        flags = needs_doing(last_contact_at=r.last_contact_at, today=today, referred_on=r.referred_on,
                            in_trial=r.trial_arm is not TrialArm.NONE, last_measure_on=r.last_measure_on)
        counts["no_contact"] += any(f == "No contact yet" for f in flags)
        counts["stale"] += any(f.startswith("No contact in") for f in flags)
        counts["follow_up"] += any("follow-up due" in f for f in flags)
    found, todo_counts = todo_for(current_user, uk_now(), mine_only=True)  # the page leads with what is due
    return render_template("referrals/my_caseload.html", page=page, rows=rows, page_title="My caseload",
                           counts=counts, todo={"items": found[:8], "counts": todo_counts, "manager": False})


def _filters() -> dict:
    status = request.args.get("status") or "open"
    valid = {"open", "all"} | {s.value for s in ReferralStatus}
    return {"site_id": int_arg("site_id"), "worker_id": int_arg("worker_id"),
            "status": status if status in valid else "open", "programme_id": int_arg("programme_id")}


@bp.route("/caseload")
@requires(C.VIEW_ORG_CASELOAD)
@personal_data
def org_caseload():
    today = date.today()
    f = _filters()
    stmt = queries.org_caseload(current_user, site_id=f["site_id"], worker_id=f["worker_id"],
                                status=None if f["status"] == "all" else f["status"], programme_id=f["programme_id"])
    page = paginate_rows(stmt, count=queries.caseload_count(stmt))
    since = today - timedelta(days=365)
    counts, times = queries.site_figures(current_user, since=since, programme_id=f["programme_id"],
                                         site_id=f["site_id"])
    hours_by_site: dict[int, list[float]] = {}
    for t in times:
        hours_by_site.setdefault(t.site_id, []).append(hours_between(t.referred_at, t.first_contact_at))
    figures = [{"site": c.name, "programme": c.programme, "referred": c.referred, "reached": c.reached,
                "rate": (c.reached / c.referred) if c.referred else None,
                "median_hours": median(hours_by_site.get(c.id, []))} for c in counts]
    can_reassign = current_user.can(C.REASSIGN_REFERRAL)
    assign = AssignForm(prefix="bulk")
    if can_reassign:
        assign.worker_id.choices = [(0, "Choose a worker")] + queries.worker_choices(current_user)
    return render_template(
        "referrals/org_caseload.html", page=page, rows=_decorate(page.items, today), filters=f, figures=figures,
        since=since, assign=assign, can_reassign=can_reassign, page_title="Caseload",
        sites=[(s.id, f"{s.programme} — {s.name}") for s in queries.site_choices(current_user, active_only=False)],
        workers=queries.worker_filter_choices(current_user), programmes=queries.programme_choices(current_user),
        statuses=[("open", "All open"), ("all", "Any status")] + ReferralStatus.choices())


@bp.route("/caseload/reassign", methods=["POST"])
@requires(C.REASSIGN_REFERRAL)
def bulk_reassign():
    form = AssignForm(prefix="bulk")
    form.worker_id.choices = [(0, "Choose a worker")] + queries.worker_choices(current_user)
    back = local_path(request.form.get("next")) or url_for("referrals.org_caseload")
    ids = [i for i in (parse_id(v) for v in request.form.getlist("referral_ids")) if i is not None]
    if not form.validate_on_submit():
        flash("Choose who to reassign them to.", "warning")
        return redirect(back)
    try:
        if not ids:
            raise DomainError("Tick at least one referral to reassign")
        if not form.worker_id.data:
            raise DomainError("Choose who to reassign them to")
        moved = services.reassign_referrals(current_user, ids, form.worker_id.data)
        db.session.commit()
        flash(f"{moved} referral{'s' if moved != 1 else ''} reassigned.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    return redirect(back)


@bp.route("/data-quality")
@requires(C.VIEW_ORG_CASELOAD)
@personal_data
def data_quality():
    lists = queries.data_quality(current_user, date.today())
    return render_template("referrals/data_quality.html", lists=lists, page_title="Data quality",
                           breadcrumbs=[{"text": "Caseload", "href": url_for("referrals.org_caseload")}])


@bp.route("/merge")
@requires(C.MERGE_PEOPLE)
@personal_data
def merge_queue():

    pairs = []
    for a, b in queries.merge_candidates(current_user):
        why = likely_same(*({"name_key": p.name_key, "family_name": p.family_name, "dob": p.date_of_birth,
                              "nhs": p.nhs_number} for p in (a, b)))
        pairs.append((a, b, why or "Similar details"))
    return render_template("referrals/merge_queue.html", pairs=pairs, page_title="Possible duplicates")


@bp.route("/merge/<int:person_id>/<int:other_person_id>", methods=["GET", "POST"])
@requires(C.MERGE_PEOPLE)
@personal_data
def merge(person_id: int, other_person_id: int):
    first = get_person_for(current_user, person_id)
    second = get_person_for(current_user, other_person_id)
    if first.id == second.id:
        flash("Choose two different records to compare.", "info")
        return redirect(url_for("referrals.merge_queue"))
    form = MergeForm()
    form.keep.choices = [(str(p.id), f"Keep {p.display_name} (record {p.id})") for p in (first, second)]
    referrals = {p.id: queries.person_referrals(current_user, p.id) for p in (first, second)}
    if request.method == "GET":
        # The more complete record is the one to keep, unless the merger says otherwise.
        form.keep.data = str(max((first, second), key=lambda p: (_completeness(p, referrals[p.id]), -p.id)).id)
        for p in (first, second):
            audit.record(current_user, "person.viewed", p, detail={"page": "merge"})
        db.session.commit()
    if form.validate_on_submit():
        keep, other = (first, second) if form.keep.data == str(first.id) else (second, first)
        if request.form.get("confirm") != "yes":
            # Nothing happens on the first press: show what the kept record will hold, and ask.
            return render_template("referrals/merge_confirm.html", form=form, keep=keep, other=other,
                                   result=_merged_view(keep, other), referrals=referrals,
                                   page_title="Check the merge before you confirm",
                                   breadcrumbs=[{"text": "Possible duplicates",
                                                 "href": url_for("referrals.merge_queue")}])
        try:
            services.merge_people(current_user, keep, other)
            doubled = queries.open_referrals_twice_to_a_programme(keep.id)
            db.session.commit()
            flash(f"Records merged. {other.display_name} (record {other.id}) now points to record {keep.id}.", "success")
            for programme, ids in doubled:
                flash(f"{keep.display_name} now has {len(ids)} open referrals to {programme} "
                      f"(cases {', '.join(str(i) for i in ids)}). A manager should check them and close the one "
                      "that is not needed.", "warning")
            return redirect(url_for("referrals.person", person_id=keep.id))
        except DomainError as exc:
            fail(form, exc)
    return render_template("referrals/merge.html", form=form, people=(first, second), referrals=referrals,
                           page_title="Compare and merge",
                           breadcrumbs=[{"text": "Possible duplicates", "href": url_for("referrals.merge_queue")}])


MERGE_FIELDS = [("Date of birth", "date_of_birth"), ("Estimated age", "estimated_age"), ("Sex", "sex"),
                ("Gender identity", "gender_identity"), ("Ethnicity", "ethnicity"), ("Home area", "home_area"),
                ("NHS number", "nhs_number"), ("Police reference", "police_reference")]


def _completeness(person, person_referrals) -> int:
    return sum(getattr(person, f) is not None for _, f in MERGE_FIELDS) + len(person_referrals)


def _merged_view(keep, other) -> list[tuple[str, str, str]]:
    """(label, value the kept record will hold, where it comes from) — as ``merge_people`` fills blanks."""
    out = [("Name", keep.display_name, f"record {keep.id}")]
    for label, f in MERGE_FIELDS:
        mine, theirs = getattr(keep, f), getattr(other, f)
        value, source = (mine, f"record {keep.id}") if mine is not None else (theirs, f"record {other.id}")
        if value is None:
            out.append((label, "Not recorded", "—"))
        else:
            text = getattr(value, "label", None) or (value.strftime("%-d %b %Y") if hasattr(value, "strftime")
                                                    else str(value))
            out.append((label, text, source))
    return out


@bp.route("/evaluation-export")
@requires(C.EXPORT_EVALUATION)
def evaluation_export():
    programmes = export.trial_programmes()
    programme_id, fmt = int_arg("programme_id"), request.args.get("format")
    error = None
    if programme_id or fmt:
        programme = next((p for p in programmes if p.id == programme_id), None)
        if programme is None:
            error = "Choose a programme that runs a trial"
        elif fmt not in ("csv", "xlsx"):
            error = "Choose CSV or Excel"
        else:
            data, mimetype, ext = export.evaluator_export(current_user, programme, fmt)
            db.session.commit()
            filename = f"evaluation-{programme.name.lower().replace(' ', '-')}-{date.today():%Y-%m-%d}.{ext}"
            return Response(data, mimetype=mimetype,
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return render_template("referrals/evaluation_export.html", programmes=programmes, error=error,
                           page_title="Evaluator export")


