"""The demo after 2024-25: every financial year from 2025-26 to the one the command runs in.

``app.demo`` builds 2024-25 exactly as the seeds give it (its figures are the documented ones). This adds,
for each later year up to today's: targets, School Navigators' counting window, a grant year with budget
lines, spend (actuals to date, the profile as forecast) and match funding, and casework — so no dashboard
says "No target" and no home page says "reached 2024-25". On the current year the programmes are
deliberately green, amber and red, and a few referrals received in the last days have no contact yet, so
their first-contact clocks are running.

Idempotent per year: a year that already has targets is left alone, so a second run creates nothing and a
run next year adds only the new year. ``flask demo-data`` runs both, with a progress bar.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

import click
import sqlalchemy as sa

from app.auth.models import User
from app.auth.roles import Role
from app.db import db
from app.demo import FINANCE_LINES_2024, PROGRAMMES, QUARTER_WEIGHTS, REASONS, SOURCES, build_demo, demo_logins
from app.demo import demo_present
from app.finance.models import BudgetLine, Expenditure, GrantYear, LineType, MatchContribution, MatchKind, MatchStatus
from app.finance.models import Secondment, SpendKind
from app.periods import Window, fy_bounds, fy_of, fy_quarter_of, fy_window, pro_rata_fraction
from app.programmes.models import CountingWindow, Programme, Site, Target, TargetMeasure, TrainingEvent
from app.referrals.ethnicity import Ethnicity
from app.referrals.models import (
    Contact, ContactMode, LawfulBasis, Outcome, Person, Referral, ReferralSource, ReferralStatusChange, Sex,
    TrialArm,
)
from app.referrals.names import name_key
from app.referrals.transitions import OPEN_STATUSES, ReferralStatus as St, can_move
from app.reports import counting

FIRST_LATER_YEAR = 2025
# Later years' targets are set to what the demo's casework can deliver (a fifth of 2024-25's).
TARGET_SCALE = D("0.2")
# How far along each casework programme is on the current year, against its expected figure so far:
# green at or above it, amber from 85%, red below (the targets dashboard's rule).
PACE = {"Hospital Navigators": D("1.15"), "School Navigators": D("0.9"), "Custody Coaches": D("0.5"),
        "Focused Deterrence": D("1.1"), "Sports and Inclusion": D("0.9"), "Op Paramount": D("0.55"),
        "Stay True to You": D("1.2"), "SEND Training for SEND schools": D("0.9"), "Blue Light Mentoring": D("0")}
TRAINING_PACE = {"Sustainable Training": D("1.2"), "Stay True to You": D("0.9"), "Blue Light Mentoring": D("0.4")}
PAST_PACE = D("0.95")  # a finished year: most programmes close to target
KEEP_IN_TOUCH_DAYS = 7  # an open case of a later year has a contact at least this often, up to the last days
WAITING = 6  # referrals of the last few days with no contact yet: first-contact clocks running


def years_to_add(today: date) -> list[int]:
    have = set(db.session.execute(sa.select(Target.fy).distinct()).scalars())
    return [fy for fy in range(FIRST_LATER_YEAR, fy_of(today) + 1) if fy not in have]


def extend_demo(today: date, *, seed: int = 2025, progress=lambda n: None) -> list[int]:
    """Add the later years (see the module docstring); returns the years added. Caller commits."""
    years = years_to_add(today)
    if not years:
        return []
    programmes = {p.name: p for p in db.session.execute(sa.select(Programme)).scalars()}
    sites: dict[str, list[Site]] = {}
    for s in db.session.execute(sa.select(Site).order_by(Site.id)).scalars():
        sites.setdefault(s.programme.name, []).append(s)
    workers: dict[int, list[User]] = {}
    for u in db.session.execute(sa.select(User).where(User.role == Role.YOUTH_WORKER).order_by(User.id)).scalars():
        workers.setdefault(u.organisation_id, []).append(u)
    finance_user = db.session.execute(sa.select(User).where(User.role == Role.FINANCE).order_by(User.id)).scalars().first()
    if FIRST_LATER_YEAR in years:
        _settle_seeded_years(random.Random(seed), today)
    for fy in years:
        rng = random.Random(seed * 10_000 + fy)
        _targets(fy, programmes)
        _finance_year(fy, today, programmes, finance_user)
        db.session.flush()
        as_at = min(today, fy_bounds(fy)[1])
        already = counting.reach_totals(fy, as_at=as_at)
        for pname, pace in PACE.items():
            p = programmes[pname]
            fraction = pro_rata_fraction(fy_window(fy) if pname != "School Navigators" else _school_window(fy), as_at)
            for measure, older in ((TargetMeasure.NEW_24_AND_UNDER, False), (TargetMeasure.NEW_25_AND_OVER, True)):
                band = "25_and_over" if older else "24_and_under"
                have = sum(n for k, n in already.items() if k.programme_id == p.id and k.band == band)
                target = db.session.execute(sa.select(Target.value).where(
                    Target.programme_id == p.id, Target.fy == fy, Target.measure == measure)).scalar_one_or_none()
                if not target:
                    continue
                wanted = int((D(target) * fraction * (pace if fy == fy_of(today) else PAST_PACE))
                             .to_integral_value()) - have
                for _ in range(max(0, wanted)):
                    _person_reached(rng, p, rng.choice(sites[pname]), fy, as_at, workers, older=older, today=today)
        for pname, pace in TRAINING_PACE.items():
            _training(rng, programmes[pname], fy, as_at, pace if fy == fy_of(today) else PAST_PACE)
        if fy == fy_of(today):
            for i in range(WAITING):
                p = programmes[("Hospital Navigators", "Custody Coaches", "School Navigators")[i % 3]]
                _waiting_referral(rng, p, rng.choice(sites[p.name]), today, workers, hours_ago=3 + 17 * i)
        db.session.flush()
        progress(1)
    return years


def _school_window(fy: int):
    return Window(date(fy, 9, 1), date(fy + 1, 3, 31))


def _targets(fy: int, programmes: dict[str, Programme]) -> None:
    for (name, *_rest, targets) in PROGRAMMES:
        for measure, value in zip(TargetMeasure, targets, strict=False):
            if value is not None:
                db.session.add(Target(programme=programmes[name], fy=fy, measure=measure,
                                      value=max(1, int((D(value) * TARGET_SCALE).to_integral_value()))))
    db.session.add(CountingWindow(programme=programmes["School Navigators"], fy=fy,
                                  starts_on=date(fy, 9, 1), ends_on=date(fy + 1, 3, 31)))


def _new_person(rng, site, referred_on, older: bool, min_age, max_age) -> Person:
    lo, hi = (25, 30) if older else (min_age or 12, min(max_age or 24, 24))
    age = rng.randint(lo, max(lo, hi))
    sex = rng.choices([Sex.MALE, Sex.FEMALE, Sex.NOT_KNOWN], [0.72, 0.26, 0.02])[0]
    given = rng.choice(["Aiden", "Kai", "Leon", "Tyler", "Noah", "Marcus", "Ethan", "Reece"] if sex is Sex.MALE
                       else ["Maya", "Chloe", "Amira", "Leah", "Jade", "Sofia", "Ella", "Zara"])
    family = rng.choice(["Walker", "Patel", "Osei", "Murphy", "Khan", "Evans", "Nowak", "Campbell", "Ahmed",
                         "Bennett", "Clarke", "Hussain", "Lewis", "Mensah", "Price", "Reid"])
    return Person(given_name=given, family_name=family, name_key=name_key(given, family),
                  date_of_birth=referred_on - timedelta(days=age * 365 + rng.randint(0, 364)), sex=sex,
                  ethnicity=rng.choice(list(Ethnicity)), home_area=rng.choice(["Reading", "Slough", "Oxford",
                                                                               "Milton Keynes", "Aylesbury"]),
                  organisation=site.provider)


def _referral(rng, p: Programme, site: Site, person: Person, referred_at: datetime, workers) -> Referral:
    arm = TrialArm.INTERVENTION if p.trial_enabled else TrialArm.NONE
    return Referral(
        person=person, programme=p, site=site, provider=site.provider, referred_on=referred_at.date(),
        referred_at=referred_at, source=SOURCES.get(p.kind, ReferralSource.OTHER),
        reason=rng.choice(REASONS.get(p.kind, ["Identified as at risk of serious violence"])),
        lawful_basis=LawfulBasis.CONSENT, consent_recorded=True,
        assigned_worker=rng.choice(workers[site.provider_id]), status=St.RECEIVED, trial_arm=arm,
        allocation_draw=f"seed={p.trial_seed} draw={rng.random():.6f}" if arm is not TrialArm.NONE else None)


def _person_reached(rng, p: Programme, site: Site, fy: int, as_at: date, workers, *, older: bool,
                    today: date) -> None:
    """A new person reached by ``as_at``: a referral in the year's window and its first attended contact."""
    start = date(fy, 9, 1) if p.name == "School Navigators" else fy_bounds(fy)[0]
    last = as_at - timedelta(days=3)
    if last < start:
        return
    referred_on = start + timedelta(days=rng.randint(0, (last - start).days))
    person = _new_person(rng, site, referred_on, older, p.min_age, p.max_age)
    referred_at = datetime.combine(referred_on, time(rng.randint(8, 20), rng.choice([0, 15, 30, 45])))
    r = _referral(rng, p, site, person, referred_at, workers)
    first = referred_at + timedelta(hours=rng.choice([2, 5, 20, 30, 44]))
    history = [(None, St.RECEIVED, referred_at), (St.RECEIVED, St.CONTACTED, first),
               (St.CONTACTED, St.ENGAGED, first + timedelta(minutes=30))]
    t = first
    for k in range(rng.randint(1, p.session_cap or 6)):
        if t.date() > as_at:
            break
        db.session.add(Contact(referral=r, occurred_at=t, attended=k == 0 or rng.random() > 0.15,
                               duration_minutes=rng.choice([20, 30, 45, 60]), worker=r.assigned_worker,
                               mode=rng.choice([ContactMode.IN_SETTING, ContactMode.ONE_TO_ONE, ContactMode.PHONE])))
        t += timedelta(days=p.cadence_days or 7)
    r.reached_on = first.date()
    if (as_at - referred_on).days > 120 and rng.random() < 0.7:
        closed = min(t, datetime.combine(as_at, time(16)))
        history.append((St.ENGAGED, St.CLOSED, closed))
        r.closed_on, r.closure_reason = closed.date(), "Support plan completed"
        r.outcomes.append(Outcome(outcome_type=rng.choice(p.outcome_types or ["Signposted to service"]),
                                  achieved_on=closed.date()))
    else:  # still open: its worker keeps seeing them, so home pages are not a wall of "overdue"
        _keep_in_touch(rng, r, t - timedelta(days=p.cadence_days or 7), today)  # from the last session
    for frm, to, at in history:
        db.session.add(ReferralStatusChange(referral=r, from_status=frm, to_status=to, changed_at=at,
                                            changed_by=r.assigned_worker))
    r.status = history[-1][1]
    db.session.add(r)


