from __future__ import annotations

from datetime import timedelta

from flask import render_template, request
from flask_login import current_user

from app.auth.decorators import personal_data, requires
from app.auth.roles import Capability as C
from app.forms import id_arg, page_arg
from app.referrals import queries as referral_queries
from app.todo import bp, first_contact, items as todo_items, queries
from app.todo.services import todo_for, uk_now

PAGE_SIZE = 50
RECENT_DAYS = 28


@bp.route("/todo")
@requires(C.VIEW_CASEWORK)
@personal_data
def todo():
    now = uk_now()
    manager = current_user.can(C.VIEW_ORG_CASELOAD)
    mine_only = not manager or request.args.get("mine") == "1"
    worker_id, site_id = (None, None) if mine_only else (id_arg("worker_id"), id_arg("site_id"))
    found, counts = todo_for(current_user, now, mine_only=mine_only, worker_id=worker_id, site_id=site_id)
    ctx = {"items": found, "counts": counts, "now": now, "manager": manager, "mine_only": mine_only,
           "filters": {"worker_id": worker_id, "site_id": site_id}, "page_title": "To do"}
    page = page_arg()
    ctx["shown"] = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    ctx["page"], ctx["pages"] = page, max(1, -(-len(found) // PAGE_SIZE))
    ctx["recent_days"] = RECENT_DAYS
    # First contacts written down offline that arrived later: the clock counts when they happened (issue 14).
    ctx["offline_first"] = first_contact.from_rows(queries.offline_first_contacts(
        current_user, now.date() - timedelta(days=RECENT_DAYS), mine_only=mine_only, worker_id=worker_id,
        site_id=site_id))
    if manager and not mine_only:
        ctx["by_worker"], ctx["by_site"] = todo_items.tallies(found)
        ctx["breaches"] = todo_items.breaches_now(found)
        recent = queries.recent_first_contacts(current_user, now.date() - timedelta(days=RECENT_DAYS),
                                               mine_only=False, worker_id=worker_id, site_id=site_id)
        ctx["clock_record"] = todo_items.recent_clock_record(recent)
        ctx["workers"] = referral_queries.worker_filter_choices(current_user)
        ctx["sites"] = [(s.id, f"{s.programme} — {s.name}")
                        for s in referral_queries.site_choices(current_user, active_only=False)]
    return render_template("todo/todo.html", **ctx)
