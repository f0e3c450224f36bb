"""The demo VRU from the 2024-25 Response Strategy (seeds/001 L571-592); `flask demo-data` is in ``app.demo_years``.

Deterministic (seeded) and idempotent: a second run finds the VRU and creates nothing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.auth.models import Organisation, OrganisationKind, User
from app.auth.roles import Role
from app.auth.services import create_user
from app.db import db
from app.programmes.models import (
    Cohort, CountingWindow, EvaluationStage, HomeOfficeCategory, Programme, ProgrammeKind, Site, SiteSetting,
    Target, TargetMeasure, TrainingAttendee, TrainingEvent,
)
from app.referrals.ethnicity import Ethnicity
from app.referrals.models import (
    Contact, ContactMode, LawfulBasis, Outcome, OutcomeMeasure, Person, Referral, ReferralSource,
    ReferralStatusChange, Sex, TimePoint, TrialArm,
)
from app.referrals.names import name_key
from app.referrals.reach import recompute_reach
from app.referrals.transitions import ReferralStatus as St
from app.finance.models import BudgetLine, Expenditure, GrantYear, LineType, MatchContribution, MatchKind, MatchStatus, Secondment, SpendKind
from app.periods import fy_quarter_of

VRU_NAME = "Thames Valley Violence Reduction Unit"
DOMAIN = "example.org"

HOSPITAL_SITES = [  # (A&E department, provider)
    ("Royal Berkshire Hospital A&E, Reading", "Berkshire Youth Navigators"),
    ("John Radcliffe Hospital A&E, Oxford", "Oxford Youth Works"),
    ("Wexham Park Hospital A&E, Slough", "Slough Reach Project"),
    ("Stoke Mandeville Hospital A&E, Aylesbury", "Aylesbury Vale Youth Matters"),
    ("Milton Keynes University Hospital A&E", "MK Youth Navigators"),
]
CUSTODY_SITES = [
    ("Loddon Valley custody suite", "Royals Community Trust"),
    ("Milton Keynes custody suite", "Dons Community Trust"),
]
SCHOOLS = ["Kennet Valley Academy", "Cherwell Park School", "Slough Grammar Free School", "Bletchley Hill Academy"]
SCHOOL_PROVIDER = "Youth Navigators Partnership"
FD_TEAM = "Slough Borough Focused Deterrence Team"

# name, kind, category, tiers, cohort, ages, cap, cadence, trial, (24-, 25+, professionals), site, provider
PROGRAMMES = [
    ("Hospital Navigators", ProgrammeKind.HOSPITAL, HomeOfficeCategory.EARLY_INTERVENTION, ["secondary", "tertiary"],
     Cohort.TARGETED, (10, 30), None, None, False, (300, 75, None)),
    ("School Navigators", ProgrammeKind.SCHOOL, HomeOfficeCategory.EARLY_INTERVENTION, ["secondary"],
     Cohort.TARGETED, (11, 16), 6, 7, True, (140, None, None)),
    ("Custody Coaches", ProgrammeKind.CUSTODY, HomeOfficeCategory.DESISTANCE, ["tertiary"],
     Cohort.TARGETED, (18, 25), 12, 7, True, (80, None, None)),
    ("Focused Deterrence", ProgrammeKind.FOCUSED_DETERRENCE, HomeOfficeCategory.DESISTANCE, ["tertiary"],
     Cohort.TARGETED, (14, 25), None, None, True, (40, None, None)),
    ("Sports and Inclusion", ProgrammeKind.COMMUNITY, HomeOfficeCategory.PREVENTION, ["primary", "secondary"],
     Cohort.TARGETED, (10, 24), None, None, False, (130, None, None)),
    ("Op Paramount", ProgrammeKind.OTHER, HomeOfficeCategory.EARLY_INTERVENTION, ["secondary"],
     Cohort.TARGETED, (10, 24), None, None, False, (50, None, None)),
    ("Stay True to You", ProgrammeKind.COMMUNITY, HomeOfficeCategory.PREVENTION, ["primary"],
     Cohort.UNIVERSAL, (None, None), None, None, False, (50, 60, 300)),
    ("SEND Training for SEND schools", ProgrammeKind.TRAINING, HomeOfficeCategory.PREVENTION, ["primary"],
     Cohort.PROFESSIONALS, (None, None), None, None, False, (50, None, None)),
    ("Blue Light Mentoring", ProgrammeKind.COMMUNITY, HomeOfficeCategory.PREVENTION, ["secondary"],
     Cohort.TARGETED, (10, 24), None, None, False, (3, None, 3)),
    ("Sustainable Training", ProgrammeKind.TRAINING, HomeOfficeCategory.PREVENTION, ["primary"],
     Cohort.PROFESSIONALS, (None, None), None, None, False, (None, None, 750)),
]
OTHER_PROVIDERS = {
    "Sports and Inclusion": ("Thames Valley Sport for Change", SiteSetting.COMMUNITY_VENUE, "Community hubs"),
    "Op Paramount": ("Thames Valley Police – Op Paramount", SiteSetting.OTHER, "County lines team"),
    "Stay True to You": ("True Self Youth Theatre", SiteSetting.COMMUNITY_VENUE, "Touring schools and venues"),
    "SEND Training for SEND schools": ("SEND Partnership Trust", SiteSetting.SCHOOL, "SEND schools"),
    "Blue Light Mentoring": ("Blue Light Youth Mentors", SiteSetting.COMMUNITY_VENUE, "Fire stations"),
    "Sustainable Training": ("Violence Prevention Training Collective", SiteSetting.OTHER, "Online and in person"),
}
AGE_NOT_KNOWN_REASONS = ["Would not give a date of birth and no ID was seen",
                         "Brought in unconscious; no ID with them", "Declined to say; referrer did not know"]
REASONS = {
    ProgrammeKind.HOSPITAL: ["Stab wound, attended A&E", "Assault injury, attended A&E", "Injury from a fight near school"],
    ProgrammeKind.SCHOOL: ["First fixed-term suspension for a fight", "Carried a bladed article in school",
                           "Suspended after threatening behaviour"],
    ProgrammeKind.CUSTODY: ["Arrested for possession of a bladed article", "Arrested after a street fight",
                            "Arrested for robbery"],
    ProgrammeKind.FOCUSED_DETERRENCE: ["Focused deterrence cohort: knife carrying", "Call-in attendee"],
}
SOURCES = {
    ProgrammeKind.HOSPITAL: ReferralSource.AE_CLINICIAN, ProgrammeKind.SCHOOL: ReferralSource.SCHOOL,
    ProgrammeKind.CUSTODY: ReferralSource.CUSTODY_STAFF, ProgrammeKind.FOCUSED_DETERRENCE: ReferralSource.POLICE,
}


@dataclass
class DemoLogin:
    email: str
    role: str
    organisation: str


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())[:20]


def demo_present() -> bool:
    return db.session.execute(sa.select(Organisation.id).where(Organisation.name == VRU_NAME)).first() is not None


def demo_logins() -> list[DemoLogin]:
    rows = db.session.execute(
        sa.select(User.email, User.role, Organisation.name).join(Organisation)
        .where(User.is_demo.is_(True)).order_by(User.role, User.email)
    ).all()
    return [DemoLogin(email, role.label, org) for email, role, org in rows]


def build_demo(password: str, *, people: int = 400, seed: int = 2024, today: date | None = None,
               progress=lambda n: None) -> None:
    """Create the demo VRU (2023-24 and 2024-25; ``app.demo_years`` adds the years after). Caller commits.
    ``progress(n)`` is told of each step done (``demo_years.build_steps(people)`` in all)."""
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    today = today or date.today()

    orgs: dict[str, Organisation] = {}

    def org(name, kind, consortium=None):
        if name not in orgs:
            orgs[name] = Organisation(name=name, kind=kind, consortium=consortium)
            db.session.add(orgs[name])
        return orgs[name]

    vru = org(VRU_NAME, OrganisationKind.VRU)
    for _, provider in HOSPITAL_SITES:
        org(provider, OrganisationKind.VCS_PROVIDER, consortium="Thames Valley Hospital Navigators Consortium")
    for _, provider in CUSTODY_SITES:
        org(provider, OrganisationKind.VCS_PROVIDER)
    org(SCHOOL_PROVIDER, OrganisationKind.VCS_PROVIDER)
    org(FD_TEAM, OrganisationKind.STATUTORY)
    for provider, _, _ in OTHER_PROVIDERS.values():
        org(provider, OrganisationKind.VCS_PROVIDER)
    for school in SCHOOLS:
        org(school, OrganisationKind.SCHOOL)
    org("Oxford Brookes Evaluation Unit", OrganisationKind.EVALUATOR)
    db.session.flush()
    progress(1)

    users: dict[str, list[User]] = {}

    def user(email_local, full_name, role, organisation):
        u = create_user(email=f"{email_local}@{DOMAIN}", full_name=full_name, password=password, role=role,
                        organisation=organisation, is_demo=True)
        users.setdefault(organisation.name, []).append(u)
        return u

    user("programme.office", "Priya Shah", Role.PROGRAMME_OFFICE, vru)
    user("finance", "Tom Hughes", Role.FINANCE, vru)
    user("admin", "Alex Morgan", Role.ADMIN, vru)
    # Every delivering organisation gets a manager and two workers, so reassigning has somewhere to go.
    delivering = [p for _, p in HOSPITAL_SITES + CUSTODY_SITES] + [SCHOOL_PROVIDER, FD_TEAM] + [
        p for p, _, _ in OTHER_PROVIDERS.values()]
    for i, provider in enumerate(delivering):
        o = orgs[provider]
        slug = _slug(provider)
        if i == 0:  # Reading: the documented demo logins
            user("manager", "Sam Okafor", Role.PROVIDER_MANAGER, o)
            user("worker", "Jordan Ellis", Role.YOUTH_WORKER, o)
            user("worker2", "Casey Brown", Role.YOUTH_WORKER, o)
        else:
            user(f"manager.{slug}", fake.name(), Role.PROVIDER_MANAGER, o)
            user(f"worker.{slug}", fake.name(), Role.YOUTH_WORKER, o)
            user(f"worker2.{slug}", fake.name(), Role.YOUTH_WORKER, o)

    programmes: dict[str, Programme] = {}
    for (name, kind, cat, tiers, cohort, (lo, hi), cap, cadence, trial, targets) in PROGRAMMES:
        p = Programme(name=name, kind=kind, ho_category=cat, tiers=tiers, cohort=cohort, min_age=lo, max_age=hi,
                      session_cap=cap, cadence_days=cadence, trial_enabled=trial, trial_seed=seed if trial else None,
                      evaluation_stage=EvaluationStage.GATE_3 if trial else EvaluationStage.GATE_1,
                      referral_trigger=(REASONS.get(kind) or [None])[0])
        db.session.add(p)
        programmes[name] = p
        for fy in (2023, 2024):
            scale = 1.0 if fy == 2024 else 0.8
            for measure, value in zip(TargetMeasure, targets, strict=False):
                if value is not None:
                    db.session.add(Target(programme=p, fy=fy, measure=measure, value=round(value * scale)))
    db.session.flush()
    # School Navigators count over the academic delivery period (001 L592).
    for fy in (2023, 2024):
        db.session.add(CountingWindow(programme=programmes["School Navigators"], fy=fy,
                                      starts_on=date(fy, 9, 1), ends_on=date(fy + 1, 3, 31)))

    sites: dict[str, list[Site]] = {}

    def site(pname, sname, setting, provider):
        s = Site(programme=programmes[pname], name=sname, setting=setting, provider=orgs[provider])
        db.session.add(s)
        sites.setdefault(pname, []).append(s)

    for sname, provider in HOSPITAL_SITES:
        site("Hospital Navigators", sname, SiteSetting.A_AND_E, provider)
    for sname, provider in CUSTODY_SITES:
        site("Custody Coaches", sname, SiteSetting.CUSTODY_SUITE, provider)
    for school in SCHOOLS:
        site("School Navigators", school, SiteSetting.SCHOOL, SCHOOL_PROVIDER)
    site("Focused Deterrence", "Slough", SiteSetting.COMMUNITY_VENUE, FD_TEAM)
    for pname, (provider, setting, sname) in OTHER_PROVIDERS.items():
        site(pname, sname, setting, provider)
    db.session.flush()
    progress(1)

    _training(rng, fake, programmes, users)
    progress(1)
    _people_and_referrals(rng, fake, programmes, sites, users, people, today, progress)
    _finance(programmes, users)
    progress(1)


def _training(rng, fake, programmes, users) -> None:
    for pname, events in (("Sustainable Training", 14), ("Stay True to You", 6), ("Blue Light Mentoring", 1)):
        for i in range(events):
            held = date(2024, 4, 10) + timedelta(days=int(i * 350 / max(events, 1)))
            ev = TrainingEvent(programme=programmes[pname], held_on=held, title=f"{pname} session {i + 1}")
            if i % 3 == 0:
                ev.anonymous_count = rng.randint(20, 60)
            else:
                for _ in range(rng.randint(8, 25)):
                    name = fake.name()
                    ev.attendees.append(TrainingAttendee(professional_key=name.lower(), name=name,
                                                         role_title=rng.choice(["Teacher", "Nurse", "PCSO", "Youth worker"])))
            db.session.add(ev)


def _people_and_referrals(rng, fake, programmes, sites, users, n_people, today, progress=lambda n: None) -> None:
    casework = [("Hospital Navigators", 0.45), ("School Navigators", 0.2), ("Custody Coaches", 0.15),
                ("Focused Deterrence", 0.06), ("Sports and Inclusion", 0.1), ("Op Paramount", 0.04)]
    names, weights = zip(*casework, strict=False)
    start = date(2023, 4, 3)
    span = (date(2025, 3, 20) - start).days
    ethnicities = list(Ethnicity)
    for i in range(n_people):
        pname = rng.choices(names, weights)[0]
        programme = programmes[pname]
        s = rng.choice(sites[pname])
        # A share of referrals are recent, so caseloads have live work in them.
        recent = i % 8 == 0
        if recent:
            referred_on = today - timedelta(days=rng.randint(0, 50))
        else:
            referred_on = start + timedelta(days=rng.randint(0, span))
            if pname == "School Navigators" and referred_on.month in (7, 8):
                referred_on = referred_on.replace(month=9, day=min(referred_on.day, 30))
        lo, hi = programme.min_age or 12, programme.max_age or 24
        age = rng.randint(lo, hi)
        if pname == "Hospital Navigators" and rng.random() < 0.2:
            age = rng.randint(25, 30)
        dob = referred_on - timedelta(days=age * 365 + rng.randint(0, 364))
        sex = rng.choices([Sex.MALE, Sex.FEMALE, Sex.NOT_KNOWN], [0.72, 0.26, 0.02])[0]
        given = fake.first_name_male() if sex is Sex.MALE else fake.first_name_female()
        family = fake.last_name()
        person = Person(given_name=given, family_name=family, name_key=name_key(given, family),
                        date_of_birth=dob if rng.random() > 0.03 else None,
                        sex=sex, ethnicity=rng.choice(ethnicities) if rng.random() > 0.05 else None,
                        home_area=fake.city(), organisation=s.provider)
        if person.date_of_birth is None and rng.random() < 0.5:
            person.estimated_age, person.estimated_on = age, referred_on
        elif person.date_of_birth is None:  # never silence (DOMAIN.md §3.5); chosen without drawing, so the
            person.age_not_known_reason = AGE_NOT_KNOWN_REASONS[i % len(AGE_NOT_KNOWN_REASONS)]  # figures hold
        db.session.add(person)
        _referral(rng, programme, s, person, referred_on, users, today)
        # Returning people: an earlier closed referral, then a new one in 2024-25.
        if not recent and referred_on < date(2023, 10, 1) and rng.random() < 0.12:
            _referral(rng, programme, s, person, referred_on + timedelta(days=rng.randint(300, 420)), users, today)
        if i % 25 == 24 or i == n_people - 1:
            progress(1)
    db.session.flush()


def _referral(rng, programme, s, person, referred_on, users, today) -> Referral:
    workers = [u for u in users[s.provider.name] if u.role is Role.YOUTH_WORKER]
    kind = programme.kind
    referred_at = datetime.combine(referred_on, time(rng.randint(8, 22), rng.choice([0, 15, 30, 45])))
    arm = TrialArm.NONE
    if programme.trial_enabled:
        arm = TrialArm.CONTROL if rng.random() < 0.3 else TrialArm.INTERVENTION
    r = Referral(person=person, programme=programme, site=s, provider=s.provider, referred_on=referred_on,
                 referred_at=referred_at, source=SOURCES.get(kind, ReferralSource.OTHER),
                 reason=rng.choice(REASONS.get(kind, ["Identified as at risk of serious violence"])),
                 lawful_basis=LawfulBasis.PUBLIC_TASK if kind in (ProgrammeKind.CUSTODY, ProgrammeKind.FOCUSED_DETERRENCE)
                 else LawfulBasis.CONSENT, consent_recorded=True, assigned_worker=rng.choice(workers),
                 status=St.RECEIVED, trial_arm=arm,
                 allocation_draw=f"seed={programme.trial_seed} draw={rng.random():.6f}" if arm is not TrialArm.NONE else None)
    db.session.add(r)
    db.session.flush()
    history = [(None, St.RECEIVED, referred_at)]
    outcome_roll = rng.random()
    when = referred_at + timedelta(hours=rng.choice([1, 2, 3, 5, 8, 20, 30, 50]))
    if arm is TrialArm.CONTROL or when.date() + timedelta(days=14) > today:
        pass  # control arm: follow-up only, never reached; or too recent for anyone to have been contacted yet
    elif outcome_roll < 0.08:
        history.append((St.RECEIVED, St.UNABLE_TO_CONTACT, when + timedelta(days=14)))
        _contact(r, when, False, rng, users)
        _contact(r, when + timedelta(days=3), False, rng, users)
    elif outcome_roll < 0.12:
        _contact(r, when, True, rng, users, mode=ContactMode.PHONE)
        history.append((St.RECEIVED, St.CONTACTED, when))
        history.append((St.CONTACTED, St.DECLINED, when + timedelta(minutes=20)))
    else:
        n = rng.randint(1, (programme.session_cap or 8))
        gap = programme.cadence_days or rng.choice([3, 7, 10, 14])
        t = when
        for k in range(n):
            if t.date() > today:
                break
            attended = k == 0 or rng.random() > 0.18
            _contact(r, t, attended, rng, users)
            if k == 0:
                history.append((St.RECEIVED, St.CONTACTED, t))
                history.append((St.CONTACTED, St.ENGAGED, t + timedelta(minutes=30)))
            t += timedelta(days=gap, hours=rng.randint(-3, 3))
        if rng.random() < 0.7:
            r.outcomes.append(Outcome(outcome_type=rng.choice(programme.outcome_types or ["Signposted to service"]),
                                      achieved_on=min(t.date(), today)))
            base = rng.randint(6, 10)
            r.measures.append(OutcomeMeasure(instrument="Distress (0–10)", time_point=TimePoint.BASELINE,
                                             value=base, measured_on=when.date()))
            r.measures.append(OutcomeMeasure(instrument="Distress (0–10)", time_point=TimePoint.EXIT,
                                             value=max(0, base - rng.randint(0, 5)), measured_on=min(t.date(), today)))
    last = history[-1]
    # Close older cases; leave a band of early-2024 cases open to show carry-over into 2024-25.
    carry_over = date(2024, 2, 1) <= referred_on <= date(2024, 3, 31)
    closable = (today - referred_on).days > 90 and not (carry_over and rng.random() < 0.6) and arm is not TrialArm.CONTROL
    if closable and last[1] is not St.CLOSED:
        closed_at = max(last[2], datetime.combine(referred_on, time(12))) + timedelta(days=rng.randint(20, 120))
        history.append((last[1], St.CLOSED, closed_at))
        r.closed_on = closed_at.date()
        r.closure_reason = rng.choice(["Support plan completed", "Moved out of area", "Disengaged",
                                       "Referred on to specialist service"])
    for frm, to, at in history:
        db.session.add(ReferralStatusChange(referral=r, from_status=frm, to_status=to, changed_at=at,
                                            changed_by=r.assigned_worker))
    r.status = history[-1][1]
    recompute_reach(r)
    return r


def _contact(r, at, attended, rng, users, mode=None):
    db.session.add(Contact(referral=r, occurred_at=at, attended=attended,
                           duration_minutes=rng.choice([20, 30, 45, 60]) if attended else None,
                           mode=mode or rng.choice([ContactMode.IN_SETTING, ContactMode.ONE_TO_ONE, ContactMode.PHONE]),
                           worker=r.assigned_worker, notes=None if attended else "Did not attend"))


# --- finance (DOMAIN.md §4; seeds/001 L238-251, L298-338) ---------------------------------------

# (line name, type, programme or None, planned £, share of the plan actually spent)
FINANCE_LINES_2024 = [
    ("VPP programme team", "programme_team", None, 390_000, "1"),
    ("Evaluating what works", "evaluation", None, 140_000, "0.97"),
    ("Sustainable training", "training", None, 60_000, "1"),
    ("Hospital Navigators", "intervention", "Hospital Navigators", 125_000, "1"),
    ("School Navigators", "intervention", "School Navigators", 140_000, "0.98"),
    ("Custody Coaches", "intervention", "Custody Coaches", 0, "0"),  # "Funded 23/24"
    ("Focused Deterrence", "intervention", "Focused Deterrence", 170_000, "1"),
    ("Sports and Inclusion", "intervention", "Sports and Inclusion", 180_000, "0.95"),
    ("Op Paramount", "intervention", "Op Paramount", 7_500, "1"),
    ("Stay True to You", "intervention", "Stay True to You", 20_000, "1"),
    # MASH is a funded post in the Multi-Agency Safeguarding Hub, not a programme with referrals of its own,
    # so it is an intervention line without a programme (it still counts towards the 30% rule).
    ("MASH", "intervention", None, 120_000, "1"),
    ("SEND", "intervention", "SEND Training for SEND schools", 60_000, "1"),
    ("Blue Light Mentoring", "intervention", "Blue Light Mentoring", 10_000, "0.9"),
    ("Data sharing (Thames Valley Together)", "data_sharing", None, 75_000, "0.92"),
]
# Mobilisation is slow in Q1 and spend builds through the year; Q4 stays under the 35% warning.
QUARTER_WEIGHTS = {1: "0.20", 2: "0.24", 3: "0.26", 4: "0.30"}


def _finance(programmes, users) -> None:
    """2024-25 grant (£1.51m, 20% match) with a year of monthly spend, and the 2023-24 grant that funds
    Custody Coaches. Small and deterministic; skipped if a 2024-25 grant year already exists."""
    from decimal import Decimal as D


    if db.session.execute(sa.select(GrantYear.id).where(GrantYear.fy == 2024)).first():
        return
    finance_user = next(u for us in users.values() for u in us if u.role is Role.FINANCE)
    g23 = GrantYear(fy=2023, funder="Home Office", allocation=D("1530000"), match_pct=D("15"),
                    grant_reference="VRU-TV-2023-24", sro_name="Deputy Police and Crime Commissioner")
    g24 = GrantYear(fy=2024, funder="Home Office", allocation=D("1510000"), match_pct=D("20"),
                    grant_reference="VRU-TV-2024-25", sro_name="Deputy Police and Crime Commissioner")
    db.session.add_all([g23, g24])
    db.session.flush()
    db.session.add(BudgetLine(grant_year=g23, name="Custody Coaches", line_type=LineType.INTERVENTION,
                              programme=programmes["Custody Coaches"], planned=D("150000")))

    def spend(line, on, amount, kind, funded_by, text):
        fy, quarter = fy_quarter_of(on)
        db.session.add(Expenditure(line=line, funded_by=funded_by, incurred_on=on, fy=fy, quarter=quarter,
                                   amount=amount, kind=kind, description=text, recorded_by_id=finance_user.id,
                                   import_key=f"demo:{line.name}:{on.isoformat()}:{kind.value}"))

    for name, line_type, programme, planned, spent in FINANCE_LINES_2024:
        line = BudgetLine(grant_year=g24, name=name, line_type=LineType(line_type), planned=D(planned),
                          programme=programmes.get(programme) if programme else None)
        db.session.add(line)
        if not planned:
            # Custody Coaches: delivered in 2024-25, paid for by the 2023-24 grant.
            for month in range(4, 13):
                spend(line, date(2024, month, 28), D("10500.00"), SpendKind.ACTUAL, g23,
                      "Football community trusts: coaching sessions")
            continue
        target = (D(planned) * D(spent)).quantize(D("0.01"))
        for quarter, weight in QUARTER_WEIGHTS.items():
            months = [(4, 5, 6), (7, 8, 9), (10, 11, 12), (1, 2, 3)][quarter - 1]
            year = 2024 if quarter < 4 else 2025
            # The forecast made at the start of the year is the planned profile (full allocation).
            spend(line, date(year, months[1], 15), (D(planned) * D(weight)).quantize(D("0.01")),
                  SpendKind.FORECAST, g24, "Budget profile")
            quarter_total = (target * D(weight)).quantize(D("0.01"))
            if quarter == 4:
                quarter_total = target - sum(((target * D(w)).quantize(D("0.01"))
                                              for q, w in QUARTER_WEIGHTS.items() if q < 4), D(0))
            monthly = (quarter_total / 3).quantize(D("0.01"))
            for i, month in enumerate(months):
                amount = monthly if i < 2 else quarter_total - 2 * monthly
                spend(line, date(year, month, 25), amount, SpendKind.ACTUAL, g24, f"{name}: monthly invoice")

    police = "Thames Valley Police"
    for role, cost, fte in (("Inspector", "85000", "1"), ("Sergeant", "72000", "1"), ("Sergeant", "72000", "1"),
                            ("Constable", "60000", "0.5")):
        db.session.add(Secondment(contributor=police, role=role, fte=D(fte), starts_on=date(2024, 4, 1),
                                  ends_on=date(2025, 3, 31), annual_loaded_cost=D(cost),
                                  status=MatchStatus.ACCEPTED, evidence_note="Secondment agreement SA-2024-07"))
    db.session.add(MatchContribution(
        grant_year=g24, contributor="Office of the Police and Crime Commissioner", kind=MatchKind.CASH,
        basis="Community Safety Fund grant to Sports and Inclusion", amount=D("50000"),
        received_on=date(2024, 7, 1), status=MatchStatus.ACCEPTED, evidence_note="Remittance CSF-4471"))
    db.session.add(MatchContribution(
        grant_year=g24, contributor="Slough Borough Council", kind=MatchKind.IN_KIND,
        basis="Venue hire for Focused Deterrence call-ins", amount=D("8000"), received_on=date(2025, 1, 10),
        status=MatchStatus.PLEDGED))
    db.session.flush()
