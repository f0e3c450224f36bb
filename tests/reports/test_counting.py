"""The counting rule (DOMAIN.md §3): the worked cases, and SQL vs a plain-Python reference on random histories."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import db
from app.periods import age_on, fy_bounds, quarter_of
from app.reports import counting
from app.programmes.age_bands import age_at_reach, fine_band, target_band
from app.referrals.ethnicity import Ethnicity
from app.referrals.models import Sex, TrialArm
from tests.factories import (
    ContactFactory, CountingWindowFactory, OrganisationFactory, PersonFactory, ProgrammeFactory, ReferralFactory,
    SiteFactory,
)


def reached(site, person, on: date, *, closed_on: date | None = None, arm=TrialArm.NONE, referred_on=None):
    referral = ReferralFactory(site=site, person=person, referred_on=referred_on or on - timedelta(days=2),
                               reached_on=on, closed_on=closed_on, trial_arm=arm)
    ContactFactory(referral=referral, occurred_at=datetime.combine(on, time(11)), attended=True)
    return referral


@pytest.fixture
def hospital(db_session):
    programme = ProgrammeFactory(name="Hospital Navigators")
    reading = SiteFactory(programme=programme, name="Reading", provider=OrganisationFactory(name="Reading org"))
    oxford = SiteFactory(programme=programme, name="Oxford", provider=OrganisationFactory(name="Oxford org"))
    return programme, reading, oxford


@pytest.fixture
def school(db_session):
    programme = ProgrammeFactory(name="School Navigators")
    CountingWindowFactory(programme=programme, fy=2024, starts_on=date(2024, 9, 1), ends_on=date(2025, 3, 31))
    return programme, SiteFactory(programme=programme, name="Kennet Valley Academy")


def _rows(fy=2024, **kw):
    return {r.person_id: r for r in counting.counted_people(fy, **kw)}


def test_case_a_carry_over_does_not_count_but_is_continuing_caseload(hospital):
    programme, reading, _ = hospital
    a = PersonFactory()
    reached(reading, a, date(2024, 2, 20))  # still open in May 2024
    assert a.id not in _rows()
    caseload = dict(db.session.execute(
        counting.continuing_caseload_stmt(2024, date(2024, 4, 1), date(2024, 6, 30))).all())
    assert caseload[programme.id] == 1
    assert a.id in _rows(2023)  # it counted in the year it was reached


def test_case_b_returning_person_counts_in_q2(hospital):
    _, reading, _ = hospital
    b = PersonFactory()
    reached(reading, b, date(2023, 6, 1), closed_on=date(2023, 9, 15))
    reached(reading, b, date(2024, 7, 3))
    row = _rows()[b.id]
    assert (row.quarter, row.is_returning) == (2, True)


def test_case_c_counts_once_across_sites_in_the_quarter_of_first_reach(hospital):
    _, reading, oxford = hospital
    c = PersonFactory()
    first = reached(reading, c, date(2024, 5, 10))
    reached(oxford, c, date(2024, 11, 20))
    rows = counting.counted_people(2024)
    assert [r.person_id for r in rows].count(c.id) == 1
    row = _rows()[c.id]
    assert (row.quarter, row.referral_id, row.is_returning) == (1, first.id, False)


def test_case_d_age_band_is_fixed_on_the_reach_date(hospital):
    _, reading, _ = hospital
    d = PersonFactory(date_of_birth=date(1999, 10, 1))
    reached(reading, d, date(2024, 6, 15))
    reached(reading, d, date(2024, 12, 1))  # by now 25: does not move them
    row = _rows()[d.id]
    assert (row.age, row.band, row.fine_band, row.quarter) == (24, "24_and_under", "18_to_24", 1)


def test_case_e_school_navigators_before_the_window_does_not_count(school):
    _, kennet = school
    e = PersonFactory()
    reached(kennet, e, date(2024, 6, 12))
    assert e.id not in _rows()


def test_case_f_school_navigators_inside_the_window_counts_in_q2(school):
    _, kennet = school
    f = PersonFactory()
    reached(kennet, f, date(2024, 9, 16))
    assert _rows()[f.id].quarter == 2


def test_case_g_control_arm_never_counts(hospital):
    _, reading, _ = hospital
    g = PersonFactory()
    reached(reading, g, date(2024, 7, 1), arm=TrialArm.CONTROL)  # even if reach was (wrongly) recorded
    assert g.id not in _rows()


def test_case_h_re_referral_of_continuing_caseload_is_not_new(hospital):
    programme, reading, oxford = hospital
    h = PersonFactory()
    reached(reading, h, date(2024, 2, 20))  # still open: continuing caseload
    reached(oxford, h, date(2024, 7, 3))  # new A&E attendance
    assert h.id not in _rows()
    rr = dict(db.session.execute(counting.re_referrals_stmt(2024, date(2025, 3, 31))).all())
    assert rr[programme.id] == 1


def test_case_h_ends_when_the_carried_over_referral_closes(hospital):
    programme, reading, _ = hospital
    h = PersonFactory()
    reached(reading, h, date(2024, 2, 20), closed_on=date(2024, 8, 1))
    reached(reading, h, date(2024, 7, 3))  # re-referral while still open
    reached(reading, h, date(2024, 10, 9))  # after it closed: new, returning
    row = _rows()[h.id]
    assert (row.quarter, row.is_returning) == (3, True)


def test_age_not_known_counts_with_no_band_and_estimates_move_on(hospital):
    _, reading, _ = hospital
    unknown = PersonFactory(date_of_birth=None)
    estimated = PersonFactory(date_of_birth=None, estimated_age=24, estimated_on=date(2023, 5, 1))
    reached(reading, unknown, date(2024, 5, 1))
    reached(reading, estimated, date(2024, 5, 2))
    rows = _rows()
    assert (rows[unknown.id].age, rows[unknown.id].band) == (None, "not_known")
    assert (rows[estimated.id].age, rows[estimated.id].band) == (25, "25_and_over")


def test_merged_people_count_once_as_the_survivor(hospital):
    _, reading, oxford = hospital
    survivor = PersonFactory()
    duplicate = PersonFactory(merged_into_id=survivor.id)
    reached(oxford, duplicate, date(2024, 8, 1))
    reached(reading, survivor, date(2024, 10, 1))
    rows = counting.counted_people(2024)
    mine = [r for r in rows if r.person_id in (survivor.id, duplicate.id)]
    assert [(r.person_id, r.quarter) for r in mine] == [(survivor.id, 2)]


def test_totals_and_provider_shares_add_up(hospital):
    programme, reading, oxford = hospital
    for i in range(3):
        reached(reading, PersonFactory(), date(2024, 4 + i, 5))
    reached(oxford, PersonFactory(date_of_birth=date(1990, 1, 1)), date(2024, 10, 5))
    totals = counting.reach_totals(2024)
    assert totals[counting.ReachKey(programme.id, 1, "24_and_under")] == 3
    assert totals[counting.ReachKey(programme.id, 3, "25_and_over")] == 1
    assert len(counting.counted_people(2024, organisation_ids=[reading.provider_id])) == 3
    assert len(counting.counted_people(2024, organisation_ids=[oxford.provider_id])) == 1


# ---------------------------------------------------------------- reference implementation


def reference_count(fy: int, referrals: list[dict], windows: dict[int, tuple[date, date]]) -> set[tuple]:
    """DOMAIN.md §3 in plain Python: (programme, person, quarter, age, band, fine band, returning)."""
    counted = {}
    for r in sorted(referrals, key=lambda r: (r["reached_on"] or date.max, r["id"])):
        start, end = windows.get(r["programme_id"], fy_bounds(fy))
        if r["reached_on"] is None or r["arm"] is TrialArm.CONTROL or not start <= r["reached_on"] <= end:
            continue
        key = (r["programme_id"], r["person_key"])
        if key in counted:
            continue
        # Case H: still continuing caseload on this reach (carried over, not control, not closed before it).
        if any(o["person_key"] == r["person_key"] and o["programme_id"] == r["programme_id"]
               and o["reached_on"] is not None and o["reached_on"] < start and o["arm"] is not TrialArm.CONTROL
               and (o["closed_on"] is None or o["closed_on"] >= r["reached_on"]) for o in referrals):
            continue
        p = r["person"]
        age = age_at_reach(p["dob"], p["est_age"], p["est_on"], r["reached_on"])
        returning = any(o["person_key"] == r["person_key"] and o["programme_id"] == r["programme_id"]
                        and o["id"] != r["id"] and o["closed_on"] is not None and o["closed_on"] < r["reached_on"]
                        for o in referrals)
        counted[key] = (r["programme_id"], r["person_key"], quarter_of(r["reached_on"]), age,
                        target_band(age).value, fine_band(age).value, returning)
    return set(counted.values())


people_strategy = st.fixed_dictionaries({
    "dob": st.one_of(st.none(), st.dates(date(1985, 1, 1), date(2016, 12, 31))),
    "est_age": st.one_of(st.none(), st.integers(0, 40)),
    "est_on": st.one_of(st.none(), st.dates(date(2022, 1, 1), date(2025, 12, 31))),
    "merged_into": st.one_of(st.none(), st.integers(0, 5)),
    "sex": st.one_of(st.none(), st.sampled_from(list(Sex))),
    "ethnicity": st.one_of(st.none(), st.sampled_from(list(Ethnicity))),
})
referral_strategy = st.fixed_dictionaries({
    "person": st.integers(0, 5),
    "programme": st.integers(0, 1),
    "reached_on": st.one_of(st.none(), st.dates(date(2023, 1, 1), date(2025, 6, 30))),
    "closed_after": st.one_of(st.none(), st.integers(0, 400)),
    "arm": st.sampled_from([TrialArm.NONE, TrialArm.NONE, TrialArm.INTERVENTION, TrialArm.CONTROL]),
    "site": st.integers(0, 1),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(people=st.lists(people_strategy, min_size=6, max_size=6),
       referrals=st.lists(referral_strategy, min_size=0, max_size=14),
       window_override=st.booleans(), fy=st.sampled_from([2023, 2024]))
def test_sql_agrees_with_the_reference_on_random_histories(db_session, people, referrals, window_override, fy):
    nested = db.session.begin_nested()
    try:
        programmes = [ProgrammeFactory(), ProgrammeFactory()]
        sites = [[SiteFactory(programme=p), SiteFactory(programme=p)] for p in programmes]
        windows = {}
        if window_override:
            windows[programmes[1].id] = (date(fy, 9, 1), date(fy + 1, 3, 31))
            CountingWindowFactory(programme=programmes[1], fy=fy, starts_on=date(fy, 9, 1), ends_on=date(fy + 1, 3, 31))
        rows = [PersonFactory(date_of_birth=p["dob"], estimated_age=p["est_age"], estimated_on=p["est_on"],
                              sex=p["sex"], ethnicity=p["ethnicity"]) for p in people]
        for p, row in zip(people, rows, strict=False):
            # Merge into a survivor that is not itself merged (merging always points at the survivor).
            target = p["merged_into"]
            if target is not None and people[target]["merged_into"] is None and rows[target] is not row:
                row.merged_into_id = rows[target].id
        db.session.flush()
        ref_people = {row.id: {"dob": row.date_of_birth, "est_age": row.estimated_age, "est_on": row.estimated_on}
                      for row in rows}
        history = []
        for r in referrals:
            person = rows[r["person"]]
            key = person.merged_into_id or person.id
            survivor = ref_people[key]
            if r["reached_on"] is not None and survivor["dob"] is not None and survivor["dob"] > r["reached_on"]:
                continue  # reached before birth is refused at entry
            closed_on = r["reached_on"] + timedelta(days=r["closed_after"]) if (
                r["reached_on"] and r["closed_after"] is not None) else None
            referral = ReferralFactory(site=sites[r["programme"]][r["site"]], person=person,
                                       referred_on=r["reached_on"] or date(2024, 1, 1), reached_on=r["reached_on"],
                                       closed_on=closed_on, trial_arm=r["arm"])
            history.append({"id": referral.id, "programme_id": programmes[r["programme"]].id, "person_key": key,
                            "person": survivor, "reached_on": r["reached_on"], "closed_on": closed_on,
                            "arm": r["arm"]})
        db.session.flush()
        ids = [p.id for p in programmes]
        got = {(r.programme_id, r.person_id, r.quarter, r.age, r.band, r.fine_band, bool(r.is_returning))
               for r in counting.counted_people(fy, programme_ids=ids)}
        assert got == reference_count(fy, history, windows)
        _assert_cube_agrees(fy)
    finally:
        nested.rollback()


def _assert_cube_agrees(fy: int) -> None:
    """The return's one-statement cube (new people, unique people's demographics, exception counts) sums
    to the same figures as the counted people it is built from, aggregated here in Python."""
    from collections import Counter

    from app.reports.queries import ReachCube
    from app.referrals.ethnicity import group_of

    _, fy_end = fy_bounds(fy)
    rows = counting.counted_people(fy, as_at=fy_end)
    cube = ReachCube(fy, fy_end)
    new = Counter((r.programme_id, r.quarter, r.band) for r in rows)
    assert {(p, q, b): n for p, by_q in cube.new_people().items() for q, by_b in by_q.items()
            for b, n in by_b.items() if n} == dict(new)
    first = {}
    for r in sorted(rows, key=lambda r: (r.reached_on, r.programme_id)):
        first.setdefault(r.person_id, r)
    grid = Counter((r.fine_band, r.sex.value if r.sex else "not_known") for r in first.values())
    ethnic = Counter(group_of(r.ethnicity).value for r in first.values())
    got_grid, got_ethnic = cube.demographics()
    assert {(b, s): n for b, s, n in got_grid if n} == dict(grid)
    assert {g: n for g, n in got_ethnic if n} == dict(ethnic)
    exceptions = cube.exception_counts()
    assert exceptions["age_not_known"] == sum(r.band == "not_known" for r in rows)
    assert exceptions["no_sex"] == sum(r.sex is None for r in rows)
    assert exceptions["no_ethnicity"] == sum(r.ethnicity is None for r in rows)


def test_sql_age_matches_age_on_around_leap_day_birthdays(hospital):
    _, reading, _ = hospital
    cases = [(date(2004, 2, 29), date(2025, 2, 28)), (date(2004, 2, 29), date(2025, 3, 1)),
             (date(2000, 3, 1), date(2024, 2, 29)), (date(1999, 12, 31), date(2024, 12, 30))]
    people = []
    for dob, on in cases:
        person = PersonFactory(date_of_birth=dob)
        reached(reading, person, on)
        people.append((person, age_on(dob, on), on))
    rows = {**_rows(2023), **_rows(2024)}
    for person, expected, on in people:
        assert rows[person.id].age == expected, (person.date_of_birth, on)
