"""Finance use cases. Each takes the acting user, checks meaning, audits, flushes; never commits."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.auth.roles import Capability
from app.db import db
from app.errors import ConflictError, DomainError
from app.finance import rules
from app.finance.models import (
    BudgetLine, Expenditure, GrantYear, LineType, MatchContribution, MatchKind, MatchStatus, Secondment, SpendKind,
)
from app.periods import fy_bounds, fy_label, fy_quarter_of, quarter_bounds, quarter_label
from app.periods.locks import locked_quarters
from app.programmes.models import Programme
from app.finance.figures import secondment_by_quarter

MAX_MONEY = Decimal("9999999999.99")
PROGRAMME_LINE_TYPES = (LineType.INTERVENTION, LineType.EVALUATION)


def _require(actor) -> None:
    if not actor.can(Capability.MANAGE_FINANCE):
        raise DomainError("Your role cannot change finance records")


def check_money(value: Decimal | None, field: str, label: str, *, allow_zero: bool = True) -> Decimal:
    """Shape is the form's job; this is the rule every entry point shares (form, ledger, CLI)."""
    if value is None:
        raise DomainError(f"Enter the {label}", field)
    if value < 0:
        raise DomainError(f"The {label} cannot be negative", field)
    if value == 0 and not allow_zero:
        raise DomainError(f"The {label} must be more than £0", field)
    if value > MAX_MONEY:
        raise DomainError(f"The {label} must be less than £10 billion", field)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError(f"The {label} cannot have fractions of a penny", field)
    return value


CONFLICT = ("Someone else changed this entry while you were working on it. Your changes have not been saved. "
            "Check the entry as it is now and make your changes again.")


def check_version(obj, version) -> None:
    """The form carried the version it was loaded at; a different one now means someone else saved first."""
    if version in (None, ""):
        return
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ConflictError(CONFLICT) from None
    if version != obj.version_id:
        raise ConflictError(CONFLICT)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise ConflictError(CONFLICT) from None


# --- locked quarters ----------------------------------------------------------------------------
# Once the programme office locks a quarter's return it has gone to the Home Office: money dated in that
# quarter can no longer be added, changed or removed, or the figures would no longer match what was sent.


def _next_open(fy: int, quarter: int, locked: set[tuple[int, int]]) -> tuple[int, int]:
    while (fy, quarter) in locked:
        fy, quarter = (fy, quarter + 1) if quarter < 4 else (fy + 1, 1)
    return fy, quarter


def locked_error(fy: int, quarter: int, locked: set[tuple[int, int]], field: str | None, what: str) -> DomainError:
    next_fy, next_q = _next_open(fy, quarter, locked)
    start, _ = quarter_bounds(next_fy, next_q)
    return DomainError(f"{quarter_label(fy, quarter)} is locked: its return has been sent, so {what} dated in it "
                       f"cannot be added, changed or deleted. Enter it as a late entry in "
                       f"{quarter_label(next_fy, next_q)} (dated from {start:%-d %B %Y}).", field)


def check_not_locked(on: date | None, field: str | None, what: str, locked: set | None = None) -> None:
    if on is None:
        return
    locked = locked_quarters() if locked is None else locked
    fy, quarter = fy_quarter_of(on)
    if (fy, quarter) in locked:
        raise locked_error(fy, quarter, locked, field, what)


def _plain(values: dict) -> dict:
    return {k: (str(v) if isinstance(v, (Decimal, date)) else getattr(v, "value", v)) for k, v in values.items()}


# --- grant years and lines ----------------------------------------------------------------------


