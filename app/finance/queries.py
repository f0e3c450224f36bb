"""Finance reads. Finance data holds no personal data, so no organisation scoping applies here:
the capability check on each route (VIEW_FINANCE) is the whole of the access rule."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from app.db import db
from app.finance.models import (
    BudgetLine, Expenditure, GrantYear, MatchContribution, Secondment, SpendKind,
)
from app.periods import fy_bounds
from app.programmes.models import Programme


@dataclass(frozen=True)
class GrantYearSummary:
    fy: int
    label: str
    funder: str
    allocation: Decimal
    match_pct: Decimal


def grant_year_summaries() -> list[GrantYearSummary]:
    """Every grant year, newest first (the finance home page)."""
    rows = db.session.execute(sa.select(GrantYear).order_by(GrantYear.fy.desc())).scalars().all()
    return [GrantYearSummary(g.fy, g.label, g.funder, g.allocation, g.match_pct.normalize()) for g in rows]


def grant_years():
    return sa.select(GrantYear).order_by(GrantYear.fy.desc())


def get_grant_year(fy: int) -> GrantYear:
    grant = db.session.execute(sa.select(GrantYear).where(GrantYear.fy == fy)).scalar_one_or_none()
    if grant is None:
        abort(404)
    return grant


def find_grant_year(fy: int) -> GrantYear | None:
    return db.session.execute(sa.select(GrantYear).where(GrantYear.fy == fy)).scalar_one_or_none()


def lines_of(grant: GrantYear) -> list[BudgetLine]:
    return db.session.execute(
        sa.select(BudgetLine).options(joinedload(BudgetLine.programme))
        .where(BudgetLine.grant_year_id == grant.id).order_by(BudgetLine.id)
    ).scalars().all()


def get_line(grant: GrantYear, line_id: int) -> BudgetLine:
    line = db.session.execute(
        sa.select(BudgetLine).where(BudgetLine.id == line_id, BudgetLine.grant_year_id == grant.id)
    ).scalar_one_or_none()
    if line is None:
        abort(404)
    return line


def spend_totals(grant: GrantYear):
    """Spend funded by this grant: (line id, FY incurred, quarter, kind, total), summed in SQL."""
    return db.session.execute(
        sa.select(Expenditure.line_id, Expenditure.fy, Expenditure.quarter, Expenditure.kind,
                  sa.func.sum(Expenditure.amount).label("total"))
        .where(Expenditure.funded_by_id == grant.id)
        .group_by(Expenditure.line_id, Expenditure.fy, Expenditure.quarter, Expenditure.kind)
    ).all()


def spend_funded_elsewhere(grant: GrantYear):
    """Spend on this year's lines that an earlier grant paid for: (line id, funding FY, kind, total)."""
    return db.session.execute(
        sa.select(Expenditure.line_id, GrantYear.fy, Expenditure.kind, sa.func.sum(Expenditure.amount).label("total"))
        .join(BudgetLine, BudgetLine.id == Expenditure.line_id)
        .join(GrantYear, GrantYear.id == Expenditure.funded_by_id)
        .where(BudgetLine.grant_year_id == grant.id, Expenditure.funded_by_id != grant.id)
        .group_by(Expenditure.line_id, GrantYear.fy, Expenditure.kind)
    ).all()


def foreign_lines(line_ids) -> list[BudgetLine]:
    if not line_ids:
        return []
    return db.session.execute(
        sa.select(BudgetLine).options(joinedload(BudgetLine.programme), joinedload(BudgetLine.grant_year))
        .where(BudgetLine.id.in_(list(line_ids)))
    ).scalars().all()


def expenditures(grant: GrantYear, *, line_id: int | None = None, quarter: int | None = None,
                 kind: SpendKind | None = None):
    """Entries on this grant year's lines or funded by it, newest first (paginated by the view)."""
    stmt = (
        sa.select(Expenditure)
        .options(joinedload(Expenditure.line), joinedload(Expenditure.funded_by))
        .join(BudgetLine, BudgetLine.id == Expenditure.line_id)
        .where(sa.or_(BudgetLine.grant_year_id == grant.id, Expenditure.funded_by_id == grant.id))
        .order_by(Expenditure.incurred_on.desc(), Expenditure.id.desc())
    )
    if line_id:
        stmt = stmt.where(Expenditure.line_id == line_id)
    if quarter:
        stmt = stmt.where(Expenditure.quarter == quarter, Expenditure.fy == grant.fy)
    if kind:
        stmt = stmt.where(Expenditure.kind == kind)
    return stmt


def expenditure_totals(grant: GrantYear, *, line_id: int | None = None, quarter: int | None = None) -> dict:
    """Actual and forecast totals of the entries the spend list shows, summed in SQL, to reconcile with a ledger."""
    listed = expenditures(grant, line_id=line_id, quarter=quarter).order_by(None).subquery()
    rows = db.session.execute(sa.select(listed.c.kind, sa.func.sum(listed.c.amount)).group_by(listed.c.kind)).all()
    totals = {"actual": Decimal(0), "forecast": Decimal(0)}
    for kind, total in rows:
        totals[SpendKind(kind).value] = Decimal(total or 0)
    return totals


def get_expenditure(grant: GrantYear, expenditure_id: int) -> Expenditure:
    row = db.session.execute(
        expenditures(grant).where(Expenditure.id == expenditure_id)
    ).unique().scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def contributions(grant: GrantYear) -> list[MatchContribution]:
    return db.session.execute(
        sa.select(MatchContribution).where(MatchContribution.grant_year_id == grant.id)
        .order_by(MatchContribution.received_on, MatchContribution.id)
    ).scalars().all()


def get_contribution(grant: GrantYear, contribution_id: int) -> MatchContribution:
    row = db.session.execute(
        sa.select(MatchContribution).where(MatchContribution.id == contribution_id,
                                           MatchContribution.grant_year_id == grant.id)
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def secondments_overlapping(fy: int) -> list[Secondment]:
    start, end = fy_bounds(fy)
    return db.session.execute(
        sa.select(Secondment)
        .where(Secondment.starts_on <= end, sa.or_(Secondment.ends_on.is_(None), Secondment.ends_on >= start))
        .order_by(Secondment.contributor, Secondment.role, Secondment.id)
    ).scalars().all()


def get_secondment(secondment_id: int) -> Secondment:
    row = db.session.get(Secondment, secondment_id)
    if row is None:
        abort(404)
    return row


def programme_choices() -> list[tuple[int, str]]:
    return [(p.id, p.name) for p in db.session.execute(sa.select(Programme).order_by(Programme.name)).scalars()]
