"""Reporting periods (DOMAIN.md §1): one (FY, quarter) of the Home Office return and its status.

A period's status is read by every domain that must refuse changes dated in a locked quarter (finance,
training, casework), so it lives below them all; the return's snapshots and accepted exceptions belong to
the reports domain above.
"""
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
    # ``snapshots`` and ``acceptances`` are added by the reports domain (app/reports/models.py), which owns them.

    @property
    def locked(self) -> bool:
        return self.status is PeriodStatus.LOCKED
