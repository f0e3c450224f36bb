"""Disclosure control for public outputs (pure).

The rule (DOMAIN.md §7): returns to the Home Office use exact counts. Public
outputs (annual report tables, the website) may be suppressed, an option on any
report:

- 0 stays 0;
- 1 to 7 are shown as "*";
- 8 and above are rounded to the nearest 5 (halves up);
- totals are rounded independently, from the exact total, never added up from
  rounded or suppressed cells;
- a percentage whose denominator is under 8 is suppressed.

Example: 96 / 23 / 9 / 7 / 3 / 2 (total 140) → 95 / 25 / 10 / * / * / * (total 140).

Because 8 rounds to 10, a shown count is never between 1 and 7, so a small
number cannot be read off any single cell. Percentages are worked out from the
exact counts and rounded only for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "ROUNDING_BASE",
    "SMALLEST_SHOWN",
    "SUPPRESSED",
    "Cell",
    "SuppressedGrid",
    "SuppressedTable",
    "round_to_base",
    "suppress_count",
    "suppress_grid",
    "suppress_percentage",
    "suppress_table",
    "suppress_total",
]

SUPPRESSED = "*"
# Smallest count shown (rounded) rather than replaced by SUPPRESSED; also the smallest denominator
# a percentage may have.
SMALLEST_SHOWN = 8
ROUNDING_BASE = 5

Cell = int | str


@dataclass(frozen=True, slots=True)
class SuppressedTable:
    """A column (or row) of suppressed counts and its independently suppressed total."""

    cells: tuple[Cell, ...]
    total: Cell


@dataclass(frozen=True, slots=True)
class SuppressedGrid:
    """A two-way table (e.g. age band × sex) with every total suppressed from its exact value."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    grand_total: Cell


def _check_count(n: int, name: str = "count") -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be a whole number, not {n!r}")
    if n < 0:
        raise ValueError(f"{name} cannot be negative ({n})")
    return n


def round_to_base(n: int, base: int = ROUNDING_BASE) -> int:
    """Round a non-negative count to the nearest multiple of ``base``, halves up (23 → 25, 22 → 20)."""
    _check_count(n)
    if isinstance(base, bool) or not isinstance(base, int) or base < 1:
        raise ValueError(f"base must be a positive whole number, not {base!r}")
    # Integer arithmetic: (n + base/2) // base without a float, so halves go up for odd and even bases.
    return (2 * n + base) // (2 * base) * base


def suppress_count(n: int) -> Cell:
    """A count as it may be published: 0, "*" for 1 to 7, otherwise rounded to the nearest 5."""
    _check_count(n)
    if n == 0:
        return 0
    if n < SMALLEST_SHOWN:
        return SUPPRESSED
    return round_to_base(n)


def suppress_total(n: int) -> Cell:
    """A total as it may be published, from the exact total (not the sum of published cells).

    The rule is the same as for a cell; this name makes the call site say "rounded independently".
    """
    return suppress_count(n)


def suppress_percentage(numerator: int, denominator: int, places: int = 1) -> Decimal | str:
    """numerator ÷ denominator as a percentage rounded half up, or "*" when the denominator is under 8.

    Worked from the exact counts. A numerator above the denominator is allowed
    (e.g. reach against a target).
    """
    _check_count(numerator, "numerator")
    _check_count(denominator, "denominator")
    if denominator < SMALLEST_SHOWN:
        return SUPPRESSED
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def suppress_table(values: Iterable[int]) -> SuppressedTable:
    """Suppress each count and, independently, their exact total.

    96, 23, 9, 7, 3, 2 → 95, 25, 10, *, *, * with total 140.
    """
    counts = tuple(_check_count(n) for n in values)
    return SuppressedTable(
        cells=tuple(suppress_count(n) for n in counts),
        total=suppress_total(sum(counts)),
    )


def suppress_grid(rows: Sequence[Sequence[int]]) -> SuppressedGrid:
    """Suppress a two-way table: every cell, every row and column total and the grand total.

    Rows must all be the same length.
    """
    exact = tuple(tuple(_check_count(n) for n in row) for row in rows)
    widths = {len(row) for row in exact}
    if len(widths) > 1:
        raise ValueError(f"every row must have the same number of columns, not {sorted(widths)}")
    width = widths.pop() if widths else 0
    column_sums = tuple(sum(row[column] for row in exact) for column in range(width))
    return SuppressedGrid(
        cells=tuple(tuple(suppress_count(n) for n in row) for row in exact),
        row_totals=tuple(suppress_total(sum(row)) for row in exact),
        column_totals=tuple(suppress_total(n) for n in column_sums),
        grand_total=suppress_total(sum(column_sums)),
    )
