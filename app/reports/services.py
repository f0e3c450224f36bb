"""Reporting-period use cases: draft → submitted → locked (DOMAIN.md §1, §5). Each checks the actor's
capability, audits and flushes; the view or CLI commits."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app import audit
from app.auth.roles import Capability
from app.db import db, utcnow
from app.errors import DomainError
from app.periods import quarter_label
from app.periods.models import PeriodStatus, ReportingPeriod
from app.reports.models import ExceptionAcceptance, ReturnSnapshot, latest_snapshot
from app.reports.queries import data_quality_exceptions
from app.reports.builders.quarterly_return import build_quarterly_return, quarter_figures
from app.reports.builders.quarterly_return import publish
from app.documents import Report


def _require(actor) -> None:
    if not actor.can(Capability.MANAGE_RETURNS):
        raise DomainError("Your role cannot prepare or lock returns")


def period_for(fy: int, quarter: int, *, create: bool = False) -> ReportingPeriod | None:
    period = db.session.execute(sa.select(ReportingPeriod).where(
        ReportingPeriod.fy == fy, ReportingPeriod.quarter == quarter)).scalar_one_or_none()
    if period is None and create:
        previous = db.session.execute(
            sa.select(ReportingPeriod).where(sa.or_(ReportingPeriod.fy < fy, sa.and_(
                ReportingPeriod.fy == fy, ReportingPeriod.quarter < quarter)))
            .order_by(ReportingPeriod.fy.desc(), ReportingPeriod.quarter.desc()).limit(1)).scalar_one_or_none()
        period = ReportingPeriod(fy=fy, quarter=quarter, status=PeriodStatus.OPEN,
                                 sro_name=previous.sro_name if previous else None,
                                 grant_reference=previous.grant_reference if previous else None)
        db.session.add(period)
        db.session.flush()
    return period


def _not_locked(period: ReportingPeriod) -> None:
    if period.locked:
        raise DomainError(f"{quarter_label(period.fy, period.quarter)} is locked: its figures cannot change. "
                          "Late entries appear as restatements in the next return.")


def save_draft(actor, period: ReportingPeriod, *, narrative: str | None, sro_name: str | None,
               grant_reference: str | None, due_on: date | None) -> ReportingPeriod:
    _require(actor)
    _not_locked(period)
    period.narrative = (narrative or "").strip() or None
    period.sro_name = (sro_name or "").strip() or None
    period.grant_reference = (grant_reference or "").strip() or None
    period.due_on = due_on
    period.prepared_by_id = actor.id
    # Editing a submitted return takes it back to draft: what was submitted is no longer what is shown.
    period.status = PeriodStatus.DRAFT
    db.session.flush()
    audit.record(actor, "return.drafted", period, detail={"period": quarter_label(period.fy, period.quarter)})
    return period


def submit(actor, period: ReportingPeriod) -> ReportingPeriod:
    _require(actor)
    _not_locked(period)
    if period.status is not PeriodStatus.DRAFT:
        raise DomainError("Save the draft (narrative and header) before marking the return as submitted")
    period.status = PeriodStatus.SUBMITTED
    period.submitted_at = utcnow()
    db.session.flush()
    audit.record(actor, "return.submitted", period, detail={"period": quarter_label(period.fy, period.quarter)})
    return period


def open_exceptions(period: ReportingPeriod) -> list[dict]:

    accepted = {a.exception_key for a in period.acceptances}
    return [e for e in data_quality_exceptions(period.fy, period.quarter) if e["key"] not in accepted]


def accept_exceptions(actor, period: ReportingPeriod, keys: list[str], reason: str) -> int:
    """Record that the listed exceptions were checked and cannot be fixed (e.g. the young person would not
    give their ethnicity). The reason is kept and shown; the count appears in section G."""
    _require(actor)
    _not_locked(period)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise DomainError("Explain why these exceptions are accepted (at least 10 characters)", "reason")
    open_keys = {e["key"] for e in open_exceptions(period)}
    chosen = [k for k in keys if k in open_keys]
    if not chosen:
        raise DomainError("Select at least one open exception to accept", "keys")
    for key in chosen:
        db.session.add(ExceptionAcceptance(period_id=period.id, exception_key=key, reason=reason,
                                           accepted_by_id=actor.id))
    db.session.flush()
    db.session.refresh(period)
    audit.record(actor, "return.exceptions_accepted", period,
                 detail={"period": quarter_label(period.fy, period.quarter), "count": len(chosen), "reason": reason})
    return len(chosen)


def lock(actor, period: ReportingPeriod) -> ReturnSnapshot:
    """Freeze the return: store its Report and figures as an immutable snapshot."""

    _require(actor)
    _not_locked(period)
    if period.status is not PeriodStatus.SUBMITTED:
        raise DomainError("Mark the return as submitted before locking it")
    still_open = open_exceptions(period)
    if still_open:
        raise DomainError(f"{len(still_open)} data-quality exceptions are still open. Fix them, or accept them "
                          "with a reason, before locking.")
    locked_at = utcnow()
    version = len(period.snapshots) + 1
    period.status = PeriodStatus.LOCKED
    period.locked_at = locked_at
    report = build_quarterly_return(period.fy, period.quarter, period=period, version=version,
                                    approved_by=actor.full_name, locked_at=locked_at)
    snapshot = ReturnSnapshot(period_id=period.id, version=version, data=report.to_dict(),
                              figures=quarter_figures(period.fy, period.quarter), approved_by_id=actor.id,
                              locked_at=locked_at)
    db.session.add(snapshot)
    db.session.flush()
    db.session.refresh(period)
    audit.record(actor, "return.locked", period, detail={"period": quarter_label(period.fy, period.quarter),
                                                         "version": version})
    return snapshot


def return_report(fy: int, quarter: int, *, suppressed: bool = False):
    """The return as it stands: a locked quarter from its snapshot (never recomputed), else built live.

    The public (suppressed) version of a locked quarter is the snapshot's exact figures put through
    disclosure control — never live data, which late entries may have changed since it was submitted."""

    period = period_for(fy, quarter)
    if period is not None and period.locked and latest_snapshot(period) is not None:
        report = Report.from_dict(latest_snapshot(period).data)
        return publish(report) if suppressed else report
    return build_quarterly_return(fy, quarter, period=period, suppressed=suppressed)
