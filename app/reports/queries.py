"""SQL aggregates for targets and the quarterly return. Each returns small grouped rows, never people
(except the drill-down and exception lists, which are scoped to the viewer).

The return's statements are built once (``functools.cache``) with named parameters (``counting.BOUND``) and run
with this call's values (``counting.bound_values``): building them anew cost more than running them on a
provider's data."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cache

import sqlalchemy as sa

from app.auth.models import Organisation
from app.db import db
from app.periods import fy_bounds, quarter_bounds
from app.reports import counting
from app.reports.counting import BINDS, BOUND, bound_values
from app.programmes.models import CountingWindow, Programme, Site, Target, TargetMeasure, TrainingAttendee, TrainingEvent
from app.referrals.ethnicity import Ethnicity, group_of
from app.periods import fy_of
from app.referrals.models import Contact, Referral, TrialArm
from app.referrals.models import Outcome
from app.referrals.models import OutcomeMeasure as M
from app.referrals.models import TimePoint
from app.referrals.models import Person

NEW_PEOPLE_BANDS = ("24_and_under", "25_and_over", "not_known")
BAND_MEASURE = {"24_and_under": TargetMeasure.NEW_24_AND_UNDER, "25_and_over": TargetMeasure.NEW_25_AND_OVER}


def ran_in_year_sql(fy):
    """A programme ran in ``fy`` (DOMAIN.md §5 D) when it has a target or a counting window for the year, a
    referral received or reached in it, a training event in it, or a site set up by the end of it. ``fy`` may
    be ``BOUND`` (parameters fy, fy_start, fy_end, fy_next_ts)."""
    values = BINDS if fy is BOUND else bound_values(fy)
    fy, start, end, end_ts = (values[k] for k in ("fy", "fy_start", "fy_end", "fy_next_ts"))
    if not isinstance(end_ts, sa.ColumnElement):
        end_ts = sa.literal(end_ts, sa.DateTime)
    pid = Programme.id
    return sa.or_(
        sa.exists().where(Target.programme_id == pid, Target.fy == fy),
        sa.exists().where(CountingWindow.programme_id == pid, CountingWindow.fy == fy),
        sa.exists().where(Referral.programme_id == pid, Referral.referred_on >= start, Referral.referred_on <= end),
        sa.exists().where(Referral.programme_id == pid, Referral.reached_on >= start, Referral.reached_on <= end),
        sa.exists().where(TrainingEvent.programme_id == pid, TrainingEvent.held_on >= start,
                          TrainingEvent.held_on <= end),
        sa.exists().where(Site.programme_id == pid, Site.created_at < end_ts),
    )


@cache
def _programmes_stmts(in_year: bool):
    stmt = sa.select(Programme).order_by(Programme.ho_category, Programme.name)
    if in_year:
        stmt = stmt.where(ran_in_year_sql(BOUND))
    sites = (sa.select(Site.programme_id, Site.setting, Organisation.name)
             .join(Organisation, Organisation.id == Site.provider_id)
             .order_by(Organisation.name))
    return stmt, sites


def programmes_with_sites(fy: int | None = None):
    """Programmes in report order with their sites' settings and providers (configuration, a few rows);
    with ``fy``, only the programmes that ran in that year."""
    stmt, sites = _programmes_stmts(fy is not None)
    programmes = db.session.execute(stmt, bound_values(fy) if fy is not None else {}).scalars().all()
    rows = db.session.execute(sites).all()
    settings: dict[int, list[str]] = defaultdict(list)
    providers: dict[int, list[str]] = defaultdict(list)
    for pid, setting, provider in rows:
        if setting.label not in settings[pid]:
            settings[pid].append(setting.label)
        if provider not in providers[pid]:
            providers[pid].append(provider)
    return programmes, settings, providers


_TARGETS = sa.select(Target.programme_id, Target.measure, Target.value).where(Target.fy == BINDS["fy"])


def targets_for(fy: int) -> dict[tuple[int, TargetMeasure], int]:
    return {(pid, measure): value for pid, measure, value in db.session.execute(_TARGETS, {"fy": fy})}


def latest_target_year(today: date) -> int | None:

    return db.session.execute(sa.select(sa.func.max(Target.fy)).where(Target.fy <= fy_of(today))).scalar_one_or_none()


def target_years() -> list[int]:
    return list(db.session.execute(sa.select(Target.fy).distinct().order_by(Target.fy.desc())).scalars())


def new_people(fy: int, as_at: date, organisation_ids=None) -> dict[int, dict[int, dict[str, int]]]:
    """{programme: {quarter: {band: people}}} for reach up to ``as_at`` (one GROUP BY)."""
    out: dict[int, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for key, n in counting.reach_totals(fy, as_at=as_at, organisation_ids=organisation_ids).items():
        out[key.programme_id][key.quarter][key.band] += n
    return out


def delivery_aggregates(fy: int, quarter: int) -> dict[int, dict[str, int]]:
    """Per programme, in ONE statement (as the benchmark baseline does): referrals received this quarter;
    intervention- and control-arm referrals received this year to date (section G1); attended contacts
    delivered this quarter, control-arm follow-ups excluded; continuing caseload (``targets.py``).

    ``{programme_id: {"referrals", "intervention", "control", "contacts", "continuing"}}``, every
    programme present."""

    q_start, q_end = quarter_bounds(fy, quarter)
    keys = ("referrals", "intervention", "control", "contacts", "continuing")
    return {pid: dict(zip(keys, (int(v) for v in values), strict=True))
            for pid, *values in db.session.execute(_delivery_stmt(), bound_values(fy, q_start=q_start, q_end=q_end))}


@cache
def _delivery_stmt():
    fy_start, q_start, q_end = BINDS["fy_start"], BINDS["q_start"], BINDS["q_end"]

    def count_if(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    # Year to date by referral date: the (referred_on, programme_id, trial_arm) index covers it.
    received = (
        sa.select(Referral.programme_id,
                  count_if(Referral.referred_on >= q_start).label("referrals"),
                  count_if(Referral.trial_arm == TrialArm.INTERVENTION).label("intervention"),
                  count_if(Referral.trial_arm == TrialArm.CONTROL).label("control"))
        .where(Referral.referred_on >= fy_start, Referral.referred_on <= q_end)
        .group_by(Referral.programme_id)
        .subquery("received")
    )
    # The quarter's contacts come off the (occurred_at, attended, referral_id) index; a day's bounds are
    # midnights so a contact at 23:30 on the last day counts.
    delivered = (
        sa.select(Referral.programme_id, sa.func.count().label("contacts"))
        .join(Contact, Contact.referral_id == Referral.id)
        .where(Contact.occurred_at >= BINDS["q_start_ts"], Contact.occurred_at < BINDS["q_next_ts"],
               Contact.attended.is_(True), Referral.trial_arm != TrialArm.CONTROL)
        .group_by(Referral.programme_id)
        .subquery("delivered")
    )
    continuing = counting.continuing_caseload_stmt(BOUND, BOUND, BOUND).subquery("continuing")
    return (
        sa.select(Programme.id,
                  sa.func.coalesce(received.c.referrals, 0), sa.func.coalesce(received.c.intervention, 0),
                  sa.func.coalesce(received.c.control, 0), sa.func.coalesce(delivered.c.contacts, 0),
                  sa.func.coalesce(continuing.c.people, 0))
        .outerjoin(received, received.c.programme_id == Programme.id)
        .outerjoin(delivered, delivered.c.programme_id == Programme.id)
        .outerjoin(continuing, continuing.c.programme_id == Programme.id)
    )


def professionals_trained(fy: int, as_at: date) -> dict[int, dict[int, int]]:
    """{programme: {quarter: professionals}}: unique named professionals (each in the quarter of their
    first attended event in the window) plus the recorded counts of anonymous events (DOMAIN.md §3.8)."""
    named, anonymous = _trained_stmts()
    values = bound_values(fy, as_at=as_at)
    out: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for pid, quarter, n in db.session.execute(named, values):
        out[pid][quarter] += n
    for pid, quarter, n in db.session.execute(anonymous, values):
        out[pid][quarter] += int(n or 0)
    return out


@cache
def _trained_stmts():
    w = counting.windows_cte(BOUND, "training_windows")
    in_window = sa.and_(TrainingEvent.held_on >= w.c.starts_on, TrainingEvent.held_on <= w.c.ends_on,
                        TrainingEvent.held_on <= BINDS["as_at"])
    first = (
        sa.select(TrainingEvent.programme_id, TrainingAttendee.professional_key,
                  sa.func.min(TrainingEvent.held_on).label("first_on"))
        .join(TrainingAttendee, TrainingAttendee.event_id == TrainingEvent.id)
        .join(w, w.c.programme_id == TrainingEvent.programme_id)
        .where(in_window, TrainingAttendee.attended.is_(True))
        .group_by(TrainingEvent.programme_id, TrainingAttendee.professional_key)
        .subquery()
    )
    q = counting.fy_quarter_sql(first.c.first_on)
    named = sa.select(first.c.programme_id, q, sa.func.count()).group_by(first.c.programme_id, q)
    qa = counting.fy_quarter_sql(TrainingEvent.held_on)
    anonymous = (sa.select(TrainingEvent.programme_id, qa, sa.func.sum(TrainingEvent.anonymous_count))
                 .join(w, w.c.programme_id == TrainingEvent.programme_id)
                 .where(in_window, TrainingEvent.anonymous_count.is_not(None))
                 .group_by(TrainingEvent.programme_id, qa))
    return named, anonymous


def _unique_people_ytd(fy: int, as_at: date):
    """Each person reached YTD once across programmes, at their earliest counted reach."""
    counted = counting.counted_people_stmt(fy, as_at=as_at).subquery("counted_all")
    ranked = sa.select(
        counted,
        sa.func.row_number().over(partition_by=counted.c.person_id,
                                  order_by=(counted.c.reached_on, counted.c.programme_id)).label("pn"),
    ).subquery("per_person")
    return ranked


def ethnic_group_sql(column):
    whens = []
    groups: dict[str, list[str]] = defaultdict(list)
    for e in Ethnicity:
        groups[group_of(e).value].append(e.value)
    for group, values in groups.items():
        if group != "not_stated":
            whens.append((column.in_(values), group))
    return sa.case(*whens, else_="not_stated")


def demographics(fy: int, as_at: date):
    """(fine band × sex counts, ethnic group counts) over unique people reached YTD."""
    people = _unique_people_ytd(fy, as_at)
    sex = sa.func.coalesce(sa.cast(people.c.sex, sa.String), "not_known")
    grid = db.session.execute(
        sa.select(people.c.fine_band, sex, sa.func.count())
        .where(people.c.pn == 1).group_by(people.c.fine_band, sex)).all()
    group = ethnic_group_sql(sa.cast(people.c.ethnicity, sa.String))
    ethnic = db.session.execute(
        sa.select(group, sa.func.count()).where(people.c.pn == 1).group_by(group)).all()
    return grid, ethnic


def outcome_counts(start: date, quarter_start: date, end: date) -> list:
    """(programme, outcome type, this quarter, year to date) for outcomes achieved ``start``..``end``,
    in one pass over the achieved-on index."""
    return db.session.execute(_outcomes_stmt(), {"fy_start": start, "q_start": quarter_start, "q_end": end}).all()


@cache
def _outcomes_stmt():
    period = (
        sa.select(programme_of(Outcome.referral_id).label("programme_id"), Outcome.outcome_type,
                  sa.case((Outcome.achieved_on >= BINDS["q_start"], 1), else_=0).label("in_quarter"))
        .where(Outcome.achieved_on >= BINDS["fy_start"], Outcome.achieved_on <= BINDS["q_end"])
        .subquery("period_outcomes")
    )
    return (sa.select(period.c.programme_id, period.c.outcome_type, sa.func.sum(period.c.in_quarter), sa.func.count())
            .group_by(period.c.programme_id, period.c.outcome_type)
            .order_by(period.c.programme_id, period.c.outcome_type))


def programme_of(referral_id):
    """The programme of a referral as a correlated look-up on its primary key. For the few thousand rows
    of a period this beats the join a planner picks (hashing all referrals ever made to find them)."""

    return (sa.select(Referral.programme_id).where(Referral.id == referral_id)
            .correlate_except(Referral).scalar_subquery())


def measure_changes(start: date, end: date) -> list:
    """Per programme and instrument: referrals with a baseline and a later measure (the latest taken by
    ``end`` and on or after ``start``): how many, the sums of baseline and latest values, how many improved.

    One pass with window functions and a GROUP BY per (referral, instrument). Only referrals with a later
    measure taken in the period can qualify (the latest must fall in it): they are found first on the
    measured-on index, with their programme, so the window functions rank those referrals' measures, not
    every measure ever taken; the exact test is still applied per instrument at the end."""
    return db.session.execute(_measures_stmt(), {"fy_start": start, "q_end": end}).all()


@cache
def _measures_stmt():
    start, end = BINDS["fy_start"], BINDS["q_end"]
    is_base = M.time_point == TimePoint.BASELINE
    later = sa.orm.aliased(M, name="later")
    candidates = (
        sa.select(later.referral_id)
        .where(later.measured_on >= start, later.measured_on <= end, later.time_point != TimePoint.BASELINE)
        .distinct()
        .subquery("candidates")
    )
    ranked = (
        sa.select(
            M.referral_id, M.instrument, M.value, M.measured_on, is_base.label("is_base"),
            sa.cast(M.higher_is_better, sa.Integer).label("hib"),
            sa.func.row_number().over(partition_by=(M.referral_id, M.instrument, is_base),
                                      order_by=(M.measured_on, M.id)).label("first_n"),
            # The same window with the whole partition as its frame: the last row is first_n == rows, so
            # one sort serves both ends.
            sa.func.count().over(partition_by=(M.referral_id, M.instrument, is_base),
                                 order_by=(M.measured_on, M.id), rows=(None, None)).label("rows_n"),
        ).join(candidates, candidates.c.referral_id == M.referral_id)
        .where(M.measured_on <= end).subquery("ranked_measures")
    )
    base_flag = ranked.c.is_base == sa.true()
    late_flag = ranked.c.is_base == sa.false()
    per = (
        sa.select(
            ranked.c.referral_id, ranked.c.instrument,
            sa.func.max(sa.case((sa.and_(base_flag, ranked.c.first_n == 1), ranked.c.value))).label("base"),
            sa.func.max(sa.case((sa.and_(late_flag, ranked.c.first_n == ranked.c.rows_n), ranked.c.value))).label("late"),
            sa.func.max(sa.case((late_flag, ranked.c.measured_on))).label("late_on"),
            sa.func.max(sa.case((sa.and_(late_flag, ranked.c.first_n == ranked.c.rows_n), ranked.c.hib))).label("hib"),
        ).group_by(ranked.c.referral_id, ranked.c.instrument).subquery("per_referral")
    )
    improved = sa.case((sa.and_(per.c.hib == 1, per.c.late > per.c.base), 1),
                       (sa.and_(per.c.hib == 0, per.c.late < per.c.base), 1), else_=0)
    qualifying = (
        sa.select(programme_of(per.c.referral_id).label("programme_id"), per.c.instrument, per.c.base, per.c.late,
                  improved.label("improved"))
        .where(per.c.base.is_not(None), per.c.late.is_not(None), per.c.late_on >= start)
        .subquery("qualifying")
    )
    return (
        sa.select(qualifying.c.programme_id, qualifying.c.instrument, sa.func.count(), sa.func.sum(qualifying.c.base),
                  sa.func.sum(qualifying.c.late), sa.func.sum(qualifying.c.improved))
        .group_by(qualifying.c.programme_id, qualifying.c.instrument)
    )


# ------------------------------------------------------------------ data-quality exceptions


EXCEPTION_KINDS = {
    "age_not_known": "Counted with no date of birth or estimated age",
    "no_ethnicity": "Counted with no ethnicity recorded",
    "no_sex": "Counted with no sex recorded",
    "reached_before_referral": "First attended contact is before the referral date",
}


def data_quality_exceptions(fy: int, quarter: int, organisation_ids=None) -> list[dict]:
    """Every exception in the people counted for the year to the end of ``quarter``, keyed so an
    acceptance can name it. A list of people: shown only to the programme office (the return itself
    carries counts only)."""

    _, end = quarter_bounds(fy, quarter)
    counted = counting.counted_people_stmt(fy, as_at=end, organisation_ids=organisation_ids).subquery("dq")
    rows = db.session.execute(
        sa.select(counted.c.person_id, counted.c.referral_id, counted.c.programme_id, counted.c.age,
                  counted.c.sex, counted.c.ethnicity, Programme.name, Person.given_name, Person.family_name)
        .join(Programme, Programme.id == counted.c.programme_id)
        .join(Person, Person.id == counted.c.person_id)
        .where(sa.or_(counted.c.age.is_(None), counted.c.sex.is_(None), counted.c.ethnicity.is_(None)))
        .order_by(Programme.name, Person.family_name)).all()
    out = []
    for r in rows:
        name = f"{r.given_name} {r.family_name}"
        for kind, bad in (("age_not_known", r.age is None), ("no_sex", r.sex is None),
                          ("no_ethnicity", r.ethnicity is None)):
            if bad:
                out.append({"key": f"{kind}:{r.programme_id}:{r.person_id}", "kind": kind,
                            "label": EXCEPTION_KINDS[kind], "programme": r.name, "person_id": r.person_id,
                            "referral_id": r.referral_id, "name": name})
    start, _ = fy_bounds(fy)
    stmt = (
        sa.select(Referral.id, Referral.person_id, Programme.name, Person.given_name, Person.family_name)
        .join(Programme, Programme.id == Referral.programme_id)
        .join(Person, Person.id == Referral.person_id)
        .where(Referral.reached_on >= start, Referral.reached_on <= end, Referral.reached_on < Referral.referred_on)
    )
    if organisation_ids is not None:
        stmt = stmt.where(Referral.provider_id.in_(list(organisation_ids)))
    for r in db.session.execute(stmt):
        out.append({"key": f"reached_before_referral:{r.id}", "kind": "reached_before_referral",
                    "label": EXCEPTION_KINDS["reached_before_referral"], "programme": r.name,
                    "person_id": r.person_id, "referral_id": r.id, "name": f"{r.given_name} {r.family_name}"})
    return out


class ReachCube:
    """Counted people for a year to date, in ONE statement over the counting query (materialised once):
    rows of kind "reach" give new people per programme × quarter × target band with the missing-field
    counts; rows of kind "people" give unique people (each at their first counted reach across
    programmes) per fine band × sex × ethnic group. A few hundred rows whatever the size of the data; new
    people, demographics and exception counts are sums over them."""

    def __init__(self, fy: int, as_at: date):
        self.rows = db.session.execute(self.statement(), bound_values(fy, as_at=as_at)).all()

    @staticmethod
    @cache
    def statement():
        # MATERIALIZED (PostgreSQL 12+, SQLite 3.35+): each person's age is worked out once and stored, and
        # both groupings below read the stored rows; inlined, the age expression would be re-evaluated in
        # every band test.
        counted = counting.counted_people_stmt(BOUND, as_at=BOUND, with_person_first=True, with_returning=True,
                                               with_bands=False).cte("cube_counted").prefix_with("MATERIALIZED")
        band = counting.target_band_sql(counted.c.age)
        fine_band = counting.fine_band_sql(counted.c.age)
        sex = sa.func.coalesce(sa.cast(counted.c.sex, sa.String), "not_known")
        group = ethnic_group_sql(sa.cast(counted.c.ethnicity, sa.String))

        def count_if(condition):
            return sa.func.sum(sa.case((condition, 1), else_=0))

        nothing = sa.null()
        reach = sa.select(
            sa.literal("reach").label("kind"), counted.c.programme_id, counted.c.quarter, band.label("band"),
            sa.cast(nothing, sa.String).label("sex"), sa.cast(nothing, sa.String).label("ethnic_group"),
            sa.func.count().label("n"), count_if(counted.c.sex.is_(None)).label("no_sex"),
            count_if(counted.c.ethnicity.is_(None)).label("no_ethnicity"),
            count_if(counted.c.is_returning == sa.true()).label("returning_n"),
        ).group_by(counted.c.programme_id, counted.c.quarter, band)
        people = sa.select(
            sa.literal("people"), sa.cast(nothing, sa.Integer), sa.cast(nothing, sa.Integer), fine_band, sex, group,
            sa.func.count(), sa.literal(0), sa.literal(0), sa.literal(0),
        ).where(counted.c.person_first == 1).group_by(fine_band, sex, group)
        return sa.union_all(reach, people)

    def new_people(self) -> dict[int, dict[int, dict[str, int]]]:
        out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
        for r in self.rows:
            if r.kind == "reach":
                out[r.programme_id][r.quarter][r.band] += r.n
        return out

    def returning(self) -> dict[int, int]:
        """Of the new people counted so far this year, how many are returning, per programme."""
        out: dict[int, int] = defaultdict(int)
        for r in self.rows:
            if r.kind == "reach":
                out[r.programme_id] += int(r.returning_n)
        return out

    def demographics(self):
        grid: dict = defaultdict(int)
        ethnic: dict = defaultdict(int)
        for r in self.rows:
            if r.kind == "people":
                grid[(r.band, r.sex)] += r.n
                ethnic[r.ethnic_group] += r.n
        return [(b, s, n) for (b, s), n in grid.items()], list(ethnic.items())

    def exception_counts(self) -> dict[str, int]:
        out = defaultdict(int)
        for r in self.rows:
            if r.kind == "reach":
                out["age_not_known"] += r.n if r.band == "not_known" else 0
                out["no_sex"] += int(r.no_sex)
                out["no_ethnicity"] += int(r.no_ethnicity)
        return out


def re_referrals(fy: int, as_at: date) -> dict[int, int]:
    """Re-referrals of continuing caseload (case H) per programme, year to date."""
    return {pid: int(n) for pid, n in db.session.execute(_re_referrals_stmt(), bound_values(fy, as_at=as_at))}


@cache
def _re_referrals_stmt():
    return counting.re_referrals_stmt(BOUND, BOUND)


_REACHED_BEFORE_REFERRAL = sa.select(sa.func.count()).where(
    Referral.reached_on >= BINDS["fy_start"], Referral.reached_on <= BINDS["as_at"],
    Referral.reached_on < Referral.referred_on)


def reached_before_referral_count(fy: int, as_at: date) -> int:
    return db.session.execute(_REACHED_BEFORE_REFERRAL, bound_values(fy, as_at=as_at)).scalar_one()
