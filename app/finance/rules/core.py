"""What every grant rule shares: the statuses, the judged result, exact money arithmetic and display."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

# Match requirement (% of grant) by financial year, from 001 L240-242.
MATCH_PCT_BY_FY: Mapping[int, int] = MappingProxyType({2022: 10, 2023: 15, 2024: 20})

INTERVENTION_THRESHOLD = Decimal("0.30")
EVALUATION_THRESHOLD = Decimal("0.10")
Q4_THRESHOLD = Decimal("0.35")

EvaluationBasis = Literal["of_interventions", "of_interventions_plus_evaluation"]

PENNY = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
# Ample headroom so a ratio a hair under a threshold is never rounded up onto it.
_RATIO_PRECISION = 50



class RuleStatus(StrEnum):
    PASS = "pass"  # nosec B105 - a rule status, not a password
    AT_RISK = "at_risk"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class RuleResult:
    """One rule check, ready for the return's "Rule checks" section (DOMAIN.md §5 B).

    ``ratio`` is numerator ÷ denominator (None when the denominator is 0).
    ``required`` is the numerator that just meets the rule (for the Q4 rule, the
    most Q4 spend allowed); ``shortfall`` is how much more numerator is needed
    (0 when met). ``details`` carries rule-specific figures, such as both
    evaluation ratios or the match funding at risk.
    """

    name: str
    threshold: Decimal
    numerator: Decimal
    denominator: Decimal
    ratio: Decimal | None
    status: RuleStatus
    shortfall: Decimal
    message: str
    required: Decimal | None = None
    details: Mapping[str, Decimal | None] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, hash=False
    )

    @property
    def percentage(self) -> Decimal | None:
        """The ratio as a percentage rounded half up to one decimal place."""
        return None if self.ratio is None else _round_percentage(self.ratio, 1)

    @property
    def percentage_text(self) -> str:
        """The percentage as the message shows it ("55.1%", "29.96%", "n/a"), for the rule-checks table.

        Normally one decimal place; more only where rounding would put the figure on the threshold.
        """
        return "n/a" if self.ratio is None else displayed_ratio(self.ratio, self.threshold)


# --- validation and arithmetic -------------------------------------------------------------------


def money(value: Decimal | int, name: str, *, allow_negative: bool = False) -> Decimal:
    if isinstance(value, float):
        raise TypeError(
            f"{name} must be a Decimal, not a float: money is held exactly, e.g. Decimal('1510000')"
        )
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal amount, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{name} must be a finite amount, not {amount}")
    if amount < 0 and not allow_negative:
        raise ValueError(f"{name} cannot be negative ({format_money(amount)})")
    return amount


def exact_number(value: Decimal | int, name: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, not a float, so it is exact: e.g. Decimal('0.5')")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be finite, not {number}")
    return number


def fraction(value: Decimal | int, name: str, *, below_one: bool = False) -> Decimal:
    number = exact_number(value, name)
    if number < 0 or number > 1 or (below_one and number == 1):
        upper = "below 1" if below_one else "at most 1"
        raise ValueError(f"{name} must be a fraction from 0 to {upper} (0.30 means 30%), not {number}")
    return number


def exact_ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = _RATIO_PRECISION
        return numerator / denominator


def divide(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else exact_ratio(numerator, denominator)


def pence_up(amount: Decimal) -> Decimal:
    # A requirement or shortfall is rounded up so that meeting it to the penny really meets the rule.
    return amount.quantize(PENNY, rounding=ROUND_CEILING)


def _round_percentage(ratio: Decimal, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    return (ratio * HUNDRED).quantize(Decimal(1).scaleb(-places), rounding=rounding)


def threshold_text(threshold: Decimal) -> str:
    return f"{(threshold * HUNDRED).normalize():f}%"


def displayed_ratio(ratio: Decimal, threshold: Decimal) -> str:
    """One decimal place, or as many more as it takes to keep the figure on its true side of the threshold.

    29.96% against a 30% minimum, or 35.04% against a 35% maximum, would otherwise
    read as sitting exactly on the line.
    """
    limit = threshold * HUNDRED
    true_side = (ratio * HUNDRED > limit) - (ratio * HUNDRED < limit)
    for places in range(1, 12):
        shown = _round_percentage(ratio, places)
        if (shown > limit) - (shown < limit) == true_side:
            return f"{shown}%"
    return f"{_round_percentage(ratio, 12)}%"


def _outcome_text(status: RuleStatus, shortfall: Decimal, *, near_miss: bool) -> str:
    if status is RuleStatus.PASS:
        return "pass."
    if status is RuleStatus.FAIL:
        return f"fail, {format_money(shortfall)} short."
    if near_miss:
        return "at risk: only just above the minimum."
    return f"at risk, {format_money(shortfall)} short on current figures."


# --- public helpers -----------------------------------------------------------------------------


def judge(
    ratio: Decimal | None,
    threshold: Decimal,
    at_risk_margin: Decimal = ZERO,
    *,
    final: bool = True,
) -> RuleStatus:
    """Status of a "ratio must be at least threshold" rule.

    - No ratio (nothing to divide by): not applicable.
    - Below the threshold: "fail" on final year-end outturn, "at risk" in-year.
    - In-year and within ``at_risk_margin`` above the threshold: "at risk".
    - Otherwise: "pass". The margin does not apply to final figures: at year end
      the rule is met or it is not.
    """
    if ratio is None:
        return RuleStatus.NOT_APPLICABLE
    threshold = fraction(threshold, "threshold")
    margin = exact_number(at_risk_margin, "at_risk_margin")
    if margin < 0:
        raise ValueError(f"at_risk_margin cannot be negative ({margin})")
    if ratio < threshold:
        return RuleStatus.FAIL if final else RuleStatus.AT_RISK
    if not final and ratio < threshold + margin:
        return RuleStatus.AT_RISK
    return RuleStatus.PASS


def format_money(amount: Decimal) -> str:
    """Pounds with thousands separators, pence only when there are any: "£453,000", "£7,958.90"."""
    pence = Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)
    sign = "-" if pence < 0 else ""
    pence = abs(pence)
    if pence == pence.to_integral_value():
        return f"{sign}£{int(pence):,}"
    return f"{sign}£{pence:,.2f}"


def format_percentage(ratio: Decimal | None, places: int = 1) -> str:
    """A ratio (0.551…) as a percentage rounded half up: "55.1%". None shows as "n/a"."""
    if ratio is None:
        return "n/a"
    return f"{_round_percentage(ratio, places)}%"


def percentage(numerator: Decimal | int, denominator: Decimal | int, places: int = 1) -> Decimal | None:
    """numerator ÷ denominator as a percentage rounded half up (e.g. the "% spent" column); None for ÷ 0."""
    ratio = divide(
        money(numerator, "numerator", allow_negative=True),
        money(denominator, "denominator", allow_negative=True),
    )
    return None if ratio is None else _round_percentage(ratio, places)


# --- the rules ----------------------------------------------------------------------------------


def minimum_rule(
    *,
    name: str,
    numerator: Decimal,
    denominator: Decimal,
    threshold: Decimal,
    exact_required: Decimal,
    final: bool,
    at_risk_margin: Decimal,
    describe: str,
    details: Mapping[str, Decimal | None] | None = None,
) -> RuleResult:
    """Shared shape of the "at least" rules once the not-applicable case is handled."""
    ratio = exact_ratio(numerator, denominator)
    status = judge(ratio, threshold, at_risk_margin, final=final)
    shortfall = pence_up(max(exact_required - numerator, ZERO))
    shown = displayed_ratio(ratio, threshold)
    outcome = _outcome_text(status, shortfall, near_miss=ratio >= threshold)
    return RuleResult(
        name=name,
        threshold=threshold,
        numerator=numerator,
        denominator=denominator,
        ratio=ratio,
        status=status,
        shortfall=shortfall,
        message=describe.format(shown=shown, required=format_money(pence_up(exact_required))) + outcome,
        required=pence_up(exact_required),
        details=MappingProxyType(dict(details or {})),
    )


def not_applicable(
    name: str,
    threshold: Decimal,
    numerator: Decimal,
    denominator: Decimal,
    message: str,
    **details: Decimal | None,
) -> RuleResult:
    return RuleResult(
        name=name,
        threshold=threshold,
        numerator=numerator,
        denominator=denominator,
        ratio=None,
        status=RuleStatus.NOT_APPLICABLE,
        shortfall=ZERO,
        message=message,
        required=None,
        details=MappingProxyType(details),
    )
