"""Grant finance rules (DOMAIN.md §4), including every worked 2024-25 figure."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.finance.rules import (
    MATCH_PCT_BY_FY,
    RuleResult,
    RuleStatus,
    evaluation_share,
    format_money,
    format_percentage,
    intervention_share,
    judge,
    match_funding,
    match_pct_for_fy,
    match_required,
    percentage,
    q4_share,
    seconded_days_in_fy,
    secondment_in_kind,
    unallocated,
    underspend,
)

D = Decimal
GRANT_2024 = D("1510000")
INTERVENTIONS_2024 = D("832500")
EVALUATION_2024 = D("140000")
CASH_2024 = D("50000")
FY = 2024


def whole_year(cost: str, fte: str = "1") -> Decimal:
    return secondment_in_kind(D(cost), D(fte), date(2024, 4, 1), date(2025, 3, 31), FY)


# --- 30% rule ------------------------------------------------------------------------------------


def test_worked_intervention_share_2024_25() -> None:
    result = intervention_share(INTERVENTIONS_2024, GRANT_2024)
    assert result.status is RuleStatus.PASS
    assert result.status == "pass"
    assert result.percentage == D("55.1")
    assert result.required == D("453000")
    assert result.shortfall == 0
    assert result.numerator == INTERVENTIONS_2024
    assert result.denominator == GRANT_2024
    assert result.threshold == D("0.30")
    assert result.message == "Interventions are 55.1% of the grant (minimum 30%, £453,000): pass."


def test_seed_intervention_lines_add_up_to_the_intervention_total() -> None:
    # 001 L319-329: Custody Coaches were "Funded 23/24", so they add £0 to 2024-25.
    lines = ["125000", "140000", "0", "170000", "180000", "7500", "20000", "120000", "60000", "10000"]
    assert sum(map(D, lines)) == INTERVENTIONS_2024


def test_no_intervention_spend_fails_by_the_whole_minimum() -> None:
    result = intervention_share(D(0), GRANT_2024)
    assert result.status is RuleStatus.FAIL
    assert result.ratio == 0
    assert result.shortfall == D("453000")
    assert "fail, £453,000 short" in result.message


def test_in_year_shortfall_is_at_risk_not_fail() -> None:
    result = intervention_share(D("400000"), GRANT_2024, final=False)
    assert result.status is RuleStatus.AT_RISK
    assert result.shortfall == D("53000")
    assert "at risk, £53,000 short on current figures" in result.message


def test_in_year_narrow_pass_is_at_risk_with_a_margin() -> None:
    narrow = intervention_share(D("460000"), GRANT_2024, final=False, at_risk_margin=D("0.02"))
    assert narrow.status is RuleStatus.AT_RISK
    assert narrow.shortfall == 0
    comfortable = intervention_share(D("500000"), GRANT_2024, final=False, at_risk_margin=D("0.02"))
    assert comfortable.status is RuleStatus.PASS
    # At year end the rule is met or not: the margin does not apply.
    assert intervention_share(D("460000"), GRANT_2024, at_risk_margin=D("0.02")).status is RuleStatus.PASS


def test_exactly_at_the_threshold_passes() -> None:
    assert intervention_share(D("453000"), GRANT_2024).status is RuleStatus.PASS
    assert intervention_share(D("452999.99"), GRANT_2024).status is RuleStatus.FAIL


def test_failing_figure_is_never_shown_as_meeting_the_threshold() -> None:
    # 29.96% rounds to 30.0%, which would read as a pass beside "fail".
    result = intervention_share(D("452399.99"), GRANT_2024)
    assert result.status is RuleStatus.FAIL
    assert "29.96%" in result.message
    assert "30.0%" not in result.message
    assert result.percentage_text == "29.96%"
    assert result.shortfall == D("600.01")
    # A figure exactly on the threshold, or clear of it, keeps one decimal place.
    assert intervention_share(D("453000"), GRANT_2024).percentage_text == "30.0%"
    assert intervention_share(INTERVENTIONS_2024, GRANT_2024).percentage_text == "55.1%"
    assert intervention_share(D(1), D(0)).percentage_text == "n/a"


def test_zero_grant_is_not_applicable() -> None:
    result = intervention_share(D("1000"), D(0))
    assert result.status is RuleStatus.NOT_APPLICABLE
    assert result.ratio is None
    assert result.percentage is None
    assert result.shortfall == 0
    assert "does not apply" in result.message


def test_custom_threshold_is_used_and_shown() -> None:
    result = intervention_share(D("400000"), D("1000000"), threshold=D("0.45"))
    assert result.status is RuleStatus.FAIL
    assert "(minimum 45%, £450,000)" in result.message
    assert result.shortfall == D("50000")


def test_required_and_shortfall_round_up_to_the_penny() -> None:
    # 30% of £0.05 is 1.5p: 2p meets it, 1p does not.
    result = intervention_share(D("0.01"), D("0.05"))
    assert result.status is RuleStatus.FAIL
    assert result.required == D("0.02")
    assert result.shortfall == D("0.01")


# --- 10% rule ------------------------------------------------------------------------------------


def test_worked_evaluation_share_2024_25() -> None:
    result = evaluation_share(EVALUATION_2024, INTERVENTIONS_2024)
    assert result.status is RuleStatus.PASS
    assert result.percentage == D("16.8")
    assert result.denominator == INTERVENTIONS_2024
    assert result.required == D("83250")
    assert format_percentage(result.details["of_interventions"]) == "16.8%"
    assert format_percentage(result.details["of_interventions_plus_evaluation"]) == "14.4%"
    assert result.message.startswith(
        "Evaluation is 16.8% of intervention spend (minimum 10%, £83,250): pass."
    )
    assert "14.4%" in result.message


def test_stricter_evaluation_variant_decides_when_chosen() -> None:
    result = evaluation_share(EVALUATION_2024, INTERVENTIONS_2024, variant="of_interventions_plus_evaluation")
    assert result.status is RuleStatus.PASS
    assert result.percentage == D("14.4")
    assert result.denominator == INTERVENTIONS_2024 + EVALUATION_2024
    # E ÷ (I + E) ≥ 10% needs E ≥ I ÷ 9 = £92,500.
    assert result.required == D("92500")
    assert (
        evaluation_share(D("92500"), INTERVENTIONS_2024, variant="of_interventions_plus_evaluation").status
        == "pass"
    )
    assert "16.8%" in result.message


def test_variants_can_disagree() -> None:
    # £85,000 is 10.2% of interventions but only 9.3% of interventions + evaluation.
    lenient = evaluation_share(D("85000"), INTERVENTIONS_2024)
    strict = evaluation_share(D("85000"), INTERVENTIONS_2024, variant="of_interventions_plus_evaluation")
    assert lenient.status is RuleStatus.PASS
    assert strict.status is RuleStatus.FAIL
    assert strict.shortfall == D("7500")


def test_no_intervention_spend_makes_evaluation_rule_not_applicable() -> None:
    for variant in ("of_interventions", "of_interventions_plus_evaluation"):
        result = evaluation_share(D("5000"), D(0), variant=variant)  # type: ignore[arg-type]
        assert result.status is RuleStatus.NOT_APPLICABLE
        assert result.ratio is None
        assert "No intervention spend" in result.message


def test_no_evaluation_spend_fails() -> None:
    result = evaluation_share(D(0), INTERVENTIONS_2024)
    assert result.status is RuleStatus.FAIL
    assert result.shortfall == D("83250")


def test_unknown_evaluation_variant_is_rejected() -> None:
    with pytest.raises(ValueError, match="variant"):
        evaluation_share(EVALUATION_2024, INTERVENTIONS_2024, variant="of_grant")  # type: ignore[arg-type]


def test_stricter_variant_cannot_have_a_100_percent_threshold() -> None:
    with pytest.raises(ValueError, match="below 1"):
        evaluation_share(D(1), D(1), threshold=D(1), variant="of_interventions_plus_evaluation")


# --- match funding -------------------------------------------------------------------------------


def test_match_percentages_by_year() -> None:
    assert dict(MATCH_PCT_BY_FY) == {2022: 10, 2023: 15, 2024: 20}
    assert match_pct_for_fy(2023) == 15
    with pytest.raises(ValueError, match="no match funding percentage is known for financial year 2030"):
        match_pct_for_fy(2030)
    with pytest.raises(TypeError):
        MATCH_PCT_BY_FY[2025] = 25  # type: ignore[index]


def test_worked_match_required_2024_25() -> None:
    assert match_required(GRANT_2024, MATCH_PCT_BY_FY[2024]) == D("302000")
    assert match_required(GRANT_2024, D("12.5")) == D("188750")


def test_worked_in_kind_for_whole_year_secondments() -> None:
    inspector = whole_year("85000")
    sergeants = whole_year("72000") * 2
    constable = whole_year("60000", "0.5")
    assert constable == D("30000.00")
    assert inspector + sergeants + constable == D("259000")


def test_worked_match_funding_passes_2024_25() -> None:
    in_kind = whole_year("85000") + whole_year("72000") * 2 + whole_year("60000", "0.5")
    result = match_funding(CASH_2024, in_kind, D(0), GRANT_2024, 20)
    assert result.status is RuleStatus.PASS
    assert result.numerator == D("309000")
    assert result.percentage == D("20.5")
    assert result.required == D("302000")
    assert result.message == (
        "Accepted match funding is £309,000, 20.5% of the grant (required 20%, £302,000): pass."
    )


def test_worked_constable_secondment_ending_30_september() -> None:
    constable = secondment_in_kind(D("60000"), D("0.5"), date(2024, 4, 1), date(2024, 9, 30), FY)
    assert seconded_days_in_fy(date(2024, 4, 1), date(2024, 9, 30), FY) == 183
    assert constable == D("15041.10")  # £30,000 × 183 / 365
    in_kind = whole_year("85000") + whole_year("72000") * 2 + constable
    result = match_funding(CASH_2024, in_kind, D(0), GRANT_2024, 20)
    assert result.numerator == D("294041.10")
    assert (result.ratio * 100).quantize(D("0.01")) == D("19.47")
    assert result.status is RuleStatus.FAIL
    assert result.shortfall == D("7958.90")
    assert "fail, £7,958.90 short" in result.message
    assert "£294,041.10" in result.message


def test_pledged_match_is_at_risk_and_never_counts() -> None:
    in_kind = D("244041.10")
    result = match_funding(CASH_2024, in_kind, D("10000"), GRANT_2024, 20)
    # Accepted + pledged would be £304,041.10 (enough), but only accepted counts: at risk (decided, §4),
    # at year end as in year.
    assert result.status is RuleStatus.AT_RISK
    assert result.numerator == D("294041.10")
    assert result.details["at_risk"] == D("10000")
    assert result.details["accepted_plus_at_risk"] == D("304041.10")
    assert "A further £10,000 pledged or evidenced but not yet accepted is at risk" in result.message
    in_year = match_funding(CASH_2024, in_kind, D("10000"), GRANT_2024, 20, final=False)
    assert in_year.status is RuleStatus.AT_RISK


@pytest.mark.parametrize("final", [True, False])
@pytest.mark.parametrize("promised, status", [
    (D("0"), RuleStatus.FAIL),  # nothing promised: fail, in year too
    (D("7958.89"), RuleStatus.FAIL),  # a penny short even if it all arrives
    (D("7958.90"), RuleStatus.AT_RISK),  # exactly covers the shortfall
    (D("50000"), RuleStatus.AT_RISK),
])
def test_match_status_pass_at_risk_fail_as_decided(final, promised, status) -> None:
    in_kind = D("244041.10")  # + £50,000 cash = £294,041.10, £7,958.90 short of £302,000
    result = match_funding(CASH_2024, in_kind, promised, GRANT_2024, 20, final=final)
    assert result.status is status
    assert result.shortfall == D("7958.90")
    assert match_funding(CASH_2024, D("252000"), promised, GRANT_2024, 20, final=final).status is RuleStatus.PASS


def test_match_with_zero_grant_is_not_applicable() -> None:
    result = match_funding(D(0), D(0), D(0), D(0), 20)
    assert result.status is RuleStatus.NOT_APPLICABLE
    assert result.ratio is None


def test_match_percentage_out_of_range() -> None:
    with pytest.raises(ValueError, match="0 to 100"):
        match_required(GRANT_2024, 120)
    with pytest.raises(TypeError, match="float"):
        match_required(GRANT_2024, 20.0)  # type: ignore[arg-type]


# --- secondments ---------------------------------------------------------------------------------


def test_secondment_inside_one_quarter() -> None:
    # 1 Jul – 30 Sep 2024 is 92 days of 365.
    assert seconded_days_in_fy(date(2024, 7, 1), date(2024, 9, 30), FY) == 92
    assert secondment_in_kind(D("36500"), 1, date(2024, 7, 1), date(2024, 9, 30), FY) == D("9200.00")


def test_secondment_spanning_two_financial_years() -> None:
    start, end = date(2023, 10, 1), date(2024, 9, 30)
    assert seconded_days_in_fy(start, end, 2023) == 183  # 1 Oct 2023 – 31 Mar 2024, leap year
    assert seconded_days_in_fy(start, end, 2024) == 183  # 1 Apr – 30 Sep 2024
    assert secondment_in_kind(D("36600"), 1, start, end, 2023) == D("18300.00")  # ÷ 366
    assert secondment_in_kind(D("36500"), 1, start, end, 2024) == D("18300.00")  # ÷ 365


def test_leap_year_whole_fy_is_full_cost() -> None:
    assert secondment_in_kind(D("60000"), D("0.5"), date(2023, 4, 1), date(2024, 3, 31), 2023) == D(
        "30000.00"
    )
    # One day in a 366-day year.
    assert secondment_in_kind(D("36600"), 1, date(2024, 2, 29), date(2024, 2, 29), 2023) == D("100.00")


def test_secondment_outside_the_year_is_worth_nothing() -> None:
    assert secondment_in_kind(D("60000"), 1, date(2022, 4, 1), date(2023, 3, 31), FY) == 0


def test_open_ended_secondment_runs_to_the_year_end() -> None:
    assert seconded_days_in_fy(date(2024, 10, 1), None, FY) == 182
    assert seconded_days_in_fy(date(2026, 1, 1), None, FY) == 0
    assert secondment_in_kind(D("60000"), 1, date(2023, 1, 1), None, FY) == D("60000.00")


def test_secondment_rounds_half_up_to_the_penny() -> None:
    # £365.05 × 0.5 × 1 day ÷ 365 = £0.50007, which rounds to 50p.
    assert secondment_in_kind(D("365.05"), D("0.5"), date(2024, 4, 1), date(2024, 4, 1), FY) == D("0.50")
    # £3.65 × 0.5 × 1 day ÷ 365 = £0.005 exactly: half up gives 1p (banker's rounding would give 0p).
    assert secondment_in_kind(D("3.65"), D("0.5"), date(2024, 4, 1), date(2024, 4, 1), FY) == D("0.01")


def test_secondment_validation() -> None:
    with pytest.raises(ValueError, match="FTE must be from 0 to 1"):
        secondment_in_kind(D("60000"), D("1.5"), date(2024, 4, 1), None, FY)
    with pytest.raises(TypeError, match="float"):
        secondment_in_kind(D("60000"), 0.5, date(2024, 4, 1), None, FY)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot end"):
        secondment_in_kind(D("60000"), 1, date(2024, 9, 1), date(2024, 8, 31), FY)
    with pytest.raises(ValueError, match="negative"):
        secondment_in_kind(D("-1"), 1, date(2024, 4, 1), None, FY)


@given(
    st.integers(min_value=0, max_value=365),
    st.integers(min_value=0, max_value=365),
    st.decimals(min_value=0, max_value=200_000, places=2),
    st.sampled_from([D("0.1"), D("0.5"), D("1")]),
)
def test_secondment_in_kind_is_monotone_in_days(
    days_a: int, days_b: int, cost: Decimal, fte: Decimal
) -> None:
    start = date(2024, 4, 1)
    shorter, longer = sorted((days_a, days_b))

    def value(days: int) -> Decimal:
        if days == 0:
            return secondment_in_kind(cost, fte, date(2023, 4, 1), date(2023, 4, 1), FY)
        return secondment_in_kind(cost, fte, start, start + timedelta(days=days - 1), FY)

    full_year = (cost * fte).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    low, high = value(shorter), value(longer)
    assert 0 <= low <= high <= full_year
    if longer == 365:
        assert high == full_year


# --- Q4 share ------------------------------------------------------------------------------------


def test_q4_share_above_35_percent_is_a_warning() -> None:
    # 004 L179: 42.5% of the year's spend in Q4 was "sub-optimal".
    result = q4_share({1: D("100000"), 2: D("200000"), 3: D("275000"), 4: D("425000")})
    assert result.status is RuleStatus.AT_RISK
    assert result.percentage == D("42.5")
    assert result.details["excess"] == D("75000")
    assert result.required == D("350000")
    assert result.shortfall == 0
    assert result.message == (
        "Q4 holds 42.5% of the year's spend (no more than 35% advised): at risk, £75,000 above that share."
    )


def test_q4_share_at_or_under_threshold_passes() -> None:
    even = q4_share({1: D(250), 2: D(250), 3: D(250), 4: D(250)})
    assert even.status is RuleStatus.PASS
    assert q4_share({1: D(650), 4: D(350)}).status is RuleStatus.PASS  # exactly 35%, missing quarters are £0


def test_q4_share_just_over_is_never_shown_as_35_percent() -> None:
    result = q4_share({1: D("64960"), 4: D("35040")})  # 35.04%
    assert result.status is RuleStatus.AT_RISK
    assert "35.04%" in result.message
    assert result.percentage_text == "35.04%"


def test_q4_share_with_no_spend_is_not_applicable() -> None:
    assert q4_share({}).status is RuleStatus.NOT_APPLICABLE
    assert q4_share({1: D(0), 4: D(0)}).ratio is None


def test_q4_share_rejects_unknown_quarter() -> None:
    with pytest.raises(ValueError, match="quarter must be 1, 2, 3 or 4"):
        q4_share({5: D(100)})


# --- underspend and unallocated ------------------------------------------------------------------


def test_underspend_and_overspend() -> None:
    assert underspend(D("125000"), D("60000"), D("58700")) == D("6300")
    assert underspend(D("125000"), D("100000"), D("30000")) == D("-5000")


def test_worked_unallocated_2024_25() -> None:
    # 001 L298-338: team, evaluation, training, interventions, data sharing.
    lines = [D("390000"), EVALUATION_2024, D("60000"), INTERVENTIONS_2024, D("75000")]
    assert sum(lines) == D("1497500")
    assert unallocated(GRANT_2024, lines) == D("12500")
    assert unallocated(GRANT_2024, []) == GRANT_2024
    assert unallocated(D("100"), [D("150")]) == D("-50")


# --- money must be exact -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: intervention_share(832500.0, GRANT_2024),
        lambda: intervention_share(INTERVENTIONS_2024, 1510000.0),
        lambda: evaluation_share(140000.0, INTERVENTIONS_2024),
        lambda: match_funding(50000.0, D(0), D(0), GRANT_2024, 20),
        lambda: match_required(1510000.0, 20),
        lambda: secondment_in_kind(60000.0, 1, date(2024, 4, 1), None, FY),
        lambda: q4_share({4: 1.0}),
        lambda: underspend(D(1), 0.5, D(0)),
        lambda: unallocated(GRANT_2024, [D(1), 2.0]),
    ],
)
def test_float_money_is_rejected(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="float"):
        call()


def test_whole_pound_ints_are_exact_and_accepted() -> None:
    assert intervention_share(832500, 1510000) == intervention_share(INTERVENTIONS_2024, GRANT_2024)


def test_non_money_is_rejected() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        intervention_share("832500", GRANT_2024)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        intervention_share(D("NaN"), GRANT_2024)
    with pytest.raises(ValueError, match="negative"):
        intervention_share(D("-1"), GRANT_2024)


# --- helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "final", "margin", "status"),
    [
        (None, True, D(0), RuleStatus.NOT_APPLICABLE),
        (D("0.29"), True, D(0), RuleStatus.FAIL),
        (D("0.29"), False, D(0), RuleStatus.AT_RISK),
        (D("0.30"), True, D(0), RuleStatus.PASS),
        (D("0.30"), False, D(0), RuleStatus.PASS),
        (D("0.31"), False, D("0.02"), RuleStatus.AT_RISK),
        (D("0.32"), False, D("0.02"), RuleStatus.PASS),
        (D("0.31"), True, D("0.02"), RuleStatus.PASS),
    ],
)
def test_judge(ratio: Decimal | None, final: bool, margin: Decimal, status: RuleStatus) -> None:
    assert judge(ratio, D("0.30"), margin, final=final) is status


def test_judge_rejects_bad_threshold_and_margin() -> None:
    with pytest.raises(ValueError, match="fraction"):
        judge(D("0.5"), D("30"))
    with pytest.raises(ValueError, match="negative"):
        judge(D("0.5"), D("0.3"), D("-0.01"))


def test_status_labels() -> None:
    assert [s.label for s in RuleStatus] == ["pass", "at risk", "fail", "not applicable"]
    assert {s.value for s in RuleStatus} == {"pass", "at_risk", "fail", "not_applicable"}


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("453000"), "£453,000"),
        (D("7958.90"), "£7,958.90"),
        (D("0.005"), "£0.01"),
        (D("-5000"), "-£5,000"),
        (D("1510000.00"), "£1,510,000"),
    ],
)
def test_format_money(amount: Decimal, text: str) -> None:
    assert format_money(amount) == text


def test_format_percentage_rounds_half_up() -> None:
    assert format_percentage(D("0.55125")) == "55.1%"
    assert format_percentage(D("0.5515")) == "55.2%"
    assert format_percentage(D("0.194735"), places=2) == "19.47%"
    assert format_percentage(None) == "n/a"


def test_percentage_helper() -> None:
    assert percentage(D("832500"), D("1510000")) == D("55.1")
    assert percentage(3, 8, places=2) == D("37.50")
    assert percentage(D(1), D(0)) is None


def test_rule_result_is_immutable() -> None:
    result = intervention_share(INTERVENTIONS_2024, GRANT_2024)
    assert isinstance(result, RuleResult)
    with pytest.raises(AttributeError):
        result.status = RuleStatus.FAIL  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.details["extra"] = D(1)  # type: ignore[index]


@given(
    st.decimals(min_value=0, max_value=10_000_000, places=2),
    st.decimals(min_value=D("0.01"), max_value=10_000_000, places=2),
    st.booleans(),
)
def test_minimum_rule_invariants(numerator: Decimal, grant: Decimal, final: bool) -> None:
    result = intervention_share(numerator, grant, final=final)
    assert result.shortfall >= 0
    if result.status is RuleStatus.PASS:
        assert result.shortfall == 0
        assert numerator >= D("0.30") * grant
    else:
        assert result.status is (RuleStatus.FAIL if final else RuleStatus.AT_RISK)
        # Adding the shortfall is always enough, and a penny less is never enough.
        assert intervention_share(numerator + result.shortfall, grant).status is RuleStatus.PASS
        assert intervention_share(numerator + result.shortfall - D("0.01"), grant).status is RuleStatus.FAIL


@given(
    st.decimals(min_value=0, max_value=10_000_000, places=2),
    st.decimals(min_value=D("0.01"), max_value=10_000_000, places=2),
)
def test_displayed_percentage_stays_on_its_side_of_the_threshold(numerator: Decimal, grant: Decimal) -> None:
    result = intervention_share(numerator, grant)
    shown = D(result.percentage_text.removesuffix("%"))
    exact = numerator * 100 / grant
    assert (shown < 30) == (exact < 30)
    assert (shown > 30) == (exact > 30)
    assert abs(shown - exact) <= D("0.05")
