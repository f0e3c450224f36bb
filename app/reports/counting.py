"""Counting new people reached against targets (DOMAIN.md §3), as SQL aggregates.

The rule:

1. A referral is *reached* on the date of its first attended contact (``Referral.reached_on``,
   kept in step by ``app.referrals.reach``).
2. It counts towards programme *p*, FY *y* when that date falls in the counting window of (p, y)
   — the programme's ``CountingWindow`` for y, else the whole FY — and its trial arm is not control.
3. Carry-over is excluded: a referral reached before the window opens never counts in it (it is
   "continuing caseload"). A person reached again in a new referral inside the window counts, and is
   flagged *returning* when an earlier referral of theirs to the programme closed before that reach.
   Case H: a referral reached while the person is still *continuing caseload* of the programme (an
   earlier, non-control referral of theirs reached before the window opened and not closed before this
   reach) is a *re-referral* and never counts: they are already being supported. The rule is per
   referral: once the carried-over referral has closed, a later referral of theirs can count (returning).
4. Once per person per (programme, FY), across referrals and sites; merged people count as the
   person they were merged into (``COALESCE(merged_into_id, id)``).
5. The age band is fixed by completed years on the reach date of that person's first counted
   referral in the window (date of birth, else the estimated age moved on by the years since it was
   estimated, else "age not known": counted, credited to no band, a data-quality exception).
6. The quarter is the quarter of that first counted reach, so the four quarters add up to the year.

Everything is one SELECT with a window function (ROW_NUMBER over person and programme) that runs
unchanged on SQLite (3.25+) and PostgreSQL: ages use EXTRACT (SQLite: strftime) date parts, never a
Python loop. ``counted_people_stmt`` gives one row per counted person, for drill-down;
``reach_totals`` aggregates it by programme × quarter × band.

Building these statements is costly Python (tens of milliseconds each: SQLAlchemy works out column
correspondences for every comparison), so the quarterly return builds each statement once, with named
parameters: pass ``BOUND`` instead of a value (the year, a date, a list of ids) and the statement uses the
parameter of that name in ``BINDS``; run it with ``bound_values(...)``. Passing values builds a statement for
that one call, as before.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.db import db
from app.periods import fy_bounds
from app.programmes.age_bands import FINE_BAND_RANGES, TARGET_BAND_UPPER, AgeBand, FineBand
from app.programmes.models import CountingWindow, Programme
from app.referrals.models import Person
from app.referrals.models import Referral, TrialArm

__all__ = [
    "BINDS",
    "BOUND",
    "ReachKey",
    "bound_values",
    "age_sql",
    "completed_years_sql",
    "continuing_caseload_stmt",
    "counted_people",
    "counted_people_stmt",
    "re_referrals_stmt",
    "fy_quarter_sql",
    "reach_totals",
    "windows_cte",
]


class _Bound:
    """Stands for a value given when a statement built once runs, not when it is built."""

    def __repr__(self) -> str:
        return "BOUND"


BOUND = _Bound()
BINDS = {
    "fy": sa.bindparam("fy", type_=sa.Integer),
    **{name: sa.bindparam(name, type_=sa.Date) for name in ("fy_start", "fy_end", "as_at", "q_start", "q_end")},
    **{name: sa.bindparam(name, type_=sa.DateTime) for name in ("fy_next_ts", "q_start_ts", "q_next_ts")},
    **{name: sa.bindparam(name, expanding=True) for name in ("programme_ids", "organisation_ids")},
}


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0))


def bound_values(fy: int, *, as_at: date | None = None, q_start: date | None = None, q_end: date | None = None,
                 programme_ids: Iterable[int] | None = None, organisation_ids: Iterable[int] | None = None) -> dict:
    """The values of ``BINDS`` for a statement built with ``BOUND`` (names a statement does not use are ignored)."""
    fy_start, fy_end = fy_bounds(fy)
    values = {"fy": fy, "fy_start": fy_start, "fy_end": fy_end, "fy_next_ts": _midnight(fy_end + timedelta(days=1)),
              "as_at": as_at, "q_start": q_start, "q_end": q_end}
    if q_start is not None:
        values["q_start_ts"] = _midnight(q_start)
    if q_end is not None:
        values["q_next_ts"] = _midnight(q_end + timedelta(days=1))
    if programme_ids is not None:
        values["programme_ids"] = list(programme_ids)
    if organisation_ids is not None:
        values["organisation_ids"] = list(organisation_ids)
    return values


def _bind(value, name: str):
    """The named parameter for ``BOUND``, else the value itself (SQLAlchemy binds it)."""
    return BINDS[name] if value is BOUND else value


def _ids(value, name: str):
    return BINDS[name] if value is BOUND else list(value)


def _int(expr):
    # PostgreSQL's EXTRACT returns numeric; SQLite's (strftime) text → integer via SQLAlchemy's CAST.
    return sa.cast(expr, sa.Integer)


def _year(d):
    return _int(sa.extract("year", d))


def _month_day(d):
    return _int(sa.extract("month", d)) * 100 + _int(sa.extract("day", d))


def completed_years_sql(start, end):
    """Completed years from ``start`` to ``end`` (``periods.age_on`` in SQL; 29 Feb birthdays on 1 Mar)."""
    return _year(end) - _year(start) - sa.case((_month_day(end) < _month_day(start), 1), else_=0)


def fy_quarter_sql(d):
    """Financial-year quarter (1–4) of a date column: April–June is Q1, January–March Q4."""
    month = _int(sa.extract("month", d))
    return sa.case((month >= 10, 3), (month >= 7, 2), (month >= 4, 1), else_=4)


def age_sql(date_of_birth, estimated_age, estimated_on, on_date):
    """``age_bands.age_at_reach`` in SQL: NULL when neither a date of birth nor an estimate is held."""
    moved = sa.case(
        (estimated_on.is_(None), 0),
        (on_date >= estimated_on, completed_years_sql(estimated_on, on_date)),
        else_=-completed_years_sql(on_date, estimated_on),
    )
    estimate = estimated_age + moved
    return sa.case(
        (date_of_birth.is_not(None), completed_years_sql(date_of_birth, on_date)),
        (estimated_age.is_not(None), sa.case((estimate < 0, 0), else_=estimate)),
        else_=sa.null(),
    )


def target_band_sql(age):
    return sa.case(
        (age.is_(None), AgeBand.NOT_KNOWN.value),
        (age <= TARGET_BAND_UPPER, AgeBand.AGED_24_AND_UNDER.value),
        else_=AgeBand.AGED_25_AND_OVER.value,
    )


def fine_band_sql(age):
    whens = [(age.is_(None), FineBand.NOT_KNOWN.value)]
    for band, _lowest, highest in FINE_BAND_RANGES:
        if highest is not None:
            whens.append((age <= highest, band.value))
    return sa.case(*whens, else_=FineBand.AGED_25_AND_OVER.value)


def windows_cte(fy: int, name: str = "windows"):
    """(programme_id, starts_on, ends_on) for every programme: the override for ``fy`` or the FY."""
    if fy is BOUND:
        start, end = BINDS["fy_start"], BINDS["fy_end"]
    else:
        fy_start, fy_end = fy_bounds(fy)
        start, end = sa.literal(fy_start, sa.Date), sa.literal(fy_end, sa.Date)
    cw = CountingWindow
    return (
        sa.select(
            Programme.id.label("programme_id"),
            sa.func.coalesce(cw.starts_on, start).label("starts_on"),
            sa.func.coalesce(cw.ends_on, end).label("ends_on"),
        )
        .select_from(Programme)
        .outerjoin(cw, sa.and_(cw.programme_id == Programme.id, cw.fy == _bind(fy, "fy")))
        .cte(name)
    )


def merged_people(name: str = "merged_people"):
    """(id, merged_into_id) of the few people merged into another. Outer-joined to referrals, the person a
    referral counts for is ``COALESCE(merged_into_id, referrals.person_id)`` — the same as looking every
    referral's person up, but a hash of a handful of rows instead of one look-up per referral."""

    # MATERIALIZED: SQLite would otherwise flatten it back into a look-up of every referral's person.
    return (sa.select(Person.id, Person.merged_into_id).where(Person.merged_into_id.is_not(None))
            .cte(name).prefix_with("MATERIALIZED"))

