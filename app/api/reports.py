"""/api/v1/targets and /api/v1/returns: aggregates only, for the roles that see them on the pages."""
from __future__ import annotations

from datetime import date

from flask import abort
from flask_login import current_user

from app import audit
from app.api.core import api_blueprint
from app.auth.decorators import requires
from app.auth.policies import visible_organisation_ids
from app.auth.roles import Capability as C
from app.db import db
from app.periods import fy_label, fy_of, quarter_label
from app.reports import dashboard, queries, services
from app.reports.schemas import ReturnArgs, ReturnDocumentSchema, TargetsArgs, TargetsSummarySchema

blp = api_blueprint("reports", "", "Targets summary and the quarterly return (aggregates only)")


@blp.route("/targets", methods=["GET"])
@requires(C.VIEW_TARGETS)
@blp.arguments(TargetsArgs, location="query")
@blp.response(200, TargetsSummarySchema)
def targets(args):
    """New people year to date against target, per programme and age band, as on the targets page
    (a provider manager sees their organisation's share)."""
    today = date.today()
    fy = args["fy"] or queries.latest_target_year(today) or fy_of(today)
    as_at = dashboard.default_as_at(fy, today)
    orgs = visible_organisation_ids(current_user)
    lines = dashboard.build(fy, as_at, orgs)
    return {"fy": fy, "fy_label": fy_label(fy), "as_at": as_at,
            "scope": "all organisations" if orgs is None else "your organisation",
            "programmes": [{"id": line.id, "name": line.name, "window_starts_on": line.window.starts_on,
                            "window_ends_on": line.window.ends_on,
                            "lines": [{"band": bl.band, "label": bl.label, "target": bl.target, "ytd": bl.ytd,
                                       "by_quarter": {f"q{q}": n for q, n in bl.by_quarter.items()},
                                       "expected": bl.expected, "status": bl.status} for bl in line.lines]}
                           for line in lines]}


@blp.route("/returns/<int:year>/<int:quarter>", methods=["GET"])
@requires(C.MANAGE_RETURNS)
@blp.arguments(ReturnArgs, location="query")
@blp.response(200, ReturnDocumentSchema)
def quarterly_return(args, year: int, quarter: int):
    """The quarterly return as JSON — a locked quarter from its snapshot. Audited as an export."""
    if not (1 <= quarter <= 4 and 2000 <= year <= 2100):
        abort(404)
    report = services.return_report(year, quarter, suppressed=args["suppressed"])
    audit.record_export(current_user, "quarterly_return", "json",
                        detail={"period": quarter_label(year, quarter), "suppressed": args["suppressed"], "api": True})
    db.session.commit()
    return report.to_dict()
