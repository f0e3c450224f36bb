"""The 30% rule (intervention spend ÷ grant) and the 10% rule (evaluation ÷ interventions), DOMAIN.md §4.

Worked figures, 2024-25: grant £1,510,000; interventions £832,500 → 55.1% (pass, minimum £453,000);
evaluation £140,000 → 16.8% of interventions (pass; the stricter measure 14.4%).
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from app.finance.rules.core import (
    EVALUATION_THRESHOLD,
    INTERVENTION_THRESHOLD,
    ZERO,
    EvaluationBasis,
    RuleResult,
    divide,
    format_percentage,
    fraction,
    minimum_rule,
    money,
    not_applicable,
    threshold_text,
)


def intervention_share(
    intervention: Decimal,
    grant: Decimal,
    threshold: Decimal = INTERVENTION_THRESHOLD,
    *,
    final: bool = True,
    at_risk_margin: Decimal = ZERO,
) -> RuleResult:
    """30% rule: intervention spend ÷ grant must be at least ``threshold``.

    2024-25: £832,500 of £1,510,000 is 55.1% — pass, minimum £453,000.
    """
    intervention = money(intervention, "intervention spend")
    grant = money(grant, "grant")
    threshold = fraction(threshold, "threshold")
    if grant == 0:
        return not_applicable(
            "intervention_share",
            threshold,
            intervention,
            grant,
            f"No grant is recorded, so the {threshold_text(threshold)} intervention rule does not apply.",
        )
    return minimum_rule(
        name="intervention_share",
        numerator=intervention,
        denominator=grant,
        threshold=threshold,
        exact_required=threshold * grant,
        final=final,
        at_risk_margin=at_risk_margin,
        describe="Interventions are {shown} of the grant "
        f"(minimum {threshold_text(threshold)}, {{required}}): ",
    )


def evaluation_share(
    evaluation: Decimal,
    intervention: Decimal,
    threshold: Decimal = EVALUATION_THRESHOLD,
    variant: EvaluationBasis = "of_interventions",
    *,
    final: bool = True,
    at_risk_margin: Decimal = ZERO,
) -> RuleResult:
    """10% rule: evaluation spend as a share of intervention spend must be at least ``threshold``.

    ``variant`` picks the measure that decides the status: evaluation ÷
    interventions (the grant guidance's wording) or the stricter evaluation ÷
    (interventions + evaluation). Both are always in ``details`` and the message.
    2024-25: £140,000 against £832,500 is 16.8% (stricter 14.4%) — pass.
    """
    evaluation = money(evaluation, "evaluation spend")
    intervention = money(intervention, "intervention spend")
    if variant not in ("of_interventions", "of_interventions_plus_evaluation"):
        raise ValueError(
            f'variant must be "of_interventions" or "of_interventions_plus_evaluation", not {variant!r}'
        )
    strict = variant == "of_interventions_plus_evaluation"
    # The stricter measure needs E ≥ t·I / (1 − t), which has no answer at t = 1.
    threshold = fraction(threshold, "threshold", below_one=strict)
    of_interventions = divide(evaluation, intervention)
    of_both = divide(evaluation, intervention + evaluation)
    details = {"of_interventions": of_interventions, "of_interventions_plus_evaluation": of_both}
    denominator = intervention + evaluation if strict else intervention
    if intervention == 0:
        # With no interventions there is nothing to evaluate: the rule is moot, not passed.
        return not_applicable(
            "evaluation_share",
            threshold,
            evaluation,
            denominator,
            f"No intervention spend is recorded, so the {threshold_text(threshold)} evaluation rule "
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
    result = minimum_rule(
        name="evaluation_share",
        numerator=evaluation,
        denominator=denominator,
        threshold=threshold,
        exact_required=exact_required,
        final=final,
        at_risk_margin=at_risk_margin,
        describe=describe + f" (minimum {threshold_text(threshold)}, {{required}}): ",
        details=details,
    )
    return replace(result, message=result.message + other)