def _continuing_on_reach(person_key, programme_id, reached_on, window_start, name="carried"):
    """True when the person (``person_key``, the surviving id) still had a carried-over referral to the
    programme open on ``reached_on``: reached before ``window_start``, not control, not closed before
    ``reached_on`` (case H). Two index-friendly branches, as for *returning*."""
    carried = aliased(Referral, name=name)
    merged = aliased(Person, name=f"{name}_merged")
    still_open = sa.and_(
        carried.programme_id == programme_id,
        carried.reached_on.is_not(None),
        carried.reached_on < window_start,
        carried.trial_arm != TrialArm.CONTROL,
        sa.or_(carried.closed_on.is_(None), carried.closed_on >= reached_on),
    )
    # The merged branch is written as "person IN (the people merged into this one)" rather than as a join of
    # people and referrals: joined, SQLite's planner walked every referral of the programme reached before the
    # window for each counted referral (20 s of a 41 s return at national scale); with IN it reads the few
    # merged people's referrals through their person index.
    merged_into_key = sa.select(merged.id).where(merged.merged_into_id == person_key).correlate_except(merged)
    return sa.or_(
        sa.exists().where(carried.person_id == person_key, still_open),
        sa.exists().where(carried.person_id.in_(merged_into_key), still_open),
    )


