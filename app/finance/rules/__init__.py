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

from app.finance.rules.core import (
    EVALUATION_THRESHOLD,
    INTERVENTION_THRESHOLD,
    MATCH_PCT_BY_FY,
    Q4_THRESHOLD,
    EvaluationBasis,
    RuleResult,
    RuleStatus,
    format_money,
    format_percentage,
    judge,
    percentage,
)
from app.finance.rules.match import (
    match_funding,
    match_pct_for_fy,
    match_required,
    seconded_days_in_fy,
    secondment_in_kind,
)
from app.finance.rules.shares import evaluation_share, intervention_share
from app.finance.rules.spend_profile import q4_share, unallocated, underspend

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
