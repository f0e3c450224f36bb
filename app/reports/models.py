"""Reporting periods and immutable snapshots of locked quarterly returns (DOMAIN.md §1, §5)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import LabelledEnum, Model, str_enum


class PeriodStatus(LabelledEnum):
    OPEN = ("open", "Open")
    DRAFT = ("draft", "Draft")
    SUBMITTED = ("submitted", "Submitted")
    LOCKED = ("locked", "Locked")


class ReportingPeriod(Model):
    """One (FY, quarter) of the Home Office return: open → draft → submitted → locked."""

    __tablename__ = "reporting_periods"
    __table_args__ = (
        sa.UniqueConstraint("fy", "quarter", name="uq_reporting_periods_fy_quarter"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
    )

    fy: Mapped[int]
    quarter: Mapped[int]
    status: Mapped[PeriodStatus] = mapped_column(str_enum(PeriodStatus), default=PeriodStatus.OPEN,
                                                 server_default=PeriodStatus.OPEN.value)
    due_on: Mapped[date | None]
    narrative: Mapped[str | None] = mapped_column(sa.Text)
    sro_name: Mapped[str | None] = mapped_column(sa.String(200))
    grant_reference: Mapped[str | None] = mapped_column(sa.String(100))
    prepared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]

    prepared_by: Mapped[User | None] = relationship(foreign_keys=[prepared_by_id])
    snapshots: Mapped[list[ReturnSnapshot]] = relationship(back_populates="period", order_by="ReturnSnapshot.version")
    acceptances: Mapped[list[ExceptionAcceptance]] = relationship(back_populates="period")

    @property
    def locked(self) -> bool:
        return self.status is PeriodStatus.LOCKED

    @property
    def latest_snapshot(self) -> ReturnSnapshot | None:
        return self.snapshots[-1] if self.snapshots else None


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

    period: Mapped[ReportingPeriod] = relationship(back_populates="snapshots")
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

    period: Mapped[ReportingPeriod] = relationship(back_populates="acceptances")


class SnapshotImmutable(RuntimeError):
    pass


@sa.event.listens_for(ReturnSnapshot, "before_update")
@sa.event.listens_for(ReturnSnapshot, "before_delete")
def _refuse_change(mapper, connection, target):  # pragma: no cover - exercised in tests
    raise SnapshotImmutable("A locked return's snapshot cannot be changed")
