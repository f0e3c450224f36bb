"""Grant-spend and match-funding reports, and sections A–C of the quarterly return."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from app.finance import services
from app.finance.models import LineType, MatchKind, MatchStatus, SpendKind
from app.finance.report_sections import NoGrantYear, finance_sections
from app.finance.report_grant_spend import build_grant_spend
from app.finance.report_match_funding import build_match_funding
from app.documents import FORMATS, render
from tests.conftest import sign_in


@pytest.fixture
def year(world):
    actor = world.finance
    grant = world.grant_year
    evaluation = services.save_line(actor, grant, name="Evaluation", line_type=LineType.EVALUATION, planned=D("15000"))
    services.save_line(actor, grant, name="Team", line_type=LineType.PROGRAMME_TEAM, planned=D("50000"))
    services.record_expenditure(actor, evaluation, incurred_on=date(2024, 8, 1), amount=D("5000"), kind=SpendKind.ACTUAL)
    services.record_expenditure(actor, evaluation, incurred_on=date(2025, 2, 1), amount=D("9000"),
                                kind=SpendKind.FORECAST)
    services.save_contribution(actor, grant, contributor="Council", kind=MatchKind.IN_KIND, basis="Venue",
                               amount=D("8000"), received_on=date(2024, 8, 5), status=MatchStatus.PLEDGED)
    return grant


def test_sections_a_to_c(app, world, year):
    a, b, c = finance_sections(2024, 2)
    assert [s.key for s in (a, b, c)] == ["A", "B", "C"]
    table = a.tables[0]
    labels = [r["line"] for r in table.rows]
    assert labels == ["Team", "Evaluation", "Intervention: Hospital Navigators", "Interventions subtotal", "Unallocated"]
    evaluation = table.rows[1]
    assert (evaluation["q1"], evaluation["q2"], evaluation["q3"], evaluation["ytd"], evaluation["outturn"]) == (
        D(0), D("5000"), None, D("5000"), D("14000"))
    assert evaluation["variance"] == D("1000")
    assert table.rows[-1]["allocation"] == D("1510000") - D("165000")
    assert table.total_row["allocation"] == D("1510000")
    rules = [r["rule"] for r in b.tables[0].rows]
    assert rules[0].startswith("30% rule") and any("stricter" in r for r in rules) and rules[-1].startswith("Q4")
    assert {r["status"] for r in b.tables[0].rows} <= {"pass", "at_risk", "fail", "not_applicable"}
    match_rows = {r["contributor"]: r for r in c.tables[0].rows}
    assert match_rows["Council"]["status"] == "Pledged" and match_rows["Council"]["quarter"] == D("8000")
    summary = {r["item"]: r["amount"] for r in c.tables[1].rows}
    assert summary["Required: 20% of the £1,510,000 grant"] == D("302000")
    assert summary["Pledged or evidenced but not yet accepted (at risk, not counted)"] == D("8000")
    with pytest.raises(NoGrantYear):
        finance_sections(2030, 1)


@pytest.mark.parametrize("builder", [build_grant_spend, build_match_funding])
def test_reports_render_in_every_format(app, world, year, builder):
    report = builder(2024, 2)
    report.validate()
    for fmt in FORMATS:
        data, _, _ = render(report, fmt)
        assert data
    decoded = json.loads(render(report, "json")[0])
    assert decoded["period_label"] == "2024-25 Q2"


def test_download_routes_and_cli(app, client, world, year, tmp_path):
    sign_in(client, world.finance)
    for endpoint in ("grant-spend", "match-funding", "return-finance"):
        page = client.get(f"/finance/years/2024/reports/{endpoint}?quarter=2")
        assert page.status_code == 200 and "2024-25 Q2" in page.get_data(as_text=True)
        for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("csv", b"\xef\xbb\xbf"), ("json", b"{")):
            r = client.get(f"/finance/years/2024/reports/{endpoint}?quarter=2&format={fmt}")
            assert r.status_code == 200 and r.data.startswith(magic), (endpoint, fmt)
            assert "attachment" in r.headers["Content-Disposition"]
    assert client.get("/finance/years/2024/reports/grant-spend?format=exe").status_code == 404
    out = tmp_path / "gs.json"
    result = app.test_cli_runner().invoke(args=["reports", "grant-spend", "--year", "2024", "--quarter", "2",
                                                "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["title"] == "Grant spend"
    missing = app.test_cli_runner().invoke(args=["reports", "match-funding", "--year", "2031", "--format", "csv"])
    assert missing.exit_code != 0 and "No grant year is set up for 2031-32" in missing.output


def test_demo_finance_matches_the_strategy(app, db_session):
    from app.demo import build_demo
    from app.finance.figures import year_figures
    from app.finance.queries import find_grant_year

    build_demo("demo password long", people=20, today=date(2025, 5, 1))
    f = year_figures(find_grant_year(2024))
    assert f.grant.allocation == D("1510000") and f.unallocated == D("12500")
    assert sum(x.planned for x in f.lines if x.line_type is LineType.INTERVENTION) == D("832500")
    assert f.check("intervention_share").plan.percentage_text == "55.1%"
    assert f.check("match_funding").outturn.numerator == D("309000")
    assert f.as_at == 4 and f.check("q4_share").outturn.status == "pass"
    custody = next(x for x in f.lines if x.name == "Custody Coaches")
    assert custody.planned == 0 and custody.funded_elsewhere and custody.outturn(4) == 0