def save_grant_year(actor, *, fy: int, funder: str, allocation: Decimal, match_pct: Decimal | None,
                    grant_reference: str | None = None, sro_name: str | None = None,
                    grant: GrantYear | None = None) -> GrantYear:
    _require(actor)
    funder = (funder or "").strip()
    if not funder:
        raise DomainError("Enter the funder, for example Home Office", "funder")
    check_money(allocation, "allocation", "grant allocation")
    if match_pct is None:
        try:
            match_pct = Decimal(rules.match_pct_for_fy(fy))
        except ValueError:
            raise DomainError(f"Enter the match funding percentage for {fy_label(fy)}", "match_pct") from None
    if not 0 <= match_pct <= 100:
        raise DomainError("Enter a match funding percentage from 0 to 100", "match_pct")
    clash = db.session.execute(sa.select(GrantYear.id).where(GrantYear.fy == fy,
                                                             GrantYear.id != (grant.id if grant else 0))).first()
    if clash:
        raise DomainError(f"A grant year for {fy_label(fy)} is already set up", "fy")
    creating = grant is None
    grant = grant or GrantYear(fy=fy)
    grant.fy, grant.funder, grant.allocation, grant.match_pct = fy, funder, allocation, match_pct
    grant.grant_reference = (grant_reference or "").strip() or None
    grant.sro_name = (sro_name or "").strip() or None
    db.session.add(grant)
    db.session.flush()
    audit.record(actor, "grant_year.created" if creating else "grant_year.updated", grant,
                 detail=_plain({"fy": fy_label(fy), "funder": funder, "allocation": allocation, "match_pct": match_pct}))
    return grant


