"""Programmes (interventions), sites, counting windows, targets, training events (DOMAIN.md §2)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Organisation
from app.db import LabelledEnum, Model, str_enum


class ProgrammeKind(LabelledEnum):
    HOSPITAL = ("hospital", "Hospital (A&E) navigators")
    CUSTODY = ("custody", "Custody navigators / coaches")
    SCHOOL = ("school", "School navigators")
    FOCUSED_DETERRENCE = ("focused_deterrence", "Focused deterrence")
    COMMUNITY = ("community", "Community")
    TRAINING = ("training", "Training")
    CAMPAIGN = ("campaign", "Campaign")
    OTHER = ("other", "Other")


class HomeOfficeCategory(LabelledEnum):
    PREVENTION = ("prevention", "Prevention")
    EARLY_INTERVENTION = ("early_intervention", "Early Intervention")
    THERAPEUTIC = ("therapeutic", "Therapeutic")
    DESISTANCE = ("desistance", "Desistance")


class Tier(LabelledEnum):
    PRIMARY = ("primary", "Primary")
    SECONDARY = ("secondary", "Secondary")
    TERTIARY = ("tertiary", "Tertiary")


class Cohort(LabelledEnum):
    UNIVERSAL = ("universal", "Universal")
    TARGETED = ("targeted", "Targeted")
    PROFESSIONALS = ("professionals", "Professionals")


class ReachUnit(LabelledEnum):
    INDIVIDUAL = ("individual", "Individuals")
    AGGREGATE = ("aggregate", "Aggregate counts")


class EvaluationStage(LabelledEnum):
    NONE = ("none", "Not evaluated")
    GATE_1 = ("gate_1", "Gate 1 – feasibility")
    GATE_2 = ("gate_2", "Gate 2 – pilot")
    GATE_3 = ("gate_3", "Gate 3 – efficacy trial")


class SiteSetting(LabelledEnum):
    A_AND_E = ("a_and_e", "A&E department")
    CUSTODY_SUITE = ("custody_suite", "Custody suite")
    SCHOOL = ("school", "School")
    COMMUNITY_VENUE = ("community_venue", "Community venue")
    OTHER = ("other", "Other")


class TargetMeasure(LabelledEnum):
    NEW_24_AND_UNDER = ("new_24_and_under", "New people 24 and under")
    NEW_25_AND_OVER = ("new_25_and_over", "New people 25 and over")
    PROFESSIONALS_TRAINED = ("professionals_trained", "Professionals trained")


DEFAULT_OUTCOME_TYPES = [
    "Signposted to service",
    "Re-engaged with education",
    "No further exclusion",
    "Entered training or employment",
    "No re-attendance at A&E",
    "No re-arrest",
]


class Programme(Model):
    __tablename__ = "programmes"

    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[ProgrammeKind] = mapped_column(str_enum(ProgrammeKind))
    ho_category: Mapped[HomeOfficeCategory] = mapped_column(str_enum(HomeOfficeCategory))
    ho_category_secondary: Mapped[HomeOfficeCategory | None] = mapped_column(str_enum(HomeOfficeCategory))
    tiers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    cohort: Mapped[Cohort] = mapped_column(str_enum(Cohort))
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    referral_trigger: Mapped[str | None] = mapped_column(sa.Text)
    session_cap: Mapped[int | None]
    cadence_days: Mapped[int | None]
    reach_unit: Mapped[ReachUnit] = mapped_column(str_enum(ReachUnit), default=ReachUnit.INDIVIDUAL)
    evaluation_stage: Mapped[EvaluationStage] = mapped_column(
        str_enum(EvaluationStage), default=EvaluationStage.NONE
    )
    trial_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    trial_seed: Mapped[int | None]
    trial_stratify_by_site: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    outcome_types: Mapped[list[str]] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_OUTCOME_TYPES))
    description: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    sites: Mapped[list[Site]] = relationship(back_populates="programme", order_by="Site.name")
    targets: Mapped[list[Target]] = relationship(back_populates="programme")
    windows: Mapped[list[CountingWindow]] = relationship(back_populates="programme")

    def __repr__(self) -> str:
        return f"<Programme {self.name}>"


class Site(Model):
    __tablename__ = "sites"
    __table_args__ = (sa.UniqueConstraint("programme_id", "name", name="uq_sites_programme_id_name"),)

    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    setting: Mapped[SiteSetting] = mapped_column(str_enum(SiteSetting))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    programme: Mapped[Programme] = relationship(back_populates="sites")
    provider: Mapped[Organisation] = relationship(lazy="joined")


class CountingWindow(Model):
    """Overrides the financial year for one programme and FY (DOMAIN.md §1)."""

    __tablename__ = "counting_windows"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "fy", name="uq_counting_windows_programme_id_fy"),
        sa.CheckConstraint("ends_on >= starts_on", name="window_order"),
    )

    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    fy: Mapped[int]
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    programme: Mapped[Programme] = relationship(back_populates="windows")


class Target(Model):
    __tablename__ = "targets"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "fy", "measure", name="uq_targets_programme_id_fy_measure"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
    )

    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    fy: Mapped[int]
    measure: Mapped[TargetMeasure] = mapped_column(str_enum(TargetMeasure))
    value: Mapped[int]

    programme: Mapped[Programme] = relationship(back_populates="targets")


class TrainingEvent(Model):
    __tablename__ = "training_events"

    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    held_on: Mapped[date]
    title: Mapped[str] = mapped_column(sa.String(200))
    # For anonymous events only the count is known (DOMAIN.md §3.8).
    anonymous_count: Mapped[int | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    programme: Mapped[Programme] = relationship()
    attendees: Mapped[list[TrainingAttendee]] = relationship(back_populates="event", cascade="all, delete-orphan")


class TrainingAttendee(Model):
    __tablename__ = "training_attendees"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "professional_key", name="uq_training_attendees_event_id_key"),
    )

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("training_events.id"), index=True)
    # Normalised e-mail or name: the same professional at two events counts once.
    professional_key: Mapped[str] = mapped_column(sa.String(254), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role_title: Mapped[str | None] = mapped_column(sa.String(200))
    organisation_name: Mapped[str | None] = mapped_column(sa.String(200))
    attended: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    event: Mapped[TrainingEvent] = relationship(back_populates="attendees")
