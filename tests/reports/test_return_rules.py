"""Return rules decided in issue 12: a programme appears only in years it ran (DOMAIN.md §5 D)."""
from __future__ import annotations

from datetime import date

from app.reports.builders.quarterly_return import build_quarterly_return
from app.reports import dashboard
from tests.factories import ProgrammeFactory, SiteFactory, TargetFactory
from tests.reports.test_quarterly_return import reach, table


def _programmes(report):
    return {r["programme"] for r in table(report, "D", "D1").rows}


def test_a_programme_appears_only_in_years_it_ran(world):
    new = ProgrammeFactory(name="Started this year")
    SiteFactory(programme=new)  # set up now (2026 or later): it did not run in 2024-25
    with_target = ProgrammeFactory(name="Planned for 2024-25")
    TargetFactory(programme=with_target, fy=2024, value=5)
    reached_then = ProgrammeFactory(name="Reached in 2024-25")
    reach(SiteFactory(programme=reached_then), date(2024, 11, 5))
    for suppressed in (False, True):
        report = build_quarterly_return(2024, 3, suppressed=suppressed)
        names = _programmes(report)
        assert "Started this year" not in names
        assert {"Planned for 2024-25", "Reached in 2024-25"} <= names
        d2 = {r["programme"] for r in table(report, "D", "D2").rows}
        assert "Started this year" not in d2
    this_year = date.today().year if date.today().month >= 4 else date.today().year - 1
    assert "Started this year" in _programmes(build_quarterly_return(this_year, 1))
    assert "Started this year" not in {line.name for line in dashboard.build(2024, date(2025, 3, 31))}


def test_targets_page_future_quarters_show_a_dash_and_chart_labels_are_whole_names(world, client, monkeypatch):
    from app.reports import views
    from tests.conftest import sign_in

    monkeypatch.setattr(views, "_today", lambda: date(2024, 8, 1))  # in Q2 of 2024-25
    reach(world.site_a, date(2024, 5, 2))
    sign_in(client, world.programme_office)
    page = client.get("/reports/targets?fy=2024").get_data(as_text=True)
    assert page.count('title="This quarter has not started yet"') >= 2  # Q3 and Q4
    labels = [t for t in views._label_lines(world.programme.name)]
    assert " ".join(labels) == world.programme.name and len(labels) > 1
    assert all(f">{t}</tspan>" in page for t in labels)
    assert views._label_lines("A very long programme name that goes on and on")[-1].endswith("…")