def save_line(actor, grant: GrantYear, *, name: str, line_type: LineType, planned: Decimal,
              programme_id: int | None = None, line: BudgetLine | None = None) -> BudgetLine:
    _require(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError("Enter a name for the budget line", "name")
    check_money(planned, "planned", "planned amount")
    if programme_id and line_type not in PROGRAMME_LINE_TYPES:
        raise DomainError("Only intervention and evaluation lines name a programme", "programme_id")
    if programme_id and db.session.get(Programme, programme_id) is None:
        raise DomainError("Choose a programme from the list", "programme_id")
    clash = db.session.execute(sa.select(BudgetLine.id).where(
        BudgetLine.grant_year_id == grant.id, sa.func.lower(BudgetLine.name) == name.lower(),
        BudgetLine.id != (line.id if line else 0))).first()
    if clash:
        raise DomainError(f"{grant.label} already has a line called {name}", "name")
    creating = line is None
    line = line or BudgetLine(grant_year_id=grant.id)
    line.name, line.line_type, line.planned, line.programme_id = name, line_type, planned, programme_id or None
    db.session.add(line)
    db.session.flush()
    audit.record(actor, "budget_line.created" if creating else "budget_line.updated", line,
                 detail=_plain({"fy": grant.label, "name": name, "type": line_type, "planned": planned}))
    return line


# --- spend --------------------------------------------------------------------------------------


def _funding_year(line: BudgetLine, funded_by: GrantYear | None) -> GrantYear:
    funded_by = funded_by or line.grant_year
    if funded_by.fy > line.grant_year.fy:
        raise DomainError(f"Spend on a {line.grant_year.label} line cannot be funded by a later grant "
                          f"({funded_by.label})", "funded_by")
    return funded_by


def check_incurred_on(line: BudgetLine, incurred_on: date | None, field: str = "incurred_on") -> date:
    if incurred_on is None:
        raise DomainError("Enter the date the spend was incurred", field)
    start, end = fy_bounds(line.grant_year.fy)
    if not start <= incurred_on <= end:
        raise DomainError(f"{line.name} is a {line.grant_year.label} line: the date must be between "
                          f"{start:%-d %B %Y} and {end:%-d %B %Y}", field)
    return incurred_on


def record_expenditure(actor, line: BudgetLine, *, incurred_on: date, amount: Decimal, kind: SpendKind,
                       description: str | None = None, funded_by: GrantYear | None = None,
                       import_key: str | None = None, audit_each: bool = True,
                       locked: set | None = None) -> Expenditure:
    _require(actor)
    check_incurred_on(line, incurred_on)
    check_not_locked(incurred_on, "incurred_on", "spend", locked)
    check_money(amount, "amount", "amount", allow_zero=False)
    funded_by = _funding_year(line, funded_by)
    fy, quarter = fy_quarter_of(incurred_on)
    entry = Expenditure(line_id=line.id, funded_by_id=funded_by.id, incurred_on=incurred_on, fy=fy, quarter=quarter,
                        amount=amount, kind=kind, description=(description or "").strip()[:300] or None,
                        import_key=import_key, recorded_by_id=actor.id)
    db.session.add(entry)
    db.session.flush()
    if audit_each:
        audit.record(actor, "expenditure.recorded", entry, detail=_plain({
            "line": line.name, "incurred_on": incurred_on, "amount": amount, "kind": kind,
            "funded_by": funded_by.label}))
    return entry


def _spend_values(entry: Expenditure) -> dict:
    return _plain({"line": entry.line.name, "incurred_on": entry.incurred_on, "amount": entry.amount,
                   "kind": entry.kind, "funded_by": entry.funded_by.label, "description": entry.description})


def update_expenditure(actor, entry: Expenditure, *, line: BudgetLine, incurred_on: date, amount: Decimal,
                       kind: SpendKind, description: str | None = None, funded_by: GrantYear | None = None,
                       version=None) -> Expenditure:
    """Correct an entry in place. Both the old and the new date must be in open quarters; the audit event
    keeps the values before and after."""
    _require(actor)
    check_version(entry, version)
    locked = locked_quarters()
    check_not_locked(entry.incurred_on, "incurred_on", "spend", locked)
    check_incurred_on(line, incurred_on)
    check_not_locked(incurred_on, "incurred_on", "spend", locked)
    check_money(amount, "amount", "amount", allow_zero=False)
    funded_by = _funding_year(line, funded_by)
    before = _spend_values(entry)
    entry.line, entry.line_id, entry.funded_by, entry.funded_by_id = line, line.id, funded_by, funded_by.id
    entry.incurred_on, (entry.fy, entry.quarter) = incurred_on, fy_quarter_of(incurred_on)
    entry.amount, entry.kind = amount, kind
    entry.description = (description or "").strip()[:300] or None
    after = _spend_values(entry)
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if not changed:
        return entry
    _flush()
    audit.record(actor, "expenditure.updated", entry, detail={"changed": changed, "import_key": entry.import_key})
    return entry


def delete_expenditure(actor, entry: Expenditure, version=None) -> None:
    """Removing a wrong entry (a duplicate, say); the audit keeps what it held."""
    _require(actor)
    check_version(entry, version)
    check_not_locked(entry.incurred_on, None, "spend")
    audit.record(actor, "expenditure.deleted", entry, detail=_plain({
        "line": entry.line.name, "incurred_on": entry.incurred_on, "amount": entry.amount, "kind": entry.kind,
        "import_key": entry.import_key}))
    db.session.delete(entry)
    _flush()


# --- match funding ------------------------------------------------------------------------------


def save_contribution(actor, grant: GrantYear, *, contributor: str, kind: MatchKind, basis: str, amount: Decimal,
                      received_on: date, status: MatchStatus, evidence_note: str | None = None,
                      contribution: MatchContribution | None = None, version=None) -> MatchContribution:
    _require(actor)
    if contribution is not None:
        check_version(contribution, version)
    contributor, basis = (contributor or "").strip(), (basis or "").strip()
    if not contributor:
        raise DomainError("Enter the contributing organisation", "contributor")
    if not basis:
        raise DomainError("Enter the basis of the contribution, for example 'grant to Sports and Inclusion'", "basis")
    check_money(amount, "amount", "amount", allow_zero=False)
    if received_on is None:
        raise DomainError("Enter the date the contribution was made or committed", "received_on")
    start, end = fy_bounds(grant.fy)
    if not start <= received_on <= end:
        raise DomainError(f"The date must be in {grant.label}: {start:%-d %B %Y} to {end:%-d %B %Y}", "received_on")
    if status is not MatchStatus.PLEDGED and not (evidence_note or "").strip():
        raise DomainError("Say what evidence was received (for example the invoice or letter reference)",
                          "evidence_note")
    creating = contribution is None
    previous = None if creating else contribution.status
    # Evidence arriving later (pledged → accepted) is allowed for a locked quarter; the money itself is not.
    money_changed = creating or (contributor, kind, basis, amount, received_on) != (
        contribution.contributor, contribution.kind, contribution.basis, contribution.amount, contribution.received_on)
    if money_changed:
        locked = locked_quarters()
        if not creating:
            check_not_locked(contribution.received_on, "received_on", "a match contribution", locked)
        check_not_locked(received_on, "received_on", "a match contribution", locked)
    contribution = contribution or MatchContribution(grant_year_id=grant.id)
    contribution.contributor, contribution.kind, contribution.basis = contributor, kind, basis
    contribution.amount, contribution.received_on, contribution.status = amount, received_on, status
    contribution.evidence_note = (evidence_note or "").strip() or None
    db.session.add(contribution)
    _flush()
    audit.record(actor, "match_contribution.created" if creating else "match_contribution.updated", contribution,
                 detail=_plain({"fy": grant.label, "contributor": contributor, "kind": kind, "amount": amount,
                                "status": status, "from_status": previous}))
    return contribution


def save_secondment(actor, *, contributor: str, role: str, fte: Decimal, starts_on: date, ends_on: date | None,
                    annual_loaded_cost: Decimal, status: MatchStatus, evidence_note: str | None = None,
                    secondment: Secondment | None = None, version=None) -> Secondment:
    _require(actor)
    if secondment is not None:
        check_version(secondment, version)
    contributor, role = (contributor or "").strip(), (role or "").strip()
    if not contributor:
        raise DomainError("Enter the seconding organisation", "contributor")
    if not role:
        raise DomainError("Enter the role, for example Police sergeant (not the person's name)", "role")
    if fte is None or not Decimal(0) < fte <= 1:
        raise DomainError("Enter the FTE as a number more than 0 and no more than 1, for example 0.5", "fte")
    if fte != fte.quantize(Decimal("0.001")):
        raise DomainError("Enter the FTE to no more than 3 decimal places", "fte")
    check_money(annual_loaded_cost, "annual_loaded_cost", "annual loaded cost")
    if starts_on is None:
        raise DomainError("Enter the date the secondment starts", "starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError("The secondment must end on or after the day it starts", "ends_on")
    if status is not MatchStatus.PLEDGED and not (evidence_note or "").strip():
        raise DomainError("Say what evidence was received (for example the secondment agreement reference)",
                          "evidence_note")
    _check_secondment_locked(secondment, fte=fte, starts_on=starts_on, ends_on=ends_on,
                             annual_loaded_cost=annual_loaded_cost)
    creating = secondment is None
    secondment = secondment or Secondment()
    secondment.contributor, secondment.role, secondment.fte = contributor, role, fte
    secondment.starts_on, secondment.ends_on = starts_on, ends_on
    secondment.annual_loaded_cost, secondment.status = annual_loaded_cost, status
    secondment.evidence_note = (evidence_note or "").strip() or None
    db.session.add(secondment)
    _flush()
    audit.record(actor, "secondment.created" if creating else "secondment.updated", secondment,
                 detail=_plain({"contributor": contributor, "role": role, "fte": fte, "starts_on": starts_on,
                                "ends_on": ends_on, "annual_loaded_cost": annual_loaded_cost, "status": status}))
    return secondment


def _check_secondment_locked(secondment: Secondment | None, **new) -> None:
    """A secondment's in-kind value accrues day by day, so a change is refused only when it would alter the
    value of a quarter already locked (ending a secondment early, after Q1 was locked, changes Q2 onwards)."""
    from types import SimpleNamespace


    locked = locked_quarters()
    if not locked:
        return
    after = SimpleNamespace(**new)
    for fy, quarter in sorted(locked):
        old_value = secondment_by_quarter(secondment, fy)[1][quarter] if secondment is not None else Decimal(0)
        if secondment_by_quarter(after, fy)[1][quarter] != old_value:
            raise locked_error(fy, quarter, locked, "starts_on", "match funding from a secondment")
