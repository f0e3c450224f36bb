"""Target and fine age bands, and age on the reach date (DOMAIN.md §3.5, §3.7)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.programmes.age_bands import (
    FINE_BAND_EDGES,
    FINE_BAND_RANGES,
    TARGET_BAND_UPPER,
    AgeBand,
    FineBand,
    age_at_reach,
    fine_band,
    target_band,
)

# --- the enums -----------------------------------------------------------------------------------


def test_age_band_values_and_labels() -> None:
    assert [band.value for band in AgeBand] == ["24_and_under", "25_and_over", "not_known"]
    assert [band.label for band in AgeBand] == ["24 and under", "25 and over", "Age not known"]
    # A str enum: stored and compared as its value.
    assert AgeBand("24_and_under") is AgeBand.AGED_24_AND_UNDER
    assert AgeBand.AGED_25_AND_OVER == "25_and_over"
    assert f"{AgeBand.NOT_KNOWN}" == "not_known"


def test_fine_band_order_and_labels() -> None:
    assert [band.label for band in FineBand] == [
        "Under 10",
        "10 to 14",
        "15 to 17",
        "18 to 24",
        "25 and over",
        "Age not known",
    ]


# --- target bands --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, AgeBand.AGED_24_AND_UNDER),
        (15, AgeBand.AGED_24_AND_UNDER),
        (24, AgeBand.AGED_24_AND_UNDER),
        (25, AgeBand.AGED_25_AND_OVER),
        (60, AgeBand.AGED_25_AND_OVER),
        (None, AgeBand.NOT_KNOWN),
    ],
)
def test_target_band(age: int | None, band: AgeBand) -> None:
    assert target_band(age) is band


def test_target_band_rejects_bad_ages() -> None:
    with pytest.raises(ValueError, match="negative"):
        target_band(-1)
    with pytest.raises(TypeError, match="whole number"):
        target_band(24.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        target_band(True)  # type: ignore[arg-type]


# --- fine bands ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, FineBand.UNDER_10),
        (9, FineBand.UNDER_10),
        (10, FineBand.AGED_10_TO_14),
        (14, FineBand.AGED_10_TO_14),
        (15, FineBand.AGED_15_TO_17),
        (17, FineBand.AGED_15_TO_17),
        (18, FineBand.AGED_18_TO_24),
        (24, FineBand.AGED_18_TO_24),
        (25, FineBand.AGED_25_AND_OVER),
        (99, FineBand.AGED_25_AND_OVER),
        (None, FineBand.NOT_KNOWN),
    ],
)
def test_fine_band(age: int | None, band: FineBand) -> None:
    assert fine_band(age) is band


def test_fine_band_rejects_negative_age() -> None:
    with pytest.raises(ValueError, match="negative"):
        fine_band(-3)


def test_sql_constants_describe_the_same_bands() -> None:
    assert TARGET_BAND_UPPER == 24
    assert FINE_BAND_EDGES == (10, 15, 18, 25)
    assert [band for band, _, _ in FINE_BAND_RANGES] == [b for b in FineBand if b is not FineBand.NOT_KNOWN]
    # Ranges are contiguous from 0 and only the last is open-ended.
    assert FINE_BAND_RANGES[0][1] == 0
    for (_, _, highest), (_, next_lowest, _) in zip(FINE_BAND_RANGES, FINE_BAND_RANGES[1:], strict=False):
        assert highest is not None and next_lowest == highest + 1
    assert FINE_BAND_RANGES[-1][2] is None


@given(st.integers(min_value=0, max_value=130))
def test_fine_bands_roll_up_to_target_bands(age: int) -> None:
    assert fine_band(age).target_band is target_band(age)


@given(st.integers(min_value=0, max_value=130))
def test_sql_ranges_agree_with_fine_band(age: int) -> None:
    matching = [band for band, lo, hi in FINE_BAND_RANGES if lo <= age and (hi is None or age <= hi)]
    assert matching == [fine_band(age)]


def test_not_known_rolls_up_to_not_known() -> None:
    assert FineBand.NOT_KNOWN.target_band is AgeBand.NOT_KNOWN


# --- age at reach --------------------------------------------------------------------------------


def test_person_d_counts_as_24_and_under() -> None:
    # DOMAIN.md §3 person D: born 1 Oct 1999, reached 15 Jun 2024, aged 24.
    age = age_at_reach(date(1999, 10, 1), None, None, date(2024, 6, 15))
    assert age == 24
    assert target_band(age) is AgeBand.AGED_24_AND_UNDER
    assert fine_band(age) is FineBand.AGED_18_TO_24


def test_turning_25_later_in_the_year_does_not_move_the_band() -> None:
    # The band is fixed by the reach date; a later contact after the birthday is irrelevant.
    reach = date(2024, 6, 15)
    later_contact = date(2025, 2, 1)
    born = date(1999, 10, 1)
    assert target_band(age_at_reach(born, None, None, reach)) is AgeBand.AGED_24_AND_UNDER
    assert target_band(age_at_reach(born, None, None, later_contact)) is AgeBand.AGED_25_AND_OVER


def test_date_of_birth_wins_over_estimate() -> None:
    assert age_at_reach(date(2008, 1, 1), 30, date(2024, 1, 1), date(2024, 6, 1)) == 16


def test_estimated_age_moves_on_by_whole_years() -> None:
    estimated_on = date(2023, 6, 1)
    assert age_at_reach(None, 24, estimated_on, date(2024, 5, 31)) == 24  # 11 months later
    assert age_at_reach(None, 24, estimated_on, date(2024, 6, 1)) == 25  # a whole year later
    assert age_at_reach(None, 24, estimated_on, date(2026, 6, 1)) == 27


def test_estimated_age_moves_back_for_an_earlier_reach() -> None:
    estimated_on = date(2024, 6, 1)
    assert age_at_reach(None, 20, estimated_on, date(2024, 1, 15)) == 20
    assert age_at_reach(None, 20, estimated_on, date(2023, 6, 1)) == 19
    assert age_at_reach(None, 0, estimated_on, date(2021, 1, 1)) == 0  # never negative


def test_undated_estimate_is_used_as_it_stands() -> None:
    assert age_at_reach(None, 17, None, date(2024, 6, 1)) == 17


def test_no_evidence_means_age_not_known() -> None:
    age = age_at_reach(None, None, None, date(2024, 6, 1))
    assert age is None
    assert target_band(age) is AgeBand.NOT_KNOWN
    assert fine_band(age) is FineBand.NOT_KNOWN
    assert age_at_reach(None, None, date(2024, 1, 1), date(2024, 6, 1)) is None


def test_reach_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_at_reach(date(2024, 7, 1), None, None, date(2024, 6, 1))


def test_negative_estimate_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        age_at_reach(None, -2, None, date(2024, 6, 1))


@given(
    st.integers(min_value=0, max_value=90),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
)
def test_estimate_on_its_own_date_is_unchanged_and_never_falls_over_time(
    estimate: int, estimated_on: date, reach: date
) -> None:
    assert age_at_reach(None, estimate, estimated_on, estimated_on) == estimate
    aged = age_at_reach(None, estimate, estimated_on, reach)
    assert aged is not None and aged >= 0
    if reach >= estimated_on:
        assert aged >= estimate
    else:
        assert aged <= estimate
