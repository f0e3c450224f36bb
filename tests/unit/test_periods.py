"""Financial years, quarters, windows and ages (DOMAIN.md §1, §3.5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.periods import (
    FyQuarter,
    Window,
    academic_year_bounds,
    academic_year_label,
    academic_year_of,
    age_on,
    days_in_fy,
    default_window,
    fy_bounds,
    fy_label,
    fy_of,
    fy_quarter_of,
    fy_window,
    parse_fy_label,
    pro_rata_fraction,
    quarter_bounds,
    quarter_label,
    quarter_of,
    quarter_of_fy_date,
    quarter_window,
    quarters_in_window,
)

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
years = st.integers(min_value=1900, max_value=2100)


# --- financial year and quarter of a date --------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "fy", "quarter"),
    [
        (date(2024, 3, 31), 2023, 4),  # last day of 2023-24
        (date(2024, 4, 1), 2024, 1),  # first day of 2024-25
        (date(2024, 6, 30), 2024, 1),
        (date(2024, 7, 1), 2024, 2),
        (date(2024, 9, 30), 2024, 2),
        (date(2024, 10, 1), 2024, 3),
        (date(2024, 12, 31), 2024, 3),
        (date(2025, 1, 1), 2024, 4),
        (date(2025, 3, 31), 2024, 4),
        (date(2024, 2, 29), 2023, 4),  # leap day sits in Q4 of the previous FY
    ],
)
def test_fy_and_quarter_at_boundaries(d: date, fy: int, quarter: int) -> None:
    assert fy_of(d) == fy
    assert quarter_of(d) == quarter
    assert fy_quarter_of(d) == FyQuarter(fy, quarter)
    assert fy_quarter_of(d) == (fy, quarter)


def test_quarter_of_fy_date_is_the_same_function() -> None:
    assert quarter_of_fy_date(date(2024, 7, 3)) == FyQuarter(2024, 2)


def test_domain_worked_reach_dates() -> None:
    # DOMAIN.md §3 worked cases: B reached 3 Jul 2024 is Q2; F first session 16 Sep 2024 is Q2;
    # A reached 20 Feb 2024 belongs to 2023-24 (carry-over into 2024-25).
    assert fy_quarter_of(date(2024, 7, 3)) == (2024, 2)
    assert fy_quarter_of(date(2024, 9, 16)) == (2024, 2)
    assert fy_quarter_of(date(2024, 2, 20)) == (2023, 4)


def test_datetime_is_reduced_to_its_date() -> None:
    assert fy_quarter_of(datetime(2025, 3, 31, 23, 59)) == (2024, 4)
    assert fy_window(2024).contains(datetime(2025, 3, 31, 23, 59))


def test_non_date_is_rejected() -> None:
    with pytest.raises(TypeError, match="must be a date"):
        fy_of("2024-04-01")  # type: ignore[arg-type]


# --- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fy", "label"), [(2024, "2024-25"), (2022, "2022-23"), (1999, "1999-00"), (2009, "2009-10")]
)
def test_fy_label(fy: int, label: str) -> None:
    assert fy_label(fy) == label
    assert parse_fy_label(label) == fy


@pytest.mark.parametrize(
    "label", ["2024/25", "2024-2025", "2024/2025", "FY2024-25", " 2024-25 ", "2024\u201325"]
)
def test_parse_fy_label_accepts_common_variants(label: str) -> None:
    assert parse_fy_label(label) == 2024


@pytest.mark.parametrize("label", ["2024-26", "2024-2026", "2024", "24-25", "twenty", "", "2024-25-26"])
def test_parse_fy_label_rejects_nonsense(label: str) -> None:
    with pytest.raises(ValueError, match="financial year"):
        parse_fy_label(label)


def test_parse_fy_label_rejects_non_string() -> None:
    with pytest.raises(TypeError):
        parse_fy_label(2024)  # type: ignore[arg-type]


def test_quarter_label() -> None:
    assert quarter_label(2024, 2) == "2024-25 Q2"


@pytest.mark.parametrize("bad", [True, 2024.0, "2024"])
def test_fy_must_be_an_int(bad: object) -> None:
    with pytest.raises(TypeError, match="financial year"):
        fy_label(bad)  # type: ignore[arg-type]


# --- bounds --------------------------------------------------------------------------------------


def test_fy_bounds() -> None:
    assert fy_bounds(2024) == (date(2024, 4, 1), date(2025, 3, 31))


@pytest.mark.parametrize(
    ("quarter", "bounds"),
    [
        (1, (date(2024, 4, 1), date(2024, 6, 30))),
        (2, (date(2024, 7, 1), date(2024, 9, 30))),
        (3, (date(2024, 10, 1), date(2024, 12, 31))),
        (4, (date(2025, 1, 1), date(2025, 3, 31))),
    ],
)
def test_quarter_bounds_2024_25(quarter: int, bounds: tuple[date, date]) -> None:
    assert quarter_bounds(2024, quarter) == bounds
    assert quarter_window(2024, quarter) == Window(*bounds)


def test_q4_of_a_leap_fy_includes_29_february() -> None:
    assert quarter_bounds(2023, 4) == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarter_window(2023, 4).days == 91
    assert quarter_window(2024, 4).days == 90


@pytest.mark.parametrize("quarter", [0, 5, -1])
def test_quarter_out_of_range(quarter: int) -> None:
    with pytest.raises(ValueError, match="quarter must be 1, 2, 3 or 4"):
        quarter_bounds(2024, quarter)


def test_quarter_must_be_int() -> None:
    with pytest.raises(TypeError, match="quarter"):
        quarter_bounds(2024, "1")  # type: ignore[arg-type]


@pytest.mark.parametrize(("fy", "days"), [(2023, 366), (2024, 365), (2022, 365), (2027, 366), (2099, 365)])
def test_days_in_fy(fy: int, days: int) -> None:
    # 2023-24 contains 29 Feb 2024; 2099-00 contains no leap day because 2100 is not a leap year.
    assert days_in_fy(fy) == days


# --- windows -------------------------------------------------------------------------------------


def test_default_window_is_the_whole_fy() -> None:
    window = default_window(2024)
    assert window == Window(date(2024, 4, 1), date(2025, 3, 31))
    assert window.days == 365


def test_window_contains_is_inclusive() -> None:
    school = Window(date(2024, 9, 1), date(2025, 3, 31))
    assert school.contains(date(2024, 9, 1))
    assert school.contains(date(2025, 3, 31))
    assert not school.contains(date(2024, 8, 31))
    assert not school.contains(date(2025, 4, 1))
    assert date(2024, 9, 16) in school  # DOMAIN.md §3 person F counts
    assert date(2024, 6, 12) not in school  # person E does not
    assert "2024-09-16" not in school


def test_single_day_window() -> None:
    window = Window(date(2024, 2, 29), date(2024, 2, 29))
    assert window.days == 1
    assert window.contains(date(2024, 2, 29))


def test_window_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match=r"cannot end \(2024-03-31\) before it starts \(2024-04-01\)"):
        Window(date(2024, 4, 1), date(2024, 3, 31))


def test_window_is_immutable() -> None:
    window = default_window(2024)
    with pytest.raises(AttributeError):
        window.starts_on = date(2024, 9, 1)  # type: ignore[misc]


def test_window_normalises_datetimes() -> None:
    window = Window(datetime(2024, 4, 1, 9, 0), datetime(2024, 4, 30, 17, 0))
    assert window == Window(date(2024, 4, 1), date(2024, 4, 30))
    assert type(window.starts_on) is date


def test_window_intersection() -> None:
    fy = fy_window(2024)
    secondment = Window(date(2023, 10, 1), date(2024, 9, 30))
    assert fy.intersection(secondment) == Window(date(2024, 4, 1), date(2024, 9, 30))
    assert fy.overlap_days(secondment) == 183
    assert fy.intersection(fy_window(2025)) is None
    assert fy.overlap_days(fy_window(2025)) == 0


def test_quarters_in_window() -> None:
    assert quarters_in_window(default_window(2024)) == [(2024, 1), (2024, 2), (2024, 3), (2024, 4)]
    school = Window(date(2024, 9, 1), date(2025, 3, 31))
    assert quarters_in_window(school) == [(2024, 2), (2024, 3), (2024, 4)]
    spanning = Window(date(2024, 3, 31), date(2024, 4, 1))
    assert quarters_in_window(spanning) == [(2023, 4), (2024, 1)]
    assert quarters_in_window(Window(date(2024, 5, 1), date(2024, 5, 2))) == [(2024, 1)]


# --- academic years ------------------------------------------------------------------------------


def test_academic_year() -> None:
    assert academic_year_of(date(2024, 8, 31)) == 2023
    assert academic_year_of(date(2024, 9, 1)) == 2024
    assert academic_year_label(2024) == "2024/25"
    assert academic_year_bounds(2024) == (date(2024, 9, 1), date(2025, 8, 31))


# --- pro rata ------------------------------------------------------------------------------------


def test_pro_rata_fraction_whole_fy() -> None:
    fy = default_window(2024)
    assert pro_rata_fraction(fy, date(2024, 3, 31)) == 0  # day before the window
    assert pro_rata_fraction(fy, date(2024, 4, 1)) == Decimal(1) / Decimal(365)
    assert pro_rata_fraction(fy, date(2024, 6, 30)) == Decimal(91) / Decimal(365)  # end of Q1
    assert pro_rata_fraction(fy, date(2025, 3, 31)) == 1
    assert pro_rata_fraction(fy, date(2026, 1, 1)) == 1


def test_pro_rata_fraction_school_window() -> None:
    school = Window(date(2024, 9, 1), date(2025, 3, 31))  # 212 days
    assert school.days == 212
    assert pro_rata_fraction(school, date(2024, 8, 31)) == 0
    assert pro_rata_fraction(school, date(2024, 9, 30)) == Decimal(30) / Decimal(212)
    # Expected-so-far for a target of 212 after 30 days is 30.
    assert (212 * pro_rata_fraction(school, date(2024, 9, 30))).quantize(Decimal(1)) == 30


def test_pro_rata_fraction_rejects_non_window() -> None:
    with pytest.raises(TypeError, match="Window"):
        pro_rata_fraction((date(2024, 4, 1), date(2025, 3, 31)), date(2024, 5, 1))  # type: ignore[arg-type]


# --- age -----------------------------------------------------------------------------------------


def test_person_d_is_24_on_the_reach_date() -> None:
    # DOMAIN.md §3 person D: born 1 Oct 1999, reached 15 Jun 2024.
    assert age_on(date(1999, 10, 1), date(2024, 6, 15)) == 24
    assert age_on(date(1999, 10, 1), date(2024, 9, 30)) == 24
    assert age_on(date(1999, 10, 1), date(2024, 10, 1)) == 25


def test_age_on_birthday_and_day_before() -> None:
    assert age_on(date(2000, 4, 1), date(2010, 3, 31)) == 9
    assert age_on(date(2000, 4, 1), date(2010, 4, 1)) == 10
    assert age_on(date(2024, 6, 1), date(2024, 6, 1)) == 0


def test_leap_day_birthday_is_1_march_in_common_years() -> None:
    born = date(2004, 2, 29)
    assert age_on(born, date(2022, 2, 28)) == 17
    assert age_on(born, date(2022, 3, 1)) == 18
    assert age_on(born, date(2024, 2, 28)) == 19
    assert age_on(born, date(2024, 2, 29)) == 20


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_on(date(2010, 5, 1), date(2010, 4, 30))


# --- properties ----------------------------------------------------------------------------------


@given(dates)
def test_every_date_is_in_exactly_one_fy_quarter(d: date) -> None:
    fy, quarter = fy_quarter_of(d)
    containing = [
        (y, q) for y in (fy - 1, fy, fy + 1) for q in range(1, 5) if quarter_window(y, q).contains(d)
    ]
    assert containing == [(fy, quarter)]
    assert fy_window(fy).contains(d)


@given(years)
def test_quarters_tile_the_fy(fy: int) -> None:
    starts_on, ends_on = fy_bounds(fy)
    quarters = [quarter_bounds(fy, q) for q in range(1, 5)]
    assert quarters[0][0] == starts_on
    assert quarters[-1][1] == ends_on
    for (_, previous_end), (next_start, _) in zip(quarters, quarters[1:], strict=False):
        assert next_start == previous_end + timedelta(days=1)
    assert sum(Window(*q).days for q in quarters) == days_in_fy(fy)


@given(years)
def test_fy_label_round_trips(fy: int) -> None:
    assert parse_fy_label(fy_label(fy)) == fy


@given(dates, dates)
def test_pro_rata_fraction_is_in_unit_interval_and_monotone(a: date, b: date) -> None:
    window = Window(date(2024, 9, 1), date(2025, 3, 31))
    earlier, later = sorted((a, b))
    low, high = pro_rata_fraction(window, earlier), pro_rata_fraction(window, later)
    assert 0 <= low <= high <= 1


@given(dates, st.integers(min_value=0, max_value=30_000))
def test_age_never_falls_and_rises_at_most_one_a_day(born: date, days_later: int) -> None:
    on = born + timedelta(days=days_later)
    age = age_on(born, on)
    assert 0 <= age <= days_later // 365
    assert age_on(born, on + timedelta(days=1)) in (age, age + 1)


@given(dates.filter(lambda d: (d.month, d.day) != (2, 29)), st.integers(min_value=1, max_value=120))
def test_age_turns_over_on_the_birthday(born: date, years_old: int) -> None:
    birthday = born.replace(year=born.year + years_old)
    assert age_on(born, birthday) == years_old
    assert age_on(born, birthday - timedelta(days=1)) == years_old - 1
