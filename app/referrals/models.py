"""People, referrals (with status history), contacts, outcomes and measures (DOMAIN.md §2)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Organisation, User
from app.db import LabelledEnum, Model, str_enum
from app.programmes.models import Programme, Site
from app.referrals.ethnicity import Ethnicity
from app.referrals.transitions import ReferralStatus
from app.referrals.eligibility import age_for_referral


class Sex(LabelledEnum):
    FEMALE = ("female", "Female")
    MALE = ("male", "Male")
    NOT_KNOWN = ("not_known", "Not known")
    PREFER_NOT_TO_SAY = ("prefer_not_to_say", "Prefer not to say")


class ReferralSource(LabelledEnum):
    AE_CLINICIAN = ("ae_clinician", "A&E clinician")
    CUSTODY_STAFF = ("custody_staff", "Custody staff")
    SCHOOL = ("school", "School")
    POLICE = ("police", "Police")
    SOCIAL_CARE = ("social_care", "Social care")
    SELF = ("self", "Self-referral")
    OTHER = ("other", "Other")


class LawfulBasis(LabelledEnum):
    CONSENT = ("consent", "Consent")
    PUBLIC_TASK = ("public_task", "Public task")
    LEGITIMATE_INTERESTS = ("legitimate_interests", "Legitimate interests")
    VITAL_INTERESTS = ("vital_interests", "Vital interests")
    LEGAL_OBLIGATION = ("legal_obligation", "Legal obligation")


class TrialArm(LabelledEnum):
    NONE = ("none", "Not in a trial")
    INTERVENTION = ("intervention", "Intervention")
    CONTROL = ("control", "Control")


class ContactMode(LabelledEnum):
    IN_SETTING = ("in_setting", "Face to face in setting")
    ONE_TO_ONE = ("one_to_one", "One to one")
    GROUP = ("group", "Group")
    PHONE = ("phone", "Phone")
    VIDEO = ("video", "Video")
    MESSAGE = ("message", "Message")


class TimePoint(LabelledEnum):
    BASELINE = ("baseline", "Baseline")
    REVIEW = ("review", "Review")
    EXIT = ("exit", "Exit")


# Indexes only PostgreSQL has, made by migrations and not declared on the models (SQLite has no equivalent):
# the trigram index behind "a name containing these letters" (migration 0015).
PG_ONLY_INDEXES = frozenset({"ix_people_name_key_trgm"})


class Person(Model):
    __tablename__ = "people"
    # Every caseload, case and search of a role that may not see restricted people asks "is this person
    # restricted?" (auth/policies.py). Few are: a partial index holding only them answers that without reading
    # the people table (at national scale the anti-join scanned 100,000 people on every caseload page).
    # The search's "police reference typed exactly" branch reads lower(police_reference) through its own index.
    # (On PostgreSQL, migration 0015 also adds a trigram index on name_key for "a name containing these
    # letters": PG_ONLY_INDEXES below.)
    __table_args__ = (sa.Index("ix_people_restricted_id", "id", postgresql_where=sa.text("restricted IS true"),
                               sqlite_where=sa.text("restricted IS 1")),
                      sa.Index("ix_people_police_reference_lower", sa.func.lower(sa.text("police_reference"))))

    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    # Normalised "given family" (accents, apostrophes, hyphens and case folded) for search and duplicates.
    name_key: Mapped[str] = mapped_column(sa.String(220), index=True)
    date_of_birth: Mapped[date | None]
    estimated_age: Mapped[int | None]
    estimated_on: Mapped[date | None]
    # With neither a date of birth nor an estimate, why the age is not known (DOMAIN.md §2, §3.5): an explicit
    # answer, not silence. Held on the person, where the age itself is held; cleared when an age is recorded.
    age_not_known_reason: Mapped[str | None] = mapped_column(sa.String(200))
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex))
    gender_identity: Mapped[str | None] = mapped_column(sa.String(100))
    ethnicity: Mapped[Ethnicity | None] = mapped_column(str_enum(Ethnicity))
    home_area: Mapped[str | None] = mapped_column(sa.String(100))
    nhs_number: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    police_reference: Mapped[str | None] = mapped_column(sa.String(50))
    # The organisation that recorded the person; scoping also admits any provider holding a referral.
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    merged_at: Mapped[datetime | None]
    restricted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    anonymised_at: Mapped[datetime | None]
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version_id}

    organisation: Mapped[Organisation] = relationship()
    referrals: Mapped[list[Referral]] = relationship(back_populates="person", order_by="Referral.referred_on")

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def age_today(self) -> int | None:
        """Completed years today (from the estimate when there is no date of birth): shown beside the name."""

        return age_for_referral(self.date_of_birth, self.estimated_age, self.estimated_on, date.today())

    @property
    def age_recorded(self) -> bool:
        """A date of birth, an estimated age, or a reason the age is not known: false only for silence."""

        return self.date_of_birth is not None or self.estimated_age is not None or bool(self.age_not_known_reason)


class Referral(Model):
    __tablename__ = "referrals"
    __table_args__ = (
        # The counting engine's index: reach by programme and date, and — with the trial arm, closure date
        # and person — continuing caseload read from the index alone (migration 0005 widened it).
        sa.Index("ix_referrals_programme_reached_arm_closed_person", "programme_id", "reached_on", "trial_arm",
                 "closed_on", "person_id"),
        # Referrals received in a period, by programme and trial arm, read from the index alone (the return).
        sa.Index("ix_referrals_referred_on_programme_id_trial_arm", "referred_on", "programme_id", "trial_arm"),
    )

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    referred_on: Mapped[date]
    referred_at: Mapped[datetime | None]  # time of referral, for hours to first contact
    source: Mapped[ReferralSource] = mapped_column(str_enum(ReferralSource))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    lawful_basis: Mapped[LawfulBasis] = mapped_column(str_enum(LawfulBasis))
    consent_recorded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    eligibility_override_reason: Mapped[str | None] = mapped_column(sa.Text)
    assigned_worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(
        str_enum(ReferralStatus), default=ReferralStatus.RECEIVED, index=True
    )
    trial_arm: Mapped[TrialArm] = mapped_column(str_enum(TrialArm), default=TrialArm.NONE)
    allocation_draw: Mapped[str | None] = mapped_column(sa.String(200))  # the recorded random draw
    closed_on: Mapped[date | None]
    closure_reason: Mapped[str | None] = mapped_column(sa.String(200))
    # Date of the first attended contact; derived, kept in step by the contact services.
    reached_on: Mapped[date | None] = mapped_column(index=True)
    first_contact_at: Mapped[datetime | None]  # first contact attempt, attended or not
    recorded_offline_at: Mapped[datetime | None]  # saved on a device without a connection (issue 14)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version_id}

    person: Mapped[Person] = relationship(back_populates="referrals")
    programme: Mapped[Programme] = relationship()
    site: Mapped[Site] = relationship()
    provider: Mapped[Organisation] = relationship()
    assigned_worker: Mapped[User | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(back_populates="referral", order_by="Contact.occurred_at")
    status_changes: Mapped[list[ReferralStatusChange]] = relationship(
        back_populates="referral", order_by="ReferralStatusChange.changed_at"
    )
    outcomes: Mapped[list[Outcome]] = relationship(back_populates="referral")
    measures: Mapped[list[OutcomeMeasure]] = relationship(back_populates="referral")


class ReferralStatusChange(Model):
    __tablename__ = "referral_status_changes"

    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    from_status: Mapped[ReferralStatus | None] = mapped_column(str_enum(ReferralStatus))
    to_status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus))
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(sa.Text)

    referral: Mapped[Referral] = relationship(back_populates="status_changes")
    changed_by: Mapped[User | None] = relationship()


class Contact(Model):
    __tablename__ = "contacts"
    __table_args__ = (
        sa.Index("ix_contacts_referral_id_attended_occurred_at", "referral_id", "attended", "occurred_at"),
        # Contacts delivered in a quarter: a range of this index instead of reading every contact ever logged.
        sa.Index("ix_contacts_occurred_at_attended_referral_id", "occurred_at", "attended", "referral_id"),
        # The few contacts recorded on a device without a connection, by when they happened (the return's note
        # on offline arrivals): an index of those only, not a read of the quarter's every contact.
        sa.Index("ix_contacts_offline_occurred_at", "occurred_at",
                 postgresql_where=sa.text("recorded_offline_at IS NOT NULL"),
                 sqlite_where=sa.text("recorded_offline_at IS NOT NULL")),
        sa.CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration_not_negative"),
    )

    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id"))
    occurred_at: Mapped[datetime]
    duration_minutes: Mapped[int | None]
    mode: Mapped[ContactMode] = mapped_column(str_enum(ContactMode))
    attended: Mapped[bool]
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # Written down on a device without a connection (issue 14): when the worker saved it there. occurred_at
    # stays the time it happened; created_at is when it reached the server.
    recorded_offline_at: Mapped[datetime | None]

    referral: Mapped[Referral] = relationship(back_populates="contacts")
    worker: Mapped[User | None] = relationship()


class Outcome(Model):
    __tablename__ = "outcomes"

    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    outcome_type: Mapped[str] = mapped_column(sa.String(200))
    achieved_on: Mapped[date] = mapped_column(index=True)  # outcomes of a period (section F)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    referral: Mapped[Referral] = relationship(back_populates="outcomes")


class OutcomeMeasure(Model):
    __tablename__ = "outcome_measures"

    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    instrument: Mapped[str] = mapped_column(sa.String(200))
    time_point: Mapped[TimePoint] = mapped_column(str_enum(TimePoint))
    value: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2))
    measured_on: Mapped[date] = mapped_column(index=True)  # measures taken in a period (section F)
    higher_is_better: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    referral: Mapped[Referral] = relationship(back_populates="measures")