@dataclass(frozen=True)
class ReachKey:
    programme_id: int
    quarter: int
    band: str


def counted_people_stmt(fy: int, *, programme_ids: Iterable[int] | None = None, as_at: date | None = None,
                        organisation_ids: Iterable[int] | None = None, with_person_first: bool = False,
                        with_returning: bool = True, with_bands: bool = True):
    """One row per person counted for (programme, ``fy``), for drill-down and aggregation.

    Columns: programme_id, person_id (the surviving person), referral_id, provider_id, site_id,
    reached_on, quarter, age, band, fine_band, is_returning, sex, ethnicity; with
    ``with_person_first`` also ``person_first``: 1 on the row of the person's earliest counted reach
    across all programmes (reach date, then programme id), so unique people can be counted without a
    second pass. ``with_returning=False`` leaves out ``is_returning`` (two look-ups per row) for
    aggregates that do not show it; ``with_bands=False`` leaves out ``band`` and ``fine_band`` so a caller
    that materialises the rows can band the stored age itself (inlined, each CASE branch would work the
    age out again).

    ``as_at`` limits reach to that date (year to date). ``organisation_ids`` keeps the people whose
    first counted referral a given provider delivered — that provider's share, which adds up across
    providers to the whole. Pass ``policies.visible_organisation_ids(user)`` for a viewer.
    """

    w = windows_cte(fy)
    merged_in = merged_people()
    person_key = sa.func.coalesce(merged_in.c.merged_into_id, Referral.person_id)
    reach_conditions = [
        Referral.reached_on.is_not(None),
        # The earliest start and latest end of any programme's window: constant for the statement, so
        # the database can range-scan the reach-date index instead of reading every referral ever made.
        # The exact per-programme window is applied by the two conditions after it.
        Referral.reached_on >= sa.select(sa.func.min(w.c.starts_on)).scalar_subquery(),
        Referral.reached_on <= sa.select(sa.func.max(w.c.ends_on)).scalar_subquery(),
        Referral.reached_on >= w.c.starts_on,
        Referral.reached_on <= w.c.ends_on,
        Referral.trial_arm != TrialArm.CONTROL,
        sa.not_(_continuing_on_reach(person_key, Referral.programme_id, Referral.reached_on, w.c.starts_on)),
    ]
    if as_at is not None:
        reach_conditions.append(Referral.reached_on <= _bind(as_at, "as_at"))
    if programme_ids is not None:
        reach_conditions.append(Referral.programme_id.in_(_ids(programme_ids, "programme_ids")))
    ranked = (
        sa.select(
            Referral.id.label("referral_id"),
            Referral.programme_id,
            Referral.provider_id,
            Referral.site_id,
            Referral.reached_on,
            person_key.label("person_id"),
            sa.func.row_number().over(
                partition_by=(person_key, Referral.programme_id),
                order_by=(Referral.reached_on, Referral.id),
            ).label("rn"),
            *([sa.func.row_number().over(
                partition_by=person_key,
                # The overall earliest row is also its programme's first (rn = 1), so ranking every row
                # here equals ranking only the counted ones.
                order_by=(Referral.reached_on, Referral.programme_id, Referral.id),
            ).label("pn")] if with_person_first else []),
        )
        .outerjoin(merged_in, merged_in.c.id == Referral.person_id)
        .join(w, w.c.programme_id == Referral.programme_id)
        .where(*reach_conditions)
        .subquery("ranked")
    )
    survivor = aliased(Person, name="survivor")
    earlier = aliased(Referral, name="earlier")
    merged = aliased(Person, name="merged")
    closed_before = sa.and_(
        earlier.programme_id == ranked.c.programme_id,
        earlier.id != ranked.c.referral_id,
        earlier.closed_on.is_not(None),
        earlier.closed_on < ranked.c.reached_on,
    )
    # Two index-friendly branches (the survivor's own referrals; those of people merged into them) rather
    # than one COALESCE comparison, which no index can serve.
    returning = sa.or_(
        sa.exists().where(earlier.person_id == ranked.c.person_id, closed_before),
        sa.exists().where(merged.merged_into_id == ranked.c.person_id, earlier.person_id == merged.id, closed_before),
    )
    age = age_sql(survivor.date_of_birth, survivor.estimated_age, survivor.estimated_on, ranked.c.reached_on)
    # Age is worked out once in an inner layer; the bands read it from there (keeps the SQL small).
    aged = (
        sa.select(
            ranked.c.programme_id,
            ranked.c.person_id,
            ranked.c.referral_id,
            ranked.c.provider_id,
            ranked.c.site_id,
            ranked.c.reached_on,
            fy_quarter_sql(ranked.c.reached_on).label("quarter"),
            age.label("age"),
            (sa.case((returning, True), else_=False) if with_returning else sa.null()).label("is_returning"),
            survivor.sex.label("sex"),
            survivor.ethnicity.label("ethnicity"),
            *([sa.case((ranked.c.pn == 1, 1), else_=0).label("person_first")] if with_person_first else []),
        )
        .join(survivor, survivor.id == ranked.c.person_id)
        .where(ranked.c.rn == 1)
    )
    if organisation_ids is not None:
        aged = aged.where(ranked.c.provider_id.in_(_ids(organisation_ids, "organisation_ids")))
    aged = aged.subquery("aged")
    return sa.select(
        aged.c.programme_id, aged.c.person_id, aged.c.referral_id, aged.c.provider_id, aged.c.site_id,
        aged.c.reached_on, aged.c.quarter, aged.c.age,
        *([target_band_sql(aged.c.age).label("band"), fine_band_sql(aged.c.age).label("fine_band")]
          if with_bands else []),
        aged.c.is_returning, aged.c.sex, aged.c.ethnicity,
        *([aged.c.person_first] if with_person_first else []),
    )


