"""One factory per model, bound to the test session (DESIGN.md §5)."""
from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace

import factory
import pyotp
from factory.alchemy import SQLAlchemyModelFactory

from app.auth.models import Organisation, OrganisationKind, User
from app.auth.roles import Role, two_factor_required
from app.db import db
from app.programmes.models import (
    Cohort, CountingWindow, HomeOfficeCategory, Programme, ProgrammeKind, Site, SiteSetting, Target, TargetMeasure,
    TrainingAttendee, TrainingEvent,
)
from app.referrals.models import (
    Contact, ContactMode, LawfulBasis, Outcome, OutcomeMeasure, Person, Referral, ReferralSource,
    ReferralStatusChange, Sex, TimePoint,
)
from app.referrals.names import name_key
from app.referrals.transitions import ReferralStatus

_hash_cache: dict[str, str] = {}


def password_hash(password: str) -> str:
    from app.auth.passwords import hash_password

    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - resolved per test (swapped session)
        sqlalchemy_session_persistence = "flush"


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = OrganisationKind.VCS_PROVIDER


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password_hash = factory.LazyFunction(lambda: password_hash("correct horse battery staple"))
    role = Role.YOUTH_WORKER
    organisation = factory.SubFactory(OrganisationFactory)
    # Roles that must use a second factor have one set up, as they would after their first sign-in.
    totp_secret = factory.LazyAttribute(lambda o: pyotp.random_base32() if two_factor_required(o.role) else None)


class ProgrammeFactory(Base):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Programme {n}")
    kind = ProgrammeKind.HOSPITAL
    ho_category = HomeOfficeCategory.EARLY_INTERVENTION
    cohort = Cohort.TARGETED
    tiers = factory.LazyFunction(lambda: ["secondary"])


class SiteFactory(Base):
    class Meta:
        model = Site

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    setting = SiteSetting.A_AND_E
    provider = factory.SubFactory(OrganisationFactory)


class CountingWindowFactory(Base):
    class Meta:
        model = CountingWindow

    programme = factory.SubFactory(ProgrammeFactory)
    fy = 2024
    starts_on = date(2024, 9, 1)
    ends_on = date(2025, 3, 31)


class TargetFactory(Base):
    class Meta:
        model = Target

    programme = factory.SubFactory(ProgrammeFactory)
    fy = 2024
    measure = TargetMeasure.NEW_24_AND_UNDER
    value = 100


class TrainingEventFactory(Base):
    class Meta:
        model = TrainingEvent

    programme = factory.SubFactory(ProgrammeFactory)
    held_on = date(2024, 6, 1)
    title = factory.Sequence(lambda n: f"Training {n}")


class TrainingAttendeeFactory(Base):
    class Meta:
        model = TrainingAttendee

    event = factory.SubFactory(TrainingEventFactory)
    name = factory.Sequence(lambda n: f"Professional {n}")
    professional_key = factory.LazyAttribute(lambda o: o.name.lower())


class PersonFactory(Base):
    class Meta:
        model = Person

    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    name_key = factory.LazyAttribute(lambda o: name_key(o.given_name, o.family_name))
    date_of_birth = date(2008, 5, 17)
    sex = Sex.MALE
    organisation = factory.SubFactory(OrganisationFactory)


class ReferralFactory(Base):
    class Meta:
        model = Referral

    person = factory.SubFactory(PersonFactory)
    site = factory.SubFactory(SiteFactory)
    programme = factory.LazyAttribute(lambda o: o.site.programme)
    provider = factory.LazyAttribute(lambda o: o.site.provider)
    referred_on = date(2024, 6, 3)
    referred_at = factory.LazyAttribute(lambda o: datetime.combine(o.referred_on, time(10, 0)))
    source = ReferralSource.AE_CLINICIAN
    lawful_basis = LawfulBasis.CONSENT
    status = ReferralStatus.RECEIVED


class ReferralStatusChangeFactory(Base):
    class Meta:
        model = ReferralStatusChange

    referral = factory.SubFactory(ReferralFactory)
    to_status = ReferralStatus.RECEIVED
    changed_at = datetime(2024, 6, 3, 10, 0)


class ContactFactory(Base):
    class Meta:
        model = Contact

    referral = factory.SubFactory(ReferralFactory)
    occurred_at = datetime(2024, 6, 4, 11, 0)
    mode = ContactMode.ONE_TO_ONE
    attended = True
    duration_minutes = 45


class OutcomeFactory(Base):
    class Meta:
        model = Outcome

    referral = factory.SubFactory(ReferralFactory)
    outcome_type = "Signposted to service"
    achieved_on = date(2024, 7, 1)


class OutcomeMeasureFactory(Base):
    class Meta:
        model = OutcomeMeasure

    referral = factory.SubFactory(ReferralFactory)
    instrument = "Distress (0–10)"
    time_point = TimePoint.BASELINE
    value = 8
    measured_on = date(2024, 6, 4)


def _import_run(organisation, user):
    from app.imports.models import ImportRun

    run = ImportRun(organisation=organisation, created_by=user, filename="casework.csv", headers=["Case number"],
                    content=b"Case number\nR1\n")
    db.session.add(run)
    db.session.flush()
    return run


