"""Finance rule settings (DOMAIN.md §4) are read in config.py, refused there when wrong, shown on the dashboard
and printed in the reports, and change the judgements they name."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

import config
from app.finance import figures
from app.finance.models import LineType
from tests.conftest import sign_in
from tests.finance.test_dashboard import _clear_world_secondment, _spend_everything, _year_2025


def test_defaults_are_the_domain_rules(app):
    assert app.config["FINANCE_EVALUATION_BASIS"] == "of_interventions"
    assert app.config["FINANCE_Q4_THRESHOLD"] == "0.35"
    assert app.config["FINANCE_INTERVENTION_LINE_TYPES"] == ("intervention",)


@pytest.mark.parametrize(("parser", "value", "expected"), [
    (config.parse_evaluation_basis, " Of_Interventions_Plus_Evaluation ", "of_interventions_plus_evaluation"),
    (config.parse_q4_threshold, "0.4", "0.4"),
    (config.parse_q4_threshold, "40%", "0.4"),
    (config.parse_q4_threshold, "42.5", "0.425"),
    (config.parse_intervention_line_types, "intervention, data_sharing,intervention", ("intervention", "data_sharing")),
])
def test_settings_are_parsed(parser, value, expected):
    assert parser(value) == expected


@pytest.mark.parametrize(("parser", "value", "message"), [
    (config.parse_evaluation_basis, "of_grant", "FINANCE_EVALUATION_BASIS must be one of"),
    (config.parse_q4_threshold, "lots", "FINANCE_Q4_THRESHOLD must be a share"),
    (config.parse_q4_threshold, "0", "between 0% and 100%"),
    (config.parse_q4_threshold, "150", "between 0% and 100%"),
    (config.parse_intervention_line_types, "", "must list line types"),
    (config.parse_intervention_line_types, "interventions", "must list line types"),
    (config.parse_intervention_line_types, "intervention,evaluation", "cannot include evaluation"),
])
def test_wrong_settings_stop_the_app_with_a_reason(parser, value, message):
    with pytest.raises(ValueError, match=message):
        parser(value)


def test_settings_change_the_judgements(app, world):
    _clear_world_secondment(world)
    grant, lines = _year_2025(world.finance)
    _spend_everything(world.finance, grant, lines)
    f = figures.year_figures(grant, 4)
    assert f.check("intervention_share").outturn.percentage_text == "55.1%"
    assert f.check("evaluation_share").outturn.percentage_text == "16.8%"
    app.config.update(FINANCE_INTERVENTION_LINE_TYPES=("intervention", "data_sharing"),
                      FINANCE_EVALUATION_BASIS="of_interventions_plus_evaluation", FINANCE_Q4_THRESHOLD="0.2")
    try:
        f = figures.year_figures(grant, 4)
        # (832,500 + 75,000) ÷ 1,510,000 = 60.1%; 140,000 ÷ (907,500 + 140,000) = 13.4%
        assert f.check("intervention_share").outturn.percentage_text == "60.1%"
        assert f.check("evaluation_share").outturn.percentage_text == "13.4%"
        assert f.check("evaluation_share").title.startswith("10% rule, stricter")
        assert f.check("q4_share").outturn.status.value == "at_risk"  # 25% in Q4 is above a 20% threshold
        assert f.settings.intervention_types == (LineType.INTERVENTION, LineType.DATA_SHARING)
        assert dict(f.settings.rows)["Q4 spend warning above"] == "20%"
    finally:
        app.config.update(FINANCE_INTERVENTION_LINE_TYPES=("intervention",), FINANCE_EVALUATION_BASIS="of_interventions",
                          FINANCE_Q4_THRESHOLD="0.35")


def test_dashboard_and_report_show_the_settings_in_force(app, world, client):
    sign_in(client, world.finance)
    page = client.get("/finance/years/2024").get_data(as_text=True)
    assert 'data-testid="finance-settings"' in page
    assert "Line types counted as intervention spend (30% rule)" in page
    assert "evaluation ÷ interventions" in page and "35%" in page
    report = client.get("/finance/years/2024/reports/grant-spend?format=csv").get_data(as_text=True)
    assert "Q4 spend warning above: 35%" in report
    assert D(app.config["FINANCE_Q4_THRESHOLD"]) == D("0.35")
