"""Grant finance rules: 30% interventions, 10% evaluation, match funding, Q4 share (pure).

The rules (DOMAIN.md §4, from 001 L238-251 and 004 L179-183):

- **30% rule** — intervention spend ÷ grant ≥ 30%. Only intervention lines
  count; the caller decides which line types those are (a setting).
- **10% rule** — evaluation spend ÷ intervention spend ≥ 10%. The stricter
  evaluation ÷ (interventions + evaluation) is always worked out as well; the
  caller chooses which one decides (a setting).
- **Match funding** — accepted cash + accepted in-kind ≥ match % × grant, the %
  by year being 10% (2022-23), 15% (2023-24) and 20% (2024-25). Amounts pledged
  or evidenced but not yet accepted are reported as "at risk" and never count.
  A secondment's in-kind value is annual loaded cost × FTE × days seconded in
  the year ÷ days in the year (both ends counted), rounded to the penny.
- **Spend profile** — warn when Q4 holds more than 35% of the year's spend
  (a setting; 42.5% was called "sub-optimal", 004 L179). It is a warning, so it
  is "at risk" at worst, never "fail".
- **Underspend** per line = allocation − (actual + forecast).
- **Unallocated** = grant − the sum of the budget lines.

Compliance is judged at year end on outturn (actual + forecast). So every rule
takes ``final``: with final (year-end) figures a shortfall is a "fail"; with
in-year figures it is "at risk", and ``at_risk_margin`` can flag in-year
figures that pass only narrowly. A zero grant (or no intervention spend, for
the 10% rule) makes a rule "not applicable" rather than dividing by zero.

Money is ``Decimal`` (whole-pound ``int``\\ s are accepted as exact); a ``float``
raises ``TypeError`` because it cannot hold pence exactly. Ratios are worked out
from the exact amounts and only rounded for display, to one decimal place —
except that a failing figure is never displayed as if it met its threshold
(29.96% is shown as "29.96%", not "30.0%").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from app.periods import Window, days_in_fy, fy_window

__all__ = [
    "EVALUATION_THRESHOLD",
    "INTERVENTION_THRESHOLD",
    "MATCH_PCT_BY_FY",
    "Q4_THRESHOLD",
    "EvaluationBasis",
    "RuleResult",
    "RuleStatus",
    "evaluation_share",
    "format_money",
    "format_percentage",
    "intervention_share",
    "judge",
    "match_funding",
    "match_pct_for_fy",
    "match_required",
    "percentage",
    "q4_share",
    "seconded_days_in_fy",
    "secondment_in_kind",
    "unallocated",
    "underspend",
]

# Match requirement (% of grant) by financial year, from 001 L240-242.
MATCH_PCT_BY_FY: Mapping[int, int] = MappingProxyType({2022: 10, 2023: 15, 2024: 20})

INTERVENTION_THRESHOLD = Decimal("0.30")
EVALUATION_THRESHOLD = Decimal("0.10")
Q4_THRESHOLD = Decimal("0.35")

EvaluationBasis = Literal["of_interventions", "of_interventions_plus_evaluation"]

_PENNY = Decimal("0.01")
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
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
        return "n/a" if self.ratio is None else _displayed_ratio(self.ratio, self.threshold)


# --- validation and arithmetic -------------------------------------------------------------------


def _money(value: Decimal | int, name: str, *, allow_negative: bool = False) -> Decimal:
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


def _exact_number(value: Decimal | int, name: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, not a float, so it is exact: e.g. Decimal('0.5')")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be finite, not {number}")
    return number


def _fraction(value: Decimal | int, name: str, *, below_one: bool = False) -> Decimal:
    number = _exact_number(value, name)
    if number < 0 or number > 1 or (below_one and number == 1):
        upper = "below 1" if below_one else "at most 1"
        raise ValueError(f"{name} must be a fraction from 0 to {upper} (0.30 means 30%), not {number}")
    return number


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = _RATIO_PRECISION
        return numerator / denominator


def _divide(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else _ratio(numerator, denominator)


def _pence_up(amount: Decimal) -> Decimal:
    # A requirement or shortfall is rounded up so that meeting it to the penny really meets the rule.
    return amount.quantize(_PENNY, rounding=ROUND_CEILING)


def _round_percentage(ratio: Decimal, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    return (ratio * _HUNDRED).quantize(Decimal(1).scaleb(-places), rounding=rounding)


def _threshold_text(threshold: Decimal) -> str:
    return f"{(threshold * _HUNDRED).normalize():f}%"


def _displayed_ratio(ratio: Decimal, threshold: Decimal) -> str:
    """One decimal place, or as many more as it takes to keep the figure on its true side of the threshold.

    29.96% against a 30% minimum, or 35.04% against a 35% maximum, would otherwise
    read as sitting exactly on the line.
    """
    limit = threshold * _HUNDRED
    true_side = (ratio * _HUNDRED > limit) - (ratio * _HUNDRED < limit)
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
    at_risk_margin: Decimal = _ZERO,
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
    threshold = _fraction(threshold, "threshold")
    margin = _exact_number(at_risk_margin, "at_risk_margin")
    if margin < 0:
        raise ValueError(f"at_risk_margin cannot be negative ({margin})")
    if ratio < threshold:
        return RuleStatus.FAIL if final else RuleStatus.AT_RISK
    if not final and ratio < threshold + margin:
        return RuleStatus.AT_RISK
    return RuleStatus.PASS


def format_money(amount: Decimal) -> str:
    """Pounds with thousands separators, pence only when there are any: "£453,000", "£7,958.90"."""
    pence = Decimal(amount).quantize(_PENNY, rounding=ROUND_HALF_UP)
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
    ratio = _divide(
        _money(numerator, "numerator", allow_negative=True),
        _money(denominator, "denominator", allow_negative=True),
    )
    return None if ratio is None else _round_percentage(ratio, places)


# --- the rules ----------------------------------------------------------------------------------


def _minimum_rule(
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
    ratio = _ratio(numerator, denominator)
    status = judge(ratio, threshold, at_risk_margin, final=final)
    shortfall = _pence_up(max(exact_required - numerator, _ZERO))
    shown = _displayed_ratio(ratio, threshold)
    outcome = _outcome_text(status, shortfall, near_miss=ratio >= threshold)
    return RuleResult(
        name=name,
        threshold=threshold,
        numerator=numerator,
        denominator=denominator,
        ratio=ratio,
        status=status,
        shortfall=shortfall,
        message=describe.format(shown=shown, required=format_money(_pence_up(exact_required))) + outcome,
        required=_pence_up(exact_required),
        details=MappingProxyType(dict(details or {})),
    )


def _not_applicable(
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
        shortfall=_ZERO,
        message=message,
        required=None,
        details=MappingProxyType(details),
    )


def intervention_share(
    intervention: Decimal,
    grant: Decimal,
    threshold: Decimal = INTERVENTION_THRESHOLD,
    *,
    final: bool = True,
    at_risk_margin: Decimal = _ZERO,
) -> RuleResult:
    """30% rule: intervention spend ÷ grant must be at least ``threshold``.

    2024-25: £832,500 of £1,510,000 is 55.1% — pass, minimum £453,000.
    """
    intervention = _money(intervention, "intervention spend")
    grant = _money(grant, "grant")
    threshold = _fraction(threshold, "threshold")
    if grant == 0:
        return _not_applicable(
            "intervention_share",
            threshold,
            intervention,
            grant,
            f"No grant is recorded, so the {_threshold_text(threshold)} intervention rule does not apply.",
        )
    return _minimum_rule(
        name="intervention_share",
        numerator=intervention,
        denominator=grant,
        threshold=threshold,
        exact_required=threshold * grant,
        final=final,
        at_risk_margin=at_risk_margin,
        describe="Interventions are {shown} of the grant "
        f"(minimum {_threshold_text(threshold)}, {{required}}): ",
    )


def evaluation_share(
    evaluation: Decimal,
    intervention: Decimal,
    threshold: Decimal = EVALUATION_THRESHOLD,
    variant: EvaluationBasis = "of_interventions",
    *,
    final: bool = True,
    at_risk_margin: Decimal = _ZERO,
) -> RuleResult:
    """10% rule: evaluation spend as a share of intervention spend must be at least ``threshold``.

    ``variant`` picks the measure that decides the status: evaluation ÷
    interventions (the grant guidance's wording) or the stricter evaluation ÷
    (interventions + evaluation). Both are always in ``details`` and the message.
    2024-25: £140,000 against £832,500 is 16.8% (stricter 14.4%) — pass.
    """
    evaluation = _money(evaluation, "evaluation spend")
    intervention = _money(intervention, "intervention spend")
    if variant not in ("of_interventions", "of_interventions_plus_evaluation"):
        raise ValueError(
            f'variant must be "of_interventions" or "of_interventions_plus_evaluation", not {variant!r}'
        )
    strict = variant == "of_interventions_plus_evaluation"
    # The stricter measure needs E ≥ t·I / (1 − t), which has no answer at t = 1.
    threshold = _fraction(threshold, "threshold", below_one=strict)
    of_interventions = _divide(evaluation, intervention)
    of_both = _divide(evaluation, intervention + evaluation)
    details = {"of_interventions": of_interventions, "of_interventions_plus_evaluation": of_both}
    denominator = intervention + evaluation if strict else intervention
    if intervention == 0:
        # With no interventions there is nothing to evaluate: the rule is moot, not passed.
        return _not_applicable(
            "evaluation_share",
            threshold,
            evaluation,
            denominator,
            f"No intervention spend is recorded, so the {_threshold_text(threshold)} evaluation rule "
            "does not apply.",
            **details,
        )
    if strict:
        exact_required = threshold * intervention / (1 - threshold)
        describe = "Evaluation is {shown} of intervention plus evaluation spend"
        other = f" Evaluation ÷ interventions alone is {format_percentage(of_interventions)}."
    else:
        exact_required = threshold * intervention
        describe = "Evaluation is {shown} of intervention spend"
        other = f" The stricter evaluation ÷ (interventions + evaluation) is {format_percentage(of_both)}."
    result = _minimum_rule(
        name="evaluation_share",
        numerator=evaluation,
        denominator=denominator,
        threshold=threshold,
        exact_required=exact_required,
        final=final,
        at_risk_margin=at_risk_margin,
        describe=describe + f" (minimum {_threshold_text(threshold)}, {{required}}): ",
        details=details,
    )
    return replace(result, message=result.message + other)


def match_pct_for_fy(fy: int) -> int:
    """The default match requirement (%) for a financial year, from ``MATCH_PCT_BY_FY``."""
    try:
        return MATCH_PCT_BY_FY[fy]
    except KeyError:
        known = ", ".join(str(year) for year in sorted(MATCH_PCT_BY_FY))
        raise ValueError(
            f"no match funding percentage is known for financial year {fy} (known: {known}); "
            "record it on the grant year"
        ) from None


def _match_rate(pct: Decimal | int) -> Decimal:
    pct = _exact_number(pct, "match percentage")
    if not 0 <= pct <= 100:
        raise ValueError(f"match percentage must be from 0 to 100 (20 means 20%), not {pct}")
    return pct / _HUNDRED


def match_required(grant: Decimal, pct: Decimal | int) -> Decimal:
    """Match funding required: ``pct`` per cent of the grant (20 means 20%), rounded up to the penny.

    2024-25: 20% of £1,510,000 is £302,000.
    """
    return _pence_up(_money(grant, "grant") * _match_rate(pct))


def match_funding(
    accepted_cash: Decimal,
    accepted_in_kind: Decimal,
    pledged_at_risk: Decimal,
    grant: Decimal,
    pct: Decimal | int,
    *,
    final: bool = True,
    at_risk_margin: Decimal = _ZERO,
) -> RuleResult:
    """Match rule: accepted cash + accepted in-kind must be at least ``pct`` per cent of the grant.

    ``pledged_at_risk`` (pledged, or evidenced but not yet accepted) never
    counts towards the requirement; it is reported as at risk in ``details``
    and the message. 2024-25: £259,000 in-kind + £50,000 cash = £309,000, 20.5%
    of £1,510,000 — pass.
    """
    cash = _money(accepted_cash, "accepted cash")
    in_kind = _money(accepted_in_kind, "accepted in-kind")
    at_risk = _money(pledged_at_risk, "pledged match funding")
    grant = _money(grant, "grant")
    rate = _match_rate(pct)
    accepted = cash + in_kind
    details = {
        "accepted_cash": cash,
        "accepted_in_kind": in_kind,
        "accepted_total": accepted,
        "at_risk": at_risk,
        "accepted_plus_at_risk": accepted + at_risk,
    }
    at_risk_text = (
        f" A further {format_money(at_risk)} pledged but not yet accepted is at risk and not counted."
        if at_risk > 0
        else ""
    )
    if grant == 0:
        return _not_applicable(
            "match_funding",
            rate,
            accepted,
            grant,
            "No grant is recorded, so the match funding rule does not apply." + at_risk_text,
            **details,
        )
    result = _minimum_rule(
        name="match_funding",
        numerator=accepted,
        denominator=grant,
        threshold=rate,
        exact_required=rate * grant,
        final=final,
        at_risk_margin=at_risk_margin,
        describe=f"Accepted match funding is {format_money(accepted)}, {{shown}} of the grant "
        f"(required {_threshold_text(rate)}, {{required}}): ",
        details={**details, "required": _pence_up(rate * grant)},
    )
    return replace(result, message=result.message + at_risk_text)


def seconded_days_in_fy(starts_on: date, ends_on: date | None, fy: int) -> int:
    """Days of a secondment (both ends counted) that fall in financial year ``fy``.

    ``ends_on`` None means the secondment is still running.
    """
    year = fy_window(fy)
    secondment = Window(starts_on, ends_on if ends_on is not None else max(year.ends_on, starts_on))
    return secondment.overlap_days(year)


def secondment_in_kind(
    annual_loaded_cost: Decimal,
    fte: Decimal | int,
    start: date,
    end: date | None,
    fy: int,
) -> Decimal:
    """In-kind value of a secondment in ``fy``: cost × FTE × days seconded in the year ÷ days in the year.

    Days are inclusive, and the result is rounded to the penny, half up. A
    constable at £60,000 and 0.5 FTE seconded 1 April – 30 September 2024 gives
    £30,000 × 183 / 365 = £15,041.10 in 2024-25.
    """
    cost = _money(annual_loaded_cost, "annual loaded cost")
    fte = _exact_number(fte, "FTE")
    if not 0 <= fte <= 1:
        raise ValueError(f"FTE must be from 0 to 1 (0.5 is half time), not {fte}")
    days = seconded_days_in_fy(start, end, fy)
    return (cost * fte * days / days_in_fy(fy)).quantize(_PENNY, rounding=ROUND_HALF_UP)


def q4_share(quarter_amounts: Mapping[int, Decimal], threshold: Decimal = Q4_THRESHOLD) -> RuleResult:
    """Spend profile warning: Q4 should hold no more than ``threshold`` of the year's spend.

    ``quarter_amounts`` maps quarter (1–4) to spend; missing quarters are £0.
    Above the threshold the status is "at risk" (a warning, never a fail) and
    ``details["excess"]`` is the Q4 spend above that share.
    """
    threshold = _fraction(threshold, "threshold")
    amounts: dict[int, Decimal] = {quarter: _ZERO for quarter in range(1, 5)}
    for quarter, amount in quarter_amounts.items():
        if quarter not in amounts:
            raise ValueError(f"quarter must be 1, 2, 3 or 4, not {quarter!r}")
        amounts[quarter] = _money(amount, f"Q{quarter} spend")
    total = sum(amounts.values(), _ZERO)
    q4 = amounts[4]
    details: dict[str, Decimal | None] = {f"q{quarter}": amount for quarter, amount in amounts.items()}
    if total == 0:
        return _not_applicable(
            "q4_share",
            threshold,
            q4,
            total,
            "No spend is recorded for the year, so the Q4 spend profile check does not apply.",
            **details,
            excess=_ZERO,
        )
    ratio = _ratio(q4, total)
    allowed = threshold * total
    above = ratio > threshold
    excess = _pence_up(q4 - allowed) if above else _ZERO
    status = RuleStatus.AT_RISK if above else RuleStatus.PASS
    shown = _displayed_ratio(ratio, threshold)
    limit = _threshold_text(threshold)
    outcome = f"at risk, {format_money(excess)} above that share." if above else "pass."
    return RuleResult(
        name="q4_share",
        threshold=threshold,
        numerator=q4,
        denominator=total,
        ratio=ratio,
        status=status,
        shortfall=_ZERO,
        message=f"Q4 holds {shown} of the year's spend (no more than {limit} advised): {outcome}",
        required=allowed.quantize(_PENNY, rounding=ROUND_FLOOR),
        details=MappingProxyType({**details, "excess": excess}),
    )


def underspend(allocation: Decimal, actual: Decimal, forecast: Decimal) -> Decimal:
    """Allocation − (actual + forecast) for a budget line; negative means an overspend.

    Credits can make actual spend negative, so no amount here has to be positive.
    """
    return (
        _money(allocation, "allocation", allow_negative=True)
        - _money(actual, "actual spend", allow_negative=True)
        - _money(forecast, "forecast spend", allow_negative=True)
    )


def unallocated(grant: Decimal, line_totals: Iterable[Decimal]) -> Decimal:
    """Grant − the sum of the budget lines; negative means the lines are over-allocated.

    2024-25: lines adding to £1,497,500 of £1,510,000 leave £12,500 unallocated.
    """
    total = sum(
        (_money(line, "budget line", allow_negative=True) for line in line_totals),
        _ZERO,
    )
    return _money(grant, "grant") - total
