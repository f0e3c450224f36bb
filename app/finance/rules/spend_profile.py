"""The shape of the year's spend: the Q4 share warning (35%, a setting), underspend per line, unallocated grant."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_FLOOR, Decimal
from types import MappingProxyType

from app.finance.rules.core import (
    PENNY,
    Q4_THRESHOLD,
    ZERO,
    RuleResult,
    RuleStatus,
    displayed_ratio,
    exact_ratio,
    format_money,
    fraction,
    money,
    not_applicable,
    pence_up,
    threshold_text,
)


def q4_share(quarter_amounts: Mapping[int, Decimal], threshold: Decimal = Q4_THRESHOLD) -> RuleResult:
    """Spend profile warning: Q4 should hold no more than ``threshold`` of the year's spend.

    ``quarter_amounts`` maps quarter (1–4) to spend; missing quarters are £0.
    Above the threshold the status is "at risk" (a warning, never a fail) and
    ``details["excess"]`` is the Q4 spend above that share.
    """
    threshold = fraction(threshold, "threshold")
    amounts: dict[int, Decimal] = {quarter: ZERO for quarter in range(1, 5)}
    for quarter, amount in quarter_amounts.items():
        if quarter not in amounts:
            raise ValueError(f"quarter must be 1, 2, 3 or 4, not {quarter!r}")
        amounts[quarter] = money(amount, f"Q{quarter} spend")
    total = sum(amounts.values(), ZERO)
    q4 = amounts[4]
    details: dict[str, Decimal | None] = {f"q{quarter}": amount for quarter, amount in amounts.items()}
    if total == 0:
        return not_applicable(
            "q4_share",
            threshold,
            q4,
            total,
            "No spend is recorded for the year, so the Q4 spend profile check does not apply.",
            **details,
            excess=ZERO,
        )
    ratio = exact_ratio(q4, total)
    allowed = threshold * total
    above = ratio > threshold
    excess = pence_up(q4 - allowed) if above else ZERO
    status = RuleStatus.AT_RISK if above else RuleStatus.PASS
    shown = displayed_ratio(ratio, threshold)
    limit = threshold_text(threshold)
    outcome = f"at risk, {format_money(excess)} above that share." if above else "pass."
    return RuleResult(
        name="q4_share",
        threshold=threshold,
        numerator=q4,
        denominator=total,
        ratio=ratio,
        status=status,
        shortfall=ZERO,
        message=f"Q4 holds {shown} of the year's spend (no more than {limit} advised): {outcome}",
        required=allowed.quantize(PENNY, rounding=ROUND_FLOOR),
        details=MappingProxyType({**details, "excess": excess}),
    )


def underspend(allocation: Decimal, actual: Decimal, forecast: Decimal) -> Decimal:
    """Allocation − (actual + forecast) for a budget line; negative means an overspend.

    Credits can make actual spend negative, so no amount here has to be positive.
    """
    return (
        money(allocation, "allocation", allow_negative=True)
        - money(actual, "actual spend", allow_negative=True)
        - money(forecast, "forecast spend", allow_negative=True)
    )


def unallocated(grant: Decimal, line_totals: Iterable[Decimal]) -> Decimal:
    """Grant − the sum of the budget lines; negative means the lines are over-allocated.

    2024-25: lines adding to £1,497,500 of £1,510,000 leave £12,500 unallocated.
    """
    total = sum(
        (money(line, "budget line", allow_negative=True) for line in line_totals),
        ZERO,
    )
    return money(grant, "grant") - total