def _settle_seeded_years(rng, today: date) -> None:
    """The seeded years' cases still open (bar the trial control arm, followed up without contact) are closed
    after 2024-25 has ended — so 2024-25's figures are untouched — as their workers would have closed them:
    a few weeks after the last contact, "unable to contact" first if they were never engaged. Without this
    every home page opened on cases two years without contact."""
    start = fy_bounds(FIRST_LATER_YEAR)[0]
    last = (sa.select(Contact.referral_id, sa.func.max(Contact.occurred_at).label("at"))
            .group_by(Contact.referral_id).subquery())
    rows = db.session.execute(
        sa.select(Referral, last.c.at).outerjoin(last, last.c.referral_id == Referral.id)
        .where(Referral.referred_on < start, Referral.status.in_(OPEN_STATUSES),
               Referral.trial_arm != TrialArm.CONTROL).order_by(Referral.id)).all()
    for r, last_at in rows:
        after = (last_at.date() if last_at else r.referred_on) + timedelta(days=rng.randint(20, 60))
        closed_on = min(max(after, start + timedelta(days=rng.randint(0, 30))), today)
        at = datetime.combine(closed_on, time(16))
        steps = [St.CLOSED] if can_move(r.status, St.CLOSED) else [St.UNABLE_TO_CONTACT, St.CLOSED]
        for step in steps:
            db.session.add(ReferralStatusChange(referral=r, from_status=r.status, to_status=step, changed_at=at,
                                                changed_by=r.assigned_worker))
            r.status = step
        r.closed_on = closed_on
        r.closure_reason = "Support plan completed" if r.reached_on else "Unable to make contact"
    # The seed's few cases referred in the last weeks (and still open) are kept in touch with too.
    for r, last_at in db.session.execute(
            sa.select(Referral, last.c.at).join(last, last.c.referral_id == Referral.id)
            .where(Referral.referred_on >= start, Referral.status.in_(OPEN_STATUSES),
                   Referral.reached_on.is_not(None), Referral.trial_arm != TrialArm.CONTROL)
            .order_by(Referral.id)).all():
        if r.status in (St.CONTACTED, St.ENGAGED):
            _keep_in_touch(rng, r, last_at, today)
        else:  # declined or unable to contact, but not yet closed: closed a few days after the last contact
            closed_on = min(last_at.date() + timedelta(days=rng.randint(2, 7)), today)
            db.session.add(ReferralStatusChange(referral=r, from_status=r.status, to_status=St.CLOSED,
                                                changed_at=datetime.combine(closed_on, time(16)),
                                                changed_by=r.assigned_worker))
            r.status, r.closed_on, r.closure_reason = St.CLOSED, closed_on, "Declined further support"


