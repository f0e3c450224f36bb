"""Disclosure control for public outputs (DOMAIN.md §7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.reports.suppression import (
    SUPPRESSED,
    SuppressedGrid,
    SuppressedTable,
    round_to_base,
    suppress_count,
    suppress_grid,
    suppress_percentage,
    suppress_table,
    suppress_total,
)

counts = st.integers(min_value=0, max_value=1_000_000)


def test_domain_example() -> None:
    # DOMAIN.md §7: 96 / 23 / 9 / 7 / 3 / 2 (total 140) → 95 / 25 / 10 / * / * / * (total 140).
    table = suppress_table([96, 23, 9, 7, 3, 2])
    assert table == SuppressedTable(cells=(95, 25, 10, "*", "*", "*"), total=140)


def test_total_is_rounded_from_the_exact_total_not_the_published_cells() -> None:
    # Published cells add to 10 + 10 + 10 = 30, but the exact total 27 rounds to 25.
    table = suppress_table([9, 9, 9])
    assert table.cells == (10, 10, 10)
    assert table.total == 25
    # Cells all suppressed, total still shown once it reaches 8.
    assert suppress_table([3, 3, 3]) == SuppressedTable(cells=("*", "*", "*"), total=10)


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, 0),
        (1, "*"),
        (7, "*"),
        (8, 10),
        (9, 10),
        (12, 10),
        (13, 15),
        (22, 20),
        (23, 25),
        (96, 95),
        (97, 95),
        (98, 100),
        (140, 140),
    ],
)
def test_suppress_count(n: int, shown: int | str) -> None:
    assert suppress_count(n) == shown


def test_suppress_total_follows_the_same_rule() -> None:
    assert suppress_total(0) == 0
    assert suppress_total(5) == SUPPRESSED
    assert suppress_total(143) == 145


def test_round_to_base_halves_go_up() -> None:
    assert round_to_base(23) == 25
    assert round_to_base(22) == 20
    assert round_to_base(5, base=10) == 10  # an exact half
    assert round_to_base(15, base=10) == 20
    assert round_to_base(2, base=4) == 4
    with pytest.raises(ValueError, match="base"):
        round_to_base(5, base=0)


def test_counts_must_be_non_negative_whole_numbers() -> None:
    with pytest.raises(ValueError, match="negative"):
        suppress_count(-1)
    with pytest.raises(TypeError, match="whole number"):
        suppress_count(8.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        suppress_count(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        suppress_table([3, -1])


def test_suppress_percentage() -> None:
    assert suppress_percentage(3, 7) == SUPPRESSED  # denominator under 8
    assert suppress_percentage(0, 0) == SUPPRESSED
    assert suppress_percentage(3, 8) == Decimal("37.5")
    assert suppress_percentage(23, 140) == Decimal("16.4")  # from exact counts, not 25 / 140
    assert suppress_percentage(1, 3, places=0) == SUPPRESSED
    assert suppress_percentage(2, 30, places=2) == Decimal("6.67")
    assert suppress_percentage(120, 100) == Decimal("120.0")


def test_suppress_percentage_rounds_half_up() -> None:
    # 1 / 16 = 6.25% → 6.3% (half up), not 6.2% (half even).
    assert suppress_percentage(1, 16) == Decimal("6.3")


def test_suppress_grid() -> None:
    grid = suppress_grid([[96, 3], [23, 9], [0, 7]])
    assert grid == SuppressedGrid(
        cells=((95, "*"), (25, 10), (0, "*")),
        row_totals=(100, 30, "*"),  # 99, 32, 7
        column_totals=(120, 20),  # 119, 19
        grand_total=140,  # 138
    )


def test_suppress_grid_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="same number of columns"):
        suppress_grid([[1, 2], [3]])


def test_empty_grid_and_table() -> None:
    assert suppress_grid([]) == SuppressedGrid(cells=(), row_totals=(), column_totals=(), grand_total=0)
    assert suppress_table([]) == SuppressedTable(cells=(), total=0)


# --- properties ----------------------------------------------------------------------------------


@given(counts)
def test_never_publishes_1_to_7(n: int) -> None:
    shown = suppress_count(n)
    if isinstance(shown, str):
        assert shown == SUPPRESSED
        assert 1 <= n <= 7
    else:
        assert shown == 0 or shown >= 10
        assert shown % 5 == 0
        assert (shown == 0) == (n == 0)


@given(st.integers(min_value=8, max_value=1_000_000))
def test_rounding_moves_a_count_by_at_most_2(n: int) -> None:
    shown = suppress_count(n)
    assert isinstance(shown, int)
    assert abs(shown - n) <= 2


@given(st.lists(counts, max_size=20))
def test_table_total_is_independent_of_cells(values: list[int]) -> None:
    table = suppress_table(values)
    assert len(table.cells) == len(values)
    assert table.total == suppress_total(sum(values))
    assert all(
        cell == SUPPRESSED or (isinstance(cell, int) and cell not in range(1, 8)) for cell in table.cells
    )


@given(counts, st.integers(min_value=0, max_value=1_000_000))
def test_percentage_shown_only_with_a_denominator_of_8_or_more(numerator: int, denominator: int) -> None:
    shown = suppress_percentage(numerator, denominator)
    assert (shown == SUPPRESSED) == (denominator < 8)
    if isinstance(shown, Decimal):
        assert abs(shown - Decimal(numerator) * 100 / denominator) <= Decimal("0.05")
