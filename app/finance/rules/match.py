"""Match funding and the in-kind value of secondments (DOMAIN.md §4).

Worked figures, 2024-25: required 20% × £1,510,000 = £302,000; £259,000 in kind + £50,000 cash = £309,000 →
20.5%, pass. A constable (£60,000, 0.5 FTE) seconded until 30 Sep 2024 is worth £30,000 × 183 / 365 =
£15,041.10, so the total £294,041.10 = 19.47% fails by £7,958.90.
"""
from __future__ import annotations

from types import MappingProxyType
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.finance.rules.core import (
    HUNDRED,
    MATCH_PCT_BY_FY,
    PENNY,
    ZERO,
    RuleResult,
    RuleStatus,
    displayed_ratio,
    exact_number,
    exact_ratio,
    format_money,
    money,
    not_applicable,
    pence_up,
    threshold_text,
)
from app.periods import Window, days_in_fy, fy_window


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
    pct = exact_number(pct, "match percentage")
    if not 0 <= pct <= 100:
        raise ValueError(f"match percentage must be from 0 to 100 (20 means 20%), not {pct}")
    return pct / HUNDRED


def match_required(grant: Decimal, pct: Decimal | int) -> Decimal:
    """Match funding required: ``pct`` per cent of the grant (20 means 20%), rounded up to the penny.

    2024-25: 20% of £1,510,000 is £302,000.
    """
    return pence_up(money(grant, "grant") * _match_rate(pct))


def match_funding(
    accepted_cash: Decimal,
    accepted_in_kind: Decimal,
    pledged_at_risk: Decimal,
    grant: Decimal,
    pct: Decimal | int,
    *,
    final: bool = True,
    at_risk_margin: Decimal = ZERO,
) -> RuleResult:
    """Match rule (DOMAIN.md §4, decided): accepted cash + accepted in-kind against ``pct`` per cent of the grant.

    - **pass** when accepted ≥ required;
    - **at risk** when accepted < required ≤ accepted + ``pledged_at_risk`` (pledged or evidenced, not yet
      accepted): the shortfall would be covered if what is promised arrives;
    - **fail** when even that falls short.

    The same judgement on plan and outturn, in year and at year end (``final`` and ``at_risk_margin`` are
    accepted for a uniform signature with the other rules and do not change it). Promised money never
    counts towards the requirement; it is reported in ``details`` and the message. 2024-25: £259,000
    in-kind + £50,000 cash = £309,000, 20.5% of £1,510,000 — pass.
    """
    del final, at_risk_margin  # the match judgement is the same in year and at year end (decided)
    cash = money(accepted_cash, "accepted cash")
    in_kind = money(accepted_in_kind, "accepted in-kind")
    at_risk = money(pledged_at_risk, "pledged match funding")
    grant = money(grant, "grant")
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
        f" A further {format_money(at_risk)} pledged or evidenced but not yet accepted is at risk and not counted."
        if at_risk > 0
        else ""
    )
    if grant == 0:
        return not_applicable(
            "match_funding",
            rate,
            accepted,
            grant,
            "No grant is recorded, so the match funding rule does not apply." + at_risk_text,
            **details,
        )
    exact_required = rate * grant
    required = pence_up(exact_required)
    shortfall = pence_up(max(exact_required - accepted, ZERO))
    ratio = exact_ratio(accepted, grant)
    if accepted >= exact_required:
        status, outcome = RuleStatus.PASS, "pass."
    elif accepted + at_risk >= exact_required:
        status, outcome = RuleStatus.AT_RISK, (
            f"at risk, {format_money(shortfall)} short until the promised match is accepted.")
    else:
        status, outcome = RuleStatus.FAIL, f"fail, {format_money(shortfall)} short."
    message = (f"Accepted match funding is {format_money(accepted)}, {displayed_ratio(ratio, rate)} of the grant "
               f"(required {threshold_text(rate)}, {format_money(required)}): {outcome}{at_risk_text}")
    return RuleResult(
        name="match_funding", threshold=rate, numerator=accepted, denominator=grant, ratio=ratio,
        status=status, shortfall=shortfall, message=message, required=required,
        details=MappingProxyType({**details, "required": required}),
    )


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
    cost = money(annual_loaded_cost, "annual loaded cost")
    fte = exact_number(fte, "FTE")
    if not 0 <= fte <= 1:
        raise ValueError(f"FTE must be from 0 to 1 (0.5 is half time), not {fte}")
    days = seconded_days_in_fy(start, end, fy)
    return (cost * fte * days / days_in_fy(fy)).quantize(PENNY, rounding=ROUND_HALF_UP)
