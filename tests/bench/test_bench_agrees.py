"""The benchmark's generator and hand-written baseline agree with the return builder (no timings here)."""
from __future__ import annotations

from app.db import db
from app.reports.builders.quarterly_return import build_quarterly_return
from bench.agree import disagreements, programmes_compared
from bench.baseline import delivery_figures, timeliness_figures
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