def build_world() -> SimpleNamespace:
    """Two providers delivering one programme, with staff of every role and one case each."""
    vru = OrganisationFactory(name="Test VRU", kind=OrganisationKind.VRU)
    org_a = OrganisationFactory(name="Provider A")
    org_b = OrganisationFactory(name="Provider B")
    programme = ProgrammeFactory(name="Hospital Navigators (test)", min_age=10, max_age=30,
                                 outcome_types=["Signposted to service", "No re-attendance at A&E"])
    site_a = SiteFactory(programme=programme, name="A&E A", provider=org_a)
    site_b = SiteFactory(programme=programme, name="A&E B", provider=org_b)
    w = SimpleNamespace(vru=vru, org_a=org_a, org_b=org_b, programme=programme, site_a=site_a, site_b=site_b)
    w.worker_a = UserFactory(email="worker.a@example.org", organisation=org_a, role=Role.YOUTH_WORKER)
    w.worker_a2 = UserFactory(email="worker.a2@example.org", organisation=org_a, role=Role.YOUTH_WORKER)
    w.manager_a = UserFactory(email="manager.a@example.org", organisation=org_a, role=Role.PROVIDER_MANAGER)
    w.worker_b = UserFactory(email="worker.b@example.org", organisation=org_b, role=Role.YOUTH_WORKER)
    w.manager_b = UserFactory(email="manager.b@example.org", organisation=org_b, role=Role.PROVIDER_MANAGER)
    w.programme_office = UserFactory(email="po@example.org", organisation=vru, role=Role.PROGRAMME_OFFICE)
    w.finance = UserFactory(email="finance@example.org", organisation=vru, role=Role.FINANCE)
    w.admin = UserFactory(email="admin@example.org", organisation=vru, role=Role.ADMIN)
    w.person_a = PersonFactory(given_name="Amara", family_name="Okoye", organisation=org_a)
    w.person_b = PersonFactory(given_name="Bethany", family_name="Clarke", organisation=org_b)
    w.referral_a = ReferralFactory(person=w.person_a, site=site_a, assigned_worker=w.worker_a)
    w.referral_b = ReferralFactory(person=w.person_b, site=site_b, assigned_worker=w.worker_b)
    w.contact_a = ContactFactory(referral=w.referral_a)
    w.contact_b = ContactFactory(referral=w.referral_b)
    w.target = TargetFactory(programme=programme)
    # No attendees: it adds nothing to any count, but gives the training-event pages an id to open.
    w.training_event = TrainingEventFactory(programme=programme, title="Trauma-informed practice (world)")
    w.import_run = _import_run(org_a, w.manager_a)
    w.import_run_b = _import_run(org_b, w.manager_b)
    w.users_by_role = {
        Role.YOUTH_WORKER: w.worker_a, Role.PROVIDER_MANAGER: w.manager_a, Role.PROGRAMME_OFFICE: w.programme_office,
        Role.FINANCE: w.finance, Role.ADMIN: w.admin,
    }
    add_finance_world(w)
    return w


# --- finance ------------------------------------------------------------------------------------

from decimal import Decimal  # noqa: E402

from app.finance.models import (  # noqa: E402
    BudgetLine, Expenditure, GrantYear, LineType, MatchContribution, MatchKind, MatchStatus, Secondment, SpendKind,
)


class GrantYearFactory(Base):
    class Meta:
        model = GrantYear

    fy = 2024
    funder = "Home Office"
    allocation = Decimal("1510000")
    match_pct = Decimal("20")


class BudgetLineFactory(Base):
    class Meta:
        model = BudgetLine

    grant_year = factory.SubFactory(GrantYearFactory)
    name = factory.Sequence(lambda n: f"Line {n}")
    line_type = LineType.INTERVENTION
    planned = Decimal("100000")


class ExpenditureFactory(Base):
    class Meta:
        model = Expenditure

    line = factory.SubFactory(BudgetLineFactory)
    funded_by = factory.LazyAttribute(lambda o: o.line.grant_year)
    incurred_on = date(2024, 6, 15)
    fy = 2024
    quarter = 1
    amount = Decimal("1000")
    kind = SpendKind.ACTUAL


class MatchContributionFactory(Base):
    class Meta:
        model = MatchContribution

    grant_year = factory.SubFactory(GrantYearFactory)
    contributor = "Thames Valley Police"
    kind = MatchKind.CASH
    basis = "Cash contribution"
    amount = Decimal("50000")
    received_on = date(2024, 7, 1)
    status = MatchStatus.ACCEPTED


class SecondmentFactory(Base):
    class Meta:
        model = Secondment

    contributor = "Thames Valley Police"
    role = "Sergeant"
    fte = Decimal("1")
    starts_on = date(2024, 4, 1)
    ends_on = date(2025, 3, 31)
    annual_loaded_cost = Decimal("72000")
    status = MatchStatus.ACCEPTED


def add_finance_world(w) -> None:
    """A 2024-25 grant year with one line, one spend entry, one contribution and one secondment."""
    w.grant_year = GrantYearFactory()
    w.budget_line = BudgetLineFactory(grant_year=w.grant_year, name="Hospital Navigators", programme=w.programme)
    w.expenditure = ExpenditureFactory(line=w.budget_line)
    w.contribution = MatchContributionFactory(grant_year=w.grant_year)
    w.secondment = SecondmentFactory()
