"""Clock settings per programme (issue 13). A programme without a row uses the defaults of its kind."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clocks.rules import ClockSettings, ClockUnit, default_settings
from app.db import Model, str_enum
from app.programmes.models import Programme


class ProgrammeClock(Model):
    __tablename__ = "programme_clocks"
    __table_args__ = (
        sa.CheckConstraint("first_contact_within IS NULL OR first_contact_within > 0", name="within_positive"),
        sa.CheckConstraint("amber_hours >= 0", name="amber_not_negative"),
    )

    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), unique=True)
    first_contact_within: Mapped[int | None]
    first_contact_unit: Mapped[ClockUnit] = mapped_column(str_enum(ClockUnit), default=ClockUnit.HOURS)
    amber_hours: Mapped[int] = mapped_column(default=4, server_default="4")
    baseline_within_days: Mapped[int | None]
    review_at_weeks: Mapped[int | None]
    exit_at_close: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    programme: Mapped[Programme] = relationship()

    def settings(self) -> ClockSettings:
        return ClockSettings(self.first_contact_within, self.first_contact_unit, self.amber_hours,
                             self.baseline_within_days, self.review_at_weeks, self.exit_at_close)


def settings_for(programme: Programme, row: ProgrammeClock | None) -> ClockSettings:
    return row.settings() if row is not None else default_settings(programme.kind.value)
