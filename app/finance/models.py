"""Grant years, budget lines, expenditure, match contributions and secondments (DOMAIN.md §2, §4).

Money is Numeric(12, 2) read back as Decimal, never float. Expenditure stores its financial
year and quarter (derived from the date incurred by app/periods) so reports aggregate in SQL.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import LabelledEnum, Model, str_enum
from app.documents.formatting import format_points
from app.periods import fy_label

MONEY = sa.Numeric(12, 2, asdecimal=True)


class LineType(LabelledEnum):
    PROGRAMME_TEAM = ("programme_team", "Programme team")
    EVALUATION = ("evaluation", "Evaluation")
    TRAINING = ("training", "Training")
    INTERVENTION = ("intervention", "Intervention")
    DATA_SHARING = ("data_sharing", "Data sharing")
    OTHER = ("other", "Other")


# Report order (DOMAIN.md §5 A): programme team, evaluation, training, interventions, data sharing, other.
LINE_ORDER = [LineType.PROGRAMME_TEAM, LineType.EVALUATION, LineType.TRAINING, LineType.INTERVENTION,
              LineType.DATA_SHARING, LineType.OTHER]


class SpendKind(LabelledEnum):
    ACTUAL = ("actual", "Actual")
    FORECAST = ("forecast", "Forecast")


class MatchKind(LabelledEnum):
    CASH = ("cash", "Cash")
    IN_KIND = ("in_kind", "In kind")


class MatchStatus(LabelledEnum):
    PLEDGED = ("pledged", "Pledged")
    EVIDENCED = ("evidenced", "Evidenced")
    ACCEPTED = ("accepted", "Accepted")


class GrantYear(Model):
    __tablename__ = "grant_years"
    __table_args__ = (
        sa.CheckConstraint("allocation >= 0", name="allocation_not_negative"),
        sa.CheckConstraint("match_pct >= 0 AND match_pct <= 100", name="match_pct_range"),
    )

    fy: Mapped[int] = mapped_column(unique=True)
    funder: Mapped[str] = mapped_column(sa.String(200))
    allocation: Mapped[Decimal] = mapped_column(MONEY)
    match_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2, asdecimal=True))
    grant_reference: Mapped[str | None] = mapped_column(sa.String(100))
    sro_name: Mapped[str | None] = mapped_column(sa.String(200))

    lines: Mapped[list[BudgetLine]] = relationship(back_populates="grant_year", order_by="BudgetLine.id")

    @property
    def label(self) -> str:
        return fy_label(self.fy)

    @property
    def match_pct_text(self) -> str:
        return format_points(self.match_pct)


class BudgetLine(Model):
    __tablename__ = "budget_lines"
    __table_args__ = (
        sa.UniqueConstraint("grant_year_id", "name", name="uq_budget_lines_grant_year_id_name"),
        sa.CheckConstraint("planned >= 0", name="planned_not_negative"),
    )

    grant_year_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_years.id"), index=True)
    line_type: Mapped[LineType] = mapped_column(str_enum(LineType))
    # Intervention and evaluation lines usually name the programme they fund; MASH-style
    # posts and whole-VRU evaluation contracts have none.
    programme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    planned: Mapped[Decimal] = mapped_column(MONEY)

    grant_year: Mapped[GrantYear] = relationship(back_populates="lines")
    programme = relationship("Programme")


class Expenditure(Model):
    __tablename__ = "expenditures"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_range"),
        sa.Index("ix_expenditures_funded_by_id_fy_quarter", "funded_by_id", "fy", "quarter"),
    )

    line_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_lines.id"), index=True)
    # Spend counts in the year of the grant that funded it (Custody Coaches "funded 23/24").
    funded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_years.id"))
    incurred_on: Mapped[date]
    fy: Mapped[int]
    quarter: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(MONEY)
    kind: Mapped[SpendKind] = mapped_column(str_enum(SpendKind))
    description: Mapped[str | None] = mapped_column(sa.String(300))
    # Ledger reference (or a digest of the row) so uploading the same ledger twice adds nothing.
    import_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    # Finance officers correct entries; a second officer saving over the first gets a conflict, not a lost edit.
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version_id}

    line: Mapped[BudgetLine] = relationship()
    funded_by: Mapped[GrantYear] = relationship()


class MatchContribution(Model):
    __tablename__ = "match_contributions"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    grant_year_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_years.id"), index=True)
    contributor: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[MatchKind] = mapped_column(str_enum(MatchKind))
    basis: Mapped[str] = mapped_column(sa.String(300))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    received_on: Mapped[date]  # places the contribution in a quarter for the return
    status: Mapped[MatchStatus] = mapped_column(str_enum(MatchStatus), default=MatchStatus.PLEDGED)
    evidence_note: Mapped[str | None] = mapped_column(sa.Text)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version_id}

    grant_year: Mapped[GrantYear] = relationship()


class Secondment(Model):
    """Staff seconded by a partner; their in-kind value per year comes from rules.secondment_in_kind."""

    __tablename__ = "secondments"
    __table_args__ = (
        sa.CheckConstraint("fte > 0 AND fte <= 1", name="fte_range"),
        sa.CheckConstraint("annual_loaded_cost >= 0", name="cost_not_negative"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_in_order"),
    )

    contributor: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(200))
    fte: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3, asdecimal=True))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    annual_loaded_cost: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[MatchStatus] = mapped_column(str_enum(MatchStatus), default=MatchStatus.PLEDGED)
    evidence_note: Mapped[str | None] = mapped_column(sa.Text)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version_id}
