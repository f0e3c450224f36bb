"""Immutable snapshots of locked quarterly returns and accepted data-quality exceptions (DOMAIN.md §5)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.auth.models import User
from app.db import Model
from app.periods.models import ReportingPeriod


class ReturnSnapshot(Model):
    """The return exactly as locked: Report.to_dict() plus the figures later returns restate against.

    Never updated or deleted through the app (a before_update/before_delete hook refuses)."""

    __tablename__ = "return_snapshots"
    __table_args__ = (sa.UniqueConstraint("period_id", "version", name="uq_return_snapshots_period_id_version"),)

    period_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_periods.id"), index=True)
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(sa.JSON)
    # {"new_people": {"<programme id>": {"24_and_under": n, "25_and_over": n, "not_known": n}}}
    figures: Mapped[dict] = mapped_column(sa.JSON)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    locked_at: Mapped[datetime]

    period: Mapped[ReportingPeriod] = relationship(
        backref=backref("snapshots", order_by="ReturnSnapshot.version"))
    approved_by: Mapped[User | None] = relationship()


class ExceptionAcceptance(Model):
    """A data-quality exception the programme office accepted, with the reason, so the quarter can lock."""

    __tablename__ = "exception_acceptances"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "exception_key", name="uq_exception_acceptances_period_id_key"),
    )

    period_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_periods.id"), index=True)
    exception_key: Mapped[str] = mapped_column(sa.String(120))
    reason: Mapped[str] = mapped_column(sa.Text)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    period: Mapped[ReportingPeriod] = relationship(backref="acceptances")


def latest_snapshot(period: ReportingPeriod | None) -> ReturnSnapshot | None:
    """The snapshot a locked period is served from (the newest version)."""
    return period.snapshots[-1] if period is not None and period.snapshots else None


class SnapshotImmutable(RuntimeError):
    pass


@sa.event.listens_for(ReturnSnapshot, "before_update")
@sa.event.listens_for(ReturnSnapshot, "before_delete")
def _refuse_change(mapper, connection, target):  # pragma: no cover - exercised in tests
    raise SnapshotImmutable("A locked return's snapshot cannot be changed")