def _keep_in_touch(rng, r: Referral, since: datetime, today: date) -> None:
    """Contacts every ``KEEP_IN_TOUCH_DAYS`` after ``since``, the last within the days before ``today``."""
    until = datetime.combine(today - timedelta(days=rng.randint(1, 5)), time(15))
    t = since
    while t + timedelta(days=KEEP_IN_TOUCH_DAYS) <= until:
        t += timedelta(days=KEEP_IN_TOUCH_DAYS)
        attended = rng.random() > 0.15
        db.session.add(Contact(referral=r, occurred_at=t, attended=attended, worker=r.assigned_worker,
                               duration_minutes=30 if attended else None, mode=ContactMode.ONE_TO_ONE))


def _training(rng, p: Programme, fy: int, as_at: date, pace: D) -> None:
    """Training events through the year so far, adding up to ``pace`` of the expected professionals."""
    target = db.session.execute(sa.select(Target.value).where(
        Target.programme_id == p.id, Target.fy == fy,
        Target.measure == TargetMeasure.PROFESSIONALS_TRAINED)).scalar_one_or_none()
    if not target:
        return
    wanted = int((D(target) * pro_rata_fraction(fy_window(fy), as_at) * pace).to_integral_value())
    start = fy_bounds(fy)[0]
    events = max(1, min(6, wanted // 10))
    for i in range(events):
        held = start + timedelta(days=int((as_at - start).days * (i + 0.5) / events))
        count = wanted // events + (1 if i < wanted % events else 0)
        if count:
            db.session.add(TrainingEvent(programme=p, held_on=held, title=f"{p.name} session {i + 1}",
                                         anonymous_count=count))


def _waiting_referral(rng, p: Programme, site: Site, today: date, workers, *, hours_ago: int) -> None:
    """Received in the last few days, no contact yet: its first-contact clock is running."""
    referred_at = datetime.combine(today, time(9)) - timedelta(hours=hours_ago)
    person = _new_person(rng, site, referred_at.date(), False, p.min_age, p.max_age)
    r = _referral(rng, p, site, person, referred_at, workers)
    db.session.add(r)
    db.session.add(ReferralStatusChange(referral=r, from_status=None, to_status=St.RECEIVED, changed_at=referred_at,
                                        changed_by=r.assigned_worker))


def _finance_year(fy: int, today: date, programmes, finance_user) -> None:
    """A grant year like 2024-25's: the same lines (Custody Coaches funded in the year), spend as actuals up
    to today and the profile as forecast, secondments and cash accepted; the current year has a pledge too."""
    if db.session.execute(sa.select(GrantYear.id).where(GrantYear.fy == fy)).first():
        return
    grant = GrantYear(fy=fy, funder="Home Office", allocation=D("1510000"), match_pct=D("20"),
                      grant_reference=f"VRU-TV-{fy}-{(fy + 1) % 100:02d}",
                      sro_name="Deputy Police and Crime Commissioner")
    db.session.add(grant)
    db.session.flush()
    for name, line_type, programme, planned, spent in FINANCE_LINES_2024:
        if not planned:  # Custody Coaches: funded by the year's own grant after 2024-25
            planned, spent = 150_000, "1"
        line = BudgetLine(grant_year=grant, name=name, line_type=LineType(line_type), planned=D(planned),
                          programme=programmes.get(programme) if programme else None)
        db.session.add(line)
        for quarter, weight in QUARTER_WEIGHTS.items():
            months = [(4, 5, 6), (7, 8, 9), (10, 11, 12), (1, 2, 3)][quarter - 1]
            year = fy if quarter < 4 else fy + 1
            share = (D(planned) * D(weight)).quantize(D("0.01"))
            _spend(line, grant, date(year, months[1], 15), share, SpendKind.FORECAST, "Budget profile", finance_user)
            actual = (share * D(spent)).quantize(D("0.01"))
            monthly = (actual / 3).quantize(D("0.01"))
            for i, month in enumerate(months):
                on = date(year, month, 25)
                if on <= today:
                    amount = monthly if i < 2 else actual - 2 * monthly
                    _spend(line, grant, on, amount, SpendKind.ACTUAL, f"{name}: monthly invoice", finance_user)
    start, end = fy_bounds(fy)
    for role, cost, fte in (("Inspector", "85000", "1"), ("Sergeant", "72000", "1"), ("Sergeant", "72000", "1"),
                            ("Constable", "60000", "0.5")):
        db.session.add(Secondment(contributor="Thames Valley Police", role=role, fte=D(fte), starts_on=start,
                                  ends_on=end, annual_loaded_cost=D(cost), status=MatchStatus.ACCEPTED,
                                  evidence_note=f"Secondment agreement SA-{fy}-07"))
    db.session.add(MatchContribution(
        grant_year=grant, contributor="Office of the Police and Crime Commissioner", kind=MatchKind.CASH,
        basis="Community Safety Fund grant to Sports and Inclusion", amount=D("50000"),
        received_on=min(date(fy, 7, 1), today), status=MatchStatus.ACCEPTED, evidence_note="Remittance CSF"))
    if fy == fy_of(today):
        db.session.add(MatchContribution(
            grant_year=grant, contributor="Slough Borough Council", kind=MatchKind.IN_KIND,
            basis="Venue hire for Focused Deterrence call-ins", amount=D("8000"), received_on=today,
            status=MatchStatus.PLEDGED))


def _spend(line, grant, on, amount, kind, text, user) -> None:
    fy, quarter = fy_quarter_of(on)
    db.session.add(Expenditure(line=line, funded_by=grant, incurred_on=on, fy=fy, quarter=quarter, amount=amount,
                               kind=kind, description=text, recorded_by_id=user.id if user else None,
                               import_key=f"demo:{grant.fy}:{line.name}:{on.isoformat()}:{kind.value}"))


def register(app) -> None:
    @app.cli.command("demo-data")
    @click.option("--people", default=400, show_default=True,
                  help="How many fictional young people to create for 2023-24 and 2024-25.")
    def demo_data(people: int):
        """Load the demo VRU (fictional people) into an empty database, from 2023-24 to this year; safe to
        run twice (a second run creates nothing; a run in a new financial year adds that year)."""
        if app.config.get("ENV_NAME") == "production":
            raise click.ClickException("Demo accounts have a published password: not in production.")
        today = date.today()
        present = demo_present()
        later = len(years_to_add(today)) if present else len(range(FIRST_LATER_YEAR, fy_of(today) + 1))
        if present and not later:
            click.echo("Demo data is already loaded; nothing was created.")
        else:
            steps = (0 if present else build_steps(people)) + later
            with click.progressbar(length=steps, label="Creating the demo VRU", show_eta=True,
                                   show_percent=True) as bar:
                added = load_demo(app.config["DEMO_PASSWORD"], people=people, today=today, progress=bar.update)
            if added:
                click.echo("Added the years " + ", ".join(f"{y}-{(y + 1) % 100:02d}" for y in added) + ".")
        click.echo(f"\nDemo sign-ins (password for all: {app.config['DEMO_PASSWORD']}):")
        for login in demo_logins():
            if login.email.split("@")[0] in ("programme.office", "finance", "admin", "manager", "worker", "worker2") \
                    or "royals" in login.email:
                click.echo(f"  {login.role:<18} {login.email:<45} {login.organisation}")
        click.echo("  (every provider also has manager.<org>, worker.<org> and worker2.<org> accounts)")
        click.echo("\nProgramme office, finance and admin set up a second factor at their first sign-in. Without an\n"
                   "authenticator app: flask --app wsgi users demo-code --email programme.office@example.org")


def load_demo(password: str, *, people: int = 400, today: date | None = None, progress=lambda n: None) -> list[int]:
    """What ``flask demo-data`` loads: 2023-24 and 2024-25 from the seeds (unless already there), then every later
    year to ``today``'s. The browser tests build their demo with this too, so their screenshots show the
    current year as a user would. Commits; returns the later years added."""
    today = today or date.today()
    if not demo_present():
        build_demo(password, people=people, today=today, progress=progress)
        db.session.commit()
    added = extend_demo(today, progress=progress)
    db.session.commit()
    return added


def build_steps(people: int) -> int:
    """Progress steps of ``build_demo``: organisations, programmes, training, finance, and one per 25 people."""
    return 4 + (people + 24) // 25
