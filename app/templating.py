"""Jinja filters and the role's navigation, computed from capabilities (never role names)."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo
from decimal import ROUND_HALF_UP, Decimal

from flask import Flask, request, url_for
from flask_login import current_user

from app.auth.roles import Capability as C
from app.documents import formatting as documents_formatting

UK = ZoneInfo("Europe/London")

# (label, endpoint, capability) — the first matching capability shows the item.
NAVIGATION = [
    ("Home", "main.home", C.VIEW_HOME),
    ("My caseload", "referrals.my_caseload", C.LOG_CONTACT),
    ("Offline", "offline.caseload", C.LOG_CONTACT),
    ("Caseload", "referrals.org_caseload", C.VIEW_ORG_CASELOAD),
    ("People", "referrals.people", C.VIEW_CASEWORK),
    ("Programmes", "programmes.index", C.VIEW_PROGRAMMES),
    ("Targets", "reports.targets", C.VIEW_TARGETS),
    ("Returns", "reports.returns", C.MANAGE_RETURNS),
    ("Import", "imports.index", C.IMPORT_CASEWORK),
    ("Finance", "finance.dashboard", C.VIEW_FINANCE),
    ("Users", "admin.users", C.MANAGE_USERS),
    ("Audit", "admin.audit", C.VIEW_AUDIT),
]


def format_date(value, fmt: str = "%-d %b %Y") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, (date, datetime)):
        return value.strftime(fmt)
    return str(value)


def format_datetime(value) -> str:
    return format_date(value, "%-d %b %Y %H:%M")


def format_utc_datetime(value) -> str:
    """A bookkeeping moment stored as naive UTC (created_at, recorded_offline_at), shown in UK time."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC).astimezone(UK).replace(tzinfo=None)
    return format_datetime(value)


# Every page formats money and percentages through these filters, which use the document engine's own
# formatting (the PDF, XLSX and HTML of a report read the same): ``money`` (£1,510,000 / £15,041.10),
# ``percent`` for a fraction (0.551 → 55.1%) and ``points`` for a figure already in percentage points
# (a match requirement of 20, 20.0 or Decimal("2E+1") → 20%).


def format_money(value) -> str:
    if value is None or value == "":
        return "—"
    return documents_formatting.format_money(Decimal(str(value)))


def format_percent(value, places: int = 1) -> str:
    if value is None or value == "":
        return "—"
    pct = (Decimal(str(value)) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{abs(pct) if pct == 0 else pct:,.{places}f}%"  # computed figures: always `places` decimals


def format_points(value, places: int = 1) -> str:
    return documents_formatting.format_points(value, places)


# Audit actions as a person reads them; an action not listed here is still shown in words
# ("budget_line.updated" → "Budget line updated").
ACTION_LABELS = {
    "access.denied": "Refused: no access", "access.not_found": "Refused: record not found or not theirs",
    "auth.signed_in": "Signed in", "auth.signed_out": "Signed out", "auth.sign_in_failed": "Sign-in failed",
    "auth.locked_out": "Account locked after failed sign-ins", "auth.password_accepted": "Password accepted",
    "auth.two_factor_enrolled": "Second factor set up", "auth.two_factor_failed": "Wrong security code",
    "account.password_changed": "Password changed", "account.two_factor_enrolled": "Second factor set up",
    "account.two_factor_removed": "Second factor removed", "admin.user_created": "Account created",
    "admin.user_disabled": "Account disabled", "admin.user_enabled": "Account enabled",
    "admin.user_unlocked": "Account unlocked", "admin.two_factor_reset": "Second factor reset",
    "admin.organisation_created": "Organisation created", "api.request": "API request", "api.refused": "API refused",
    "people.searched": "Searched for people", "person.viewed": "Viewed a person", "person.created": "Person added",
    "person.updated": "Person's details changed", "person.merged": "Records merged (kept)",
    "person.merged_away": "Records merged (folded in)", "personal_data.viewed": "Viewed personal data",
    "referral.viewed": "Viewed a case", "referral.submitted": "Referral recorded",
    "referral.updated": "Referral details changed", "referral.status_changed": "Case status changed",
    "referral.reassigned": "Case reassigned", "referral.closed": "Case closed", "referral.reopened": "Case reopened",
    "contact.logged": "Contact logged", "outcome.recorded": "Outcome recorded", "measure.recorded": "Measure recorded",
    "evaluation.exported": "Evaluation export downloaded", "targets.people.viewed": "Viewed people behind a target",
    "return.drafted": "Return draft saved", "return.submitted": "Return submitted", "return.locked": "Return locked",
    "return.exceptions.viewed": "Viewed data-quality exceptions",
    "return.exceptions_accepted": "Data-quality exceptions accepted", "privacy.erased": "Personal data erased",
    "privacy.anonymised": "Personal data anonymised", "privacy.restricted": "Processing restricted",
    "privacy.restriction_lifted": "Restriction lifted", "import.completed": "Casework imported",
    "import.checked": "Import checked (dry run)", "import.uploaded": "Import file uploaded",
}


def action_label(code: str | None) -> str:
    if not code:
        return "—"
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    words = code.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def format_number(value) -> str:
    if value is None:
        return "—"
    return f"{value:,}"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=format_date, datetime=format_datetime, utc_datetime=format_utc_datetime, money=format_money,
        percent=format_percent, points=format_points, number=format_number, action_label=action_label,
    )

    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions

    @app.context_processor
    def navigation():
        items = []
        if current_user and current_user.is_authenticated:
            for label, endpoint, cap in NAVIGATION:
                if endpoint in app.view_functions and current_user.can(cap):
                    items.append({"text": label, "href": url_for(endpoint), "active": False})
            # The item whose address is the longest prefix of this page's is the section we are in.
            path = request.path.rstrip("/") + "/"
            best = max((i for i in items if i["href"] != "/" and path.startswith(i["href"].rstrip("/") + "/")),
                       key=lambda i: len(i["href"]), default=None)
            if best is None and request.path == "/":
                best = next((i for i in items if i["href"] == "/"), None)
            if best is not None:
                best["active"] = True
        return {"nav_items": items, "service_name": app.config["SERVICE_NAME"], "Capability": C}
