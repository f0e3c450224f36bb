"""`make bench`: time building the whole quarterly return against the hand-written baseline query,
on SQLite and on PostgreSQL, over a national-scale generated dataset.

    python -m bench.run [--people 100000 --referrals 150000 --contacts 1000000] [--postgres URL | --no-postgres]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


from bench.generate import Size, generate


def _timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def _has_bench_data(url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text(
                "SELECT 1 FROM programmes WHERE name = 'Bench programme 01'")).first())
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


def bench_one(url: str, size: Size, fy: int, quarter: int, repeats: int, reuse: bool = False) -> dict:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db
    from app.reports.builders.quarterly_return import build_quarterly_return
    from bench.agree import disagreements
    from bench.baseline import delivery_figures, timeliness_figures
    from tests.conftest import ensure_postgres_database, reset_database

    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    # --reuse keeps a dataset generated earlier (same size assumed); upgrade() still applies any new
    # migration (an index, say) to it, so a schema change can be timed without regenerating.
    reuse = reuse and _has_bench_data(url)
    if not reuse:
        reset_database(url)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        generated = 0.0
        if reuse:
            print("  reusing the dataset already generated", flush=True)
        else:
            t0 = time.perf_counter()
            with db.engine.begin() as conn:
                generate(conn, size, progress=lambda m: print(m, flush=True))
            generated = time.perf_counter() - t0
            print(f"  generated in {generated:.1f}s", flush=True)
        # What autovacuum does to a live database sooner or later (statistics, and on PostgreSQL the
        # visibility map that lets index-only scans skip the table); done here so that every run measures
        # the same state instead of whatever autovacuum has got round to. The same for both contenders.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))

        def baseline():
            with db.engine.connect() as conn:
                figures = delivery_figures(conn, fy, quarter)
                figures["_timeliness"] = timeliness_figures(conn, fy, quarter)  # section T (issue 13)
                return figures

        def builder():
            report = build_quarterly_return(fy, quarter)
            db.session.rollback()
            return report

        baseline()  # warm caches the same way for both
        builder()
        base_s, figures = _timed(baseline, repeats)
        build_s, report = _timed(builder, repeats)
        agree = not disagreements(figures, report)
        agree = agree and timeliness_agrees(report, figures["_timeliness"])
        db.session.remove()
        db.engine.dispose()
    return {"generate_s": generated, "baseline_s": base_s, "return_s": build_s, "ratio": build_s / base_s,
            "agree": agree}


def timeliness_agrees(report, baseline: dict) -> bool:
    """Section T1's programme rows (referrals, within the clock, median hours) against the hand-written baseline."""
    from app.reports.builders.timeliness import hours_text

    t1 = next(t for s in report.sections for t in s.tables if t.title.startswith("T1"))
    totals = sorted((r["referrals"], r["in_clock"], r["med_attempt"]) for r in t1.rows if r.get("_style") == "subtotal")
    expected = sorted((int(v["referrals"]), int(v["in_clock"]), hours_text(None if v["med_attempt"] is None
                                                                                 else float(v["med_attempt"])))
                      for (_, site, split), v in baseline.items() if site == 0 and split == "all")
    return totals == expected


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--referrals", type=int, default=150_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--programmes", type=int, default=20)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--quarter", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sqlite", default=str(Path(tempfile.gettempdir()) / "waypoint-bench.db"))
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/waypoint_returns_bench")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep a dataset generated by an earlier run")
    args = parser.parse_args(argv)
    size = Size(people=args.people, referrals=args.referrals, contacts=args.contacts, programmes=args.programmes,
                first_fy=args.year - 4, years=5)
    from config import normalise_db_url

    targets = [] if args.no_sqlite else [("SQLite", f"sqlite:///{args.sqlite}")]
    if not args.no_postgres:
        targets.append(("PostgreSQL", normalise_db_url(args.postgres)))
    results = {}
    for name, url in targets:
        print(f"== {name}: {size.people:,} people, {size.referrals:,} referrals, {size.contacts:,} contacts, "
              f"{size.programmes} programmes over 5 years", flush=True)
        if url.startswith("sqlite") and not args.reuse:
            Path(args.sqlite).unlink(missing_ok=True)
        results[name] = bench_one(url, size, args.year, args.quarter, args.repeats, args.reuse)
    print(f"\nQuarterly return {args.year}-{(args.year + 1) % 100:02d} Q{args.quarter} (best of {args.repeats})")
    print(f"{'database':<12}{'baseline SQL':>14}{'whole return':>14}{'ratio':>8}{'  figures agree'}")
    for name, r in results.items():
        print(f"{name:<12}{r['baseline_s']:>13.2f}s{r['return_s']:>13.2f}s{r['ratio']:>7.2f}x  {r['agree']}")
    ratios = [r["ratio"] for r in results.values()]
    print(f"goal: whole return within 1.5x of the baseline; worst ratio {max(ratios):.2f}x, "
          f"median {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