def counted_people(fy: int, **kwargs) -> list:
    return db.session.execute(counted_people_stmt(fy, **kwargs)).all()


def reach_totals(fy: int, **kwargs) -> dict[ReachKey, int]:
    """New people per (programme, quarter, target band): a GROUP BY over ``counted_people_stmt``."""
    people = counted_people_stmt(fy, **kwargs).subquery("counted")
    stmt = sa.select(people.c.programme_id, people.c.quarter, people.c.band, sa.func.count()).group_by(
        people.c.programme_id, people.c.quarter, people.c.band)
    return {ReachKey(p, q, b): n for p, q, b, n in db.session.execute(stmt)}


def continuing_caseload_stmt(fy: int, quarter_start: date, quarter_end: date, *,
                             organisation_ids: Iterable[int] | None = None):
    """People per programme with a referral carried over into the window (reached before it opened,
    not control) and still open on the first day of the quarter: (programme_id, people)."""

    w = windows_cte(fy, "cc_windows")
    merged_in = merged_people("cc_merged_people")
    person_key = sa.func.coalesce(merged_in.c.merged_into_id, Referral.person_id)
    stmt = (
        sa.select(Referral.programme_id, sa.func.count(sa.distinct(person_key)).label("people"))
        .outerjoin(merged_in, merged_in.c.id == Referral.person_id)
        .join(w, w.c.programme_id == Referral.programme_id)
        .where(
            # A constant bound first, so the (programme_id, reached_on, …) index range is used, then the
            # programme's own window start.
            Referral.reached_on < sa.select(sa.func.max(w.c.starts_on)).scalar_subquery(),
            Referral.reached_on < w.c.starts_on,
            Referral.trial_arm != TrialArm.CONTROL,
            sa.or_(Referral.closed_on.is_(None), Referral.closed_on >= _bind(quarter_start, "q_start")),
            w.c.starts_on <= _bind(quarter_end, "q_end"),
        )
        .group_by(Referral.programme_id)
    )
    if organisation_ids is not None:
        stmt = stmt.where(Referral.provider_id.in_(_ids(organisation_ids, "organisation_ids")))
    return stmt


def re_referrals_stmt(fy: int, as_at: date, *, organisation_ids: Iterable[int] | None = None):
    """Re-referrals of continuing caseload (case H) per programme, year to date: referrals reached inside
    the window up to ``as_at``, not control, while the person was still continuing caseload. They are
    support delivered, not new people: (programme_id, referrals)."""

    w = windows_cte(fy, "rr_windows")
    merged_in = merged_people("rr_merged_people")
    person_key = sa.func.coalesce(merged_in.c.merged_into_id, Referral.person_id)
    stmt = (
        sa.select(Referral.programme_id, sa.func.count().label("referrals"))
        .outerjoin(merged_in, merged_in.c.id == Referral.person_id)
        .join(w, w.c.programme_id == Referral.programme_id)
        .where(
            Referral.reached_on >= sa.select(sa.func.min(w.c.starts_on)).scalar_subquery(),
            Referral.reached_on >= w.c.starts_on,
            Referral.reached_on <= w.c.ends_on,
            Referral.reached_on <= _bind(as_at, "as_at"),
            Referral.trial_arm != TrialArm.CONTROL,
            _continuing_on_reach(person_key, Referral.programme_id, Referral.reached_on, w.c.starts_on,
                                 name="rr_carried"),
        )
        .group_by(Referral.programme_id)
    )
    if organisation_ids is not None:
        stmt = stmt.where(Referral.provider_id.in_(_ids(organisation_ids, "organisation_ids")))
    return stmt
