"""The benchmark's generator and hand-written baseline agree with the return builder (no timings here)."""
from __future__ import annotations

from app.db import db
from app.reports.builders.quarterly_return import build_quarterly_return
from bench.agree import disagreements, programmes_compared, return_disagreements
from bench.baseline import delivery_figures, return_figures, timeliness_figures
from bench.generate import Size, generate
from bench.run import timeliness_agrees


def test_generator_baseline_and_builder_agree(db_session):
    conn = db.session.connection()
    generate(conn, Size(people=300, referrals=500, contacts=2500, programmes=5, first_fy=2023, years=2),
             progress=lambda m: None)
    for quarter in (1, 3):
        baseline = delivery_figures(conn, 2024, quarter)
        report = build_quarterly_return(2024, quarter)
        assert disagreements(baseline, report) == []
        assert programmes_compared(report) == 5
        d3 = next(t for s in report.sections for t in s.tables if t.title.startswith("D3"))
        assert d3.total_row["ytd"] > 20
        # Section T: the hand-written timeliness baseline agrees with the builder's T1 (issue 13).
        timely = timeliness_figures(conn, 2024, quarter)
        assert timeliness_agrees(report, timely)
        assert sum(v["referrals"] for (_, site, split), v in timely.items() if site == 0 and split == "all") > 20


def test_the_baseline_computes_every_figure_of_sections_d_to_g_and_a_wrong_one_is_caught(db_session):
    """The benchmark's ratio measures the whole return: the hand-written baseline gives every figure of D2-D4,
    E1-E2, F1-F2, G1-G2 (and T1), and they agree cell by cell; a figure changed in either disagrees."""
    conn = db.session.connection()
    generate(conn, Size(people=300, referrals=500, contacts=2500, programmes=5, first_fy=2023, years=2),
             progress=lambda m: None)
    for quarter in (1, 3):
        figures = return_figures(conn, 2024, quarter)
        report = build_quarterly_return(2024, quarter)
        assert return_disagreements(figures, report) == []
        assert timeliness_agrees(report, figures["timeliness"])
        assert figures["outcomes"] and figures["measures"] and figures["people"]
    name, programme = next((n, p) for n, p in figures["programmes"].items() if p["returning"] or p["ytd"])
    programme["ytd_old"] += 1
    (key, (n, base, late, improved)), *_ = figures["measures"].items()
    figures["measures"][key] = (n, base, late, improved + 1)
    wrong = return_disagreements(figures, report)
    assert any(w.startswith(f"D3 {name}") or name in w for w in wrong)
    assert any(w.startswith("F2") for w in wrong)
