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


def bench_one(url: str, size: Size, fy: int, quarter: int, repeats: int) -> dict:
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db
    from app.reports.builders.quarterly_return import build_quarterly_return
    from bench.baseline import delivery_figures
    from tests.conftest import ensure_postgres_database, reset_database

    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    reset_database(url)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        t0 = time.perf_counter()
        with db.engine.begin() as conn:
            generate(conn, size, progress=lambda m: print(m, flush=True))
        generated = time.perf_counter() - t0
        print(f"  generated in {generated:.1f}s", flush=True)

        def baseline():
            with db.engine.connect() as conn:
                return delivery_figures(conn, fy, quarter)

        def builder():
            report = build_quarterly_return(fy, quarter)
            db.session.rollback()
            return report

        baseline()  # warm caches the same way for both
        builder()
        base_s, figures = _timed(baseline, repeats)
        build_s, report = _timed(builder, repeats)
        d2 = next(t for s in report.sections for t in s.tables if t.title.startswith("D2"))
        agree = all(figures[r["programme"]]["ytd"] == r["ytd"] and figures[r["programme"]]["contacts"] == r["contacts"]
                    for r in d2.rows if r.get("_style") != "subtotal")
        db.session.remove()
        db.engine.dispose()
    return {"generate_s": generated, "baseline_s": base_s, "return_s": build_s, "ratio": build_s / base_s,
            "agree": agree}


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
    args = parser.parse_args(argv)
    size = Size(people=args.people, referrals=args.referrals, contacts=args.contacts, programmes=args.programmes,
                first_fy=args.year - 4, years=5)
    from config import normalise_db_url

    targets = [("SQLite", f"sqlite:///{args.sqlite}")]
    if not args.no_postgres:
        targets.append(("PostgreSQL", normalise_db_url(args.postgres)))
    results = {}
    for name, url in targets:
        print(f"== {name}: {size.people:,} people, {size.referrals:,} referrals, {size.contacts:,} contacts, "
              f"{size.programmes} programmes over 5 years", flush=True)
        if url.startswith("sqlite"):
            Path(args.sqlite).unlink(missing_ok=True)
        results[name] = bench_one(url, size, args.year, args.quarter, args.repeats)
    print(f"\nQuarterly return {args.year}-{(args.year + 1) % 100:02d} Q{args.quarter} (best of {args.repeats})")
    print(f"{'database':<12}{'baseline SQL':>14}{'whole return':>14}{'ratio':>8}{'  figures agree'}")
    for name, r in results.items():
        print(f"{name:<12}{r['baseline_s']:>13.2f}s{r['return_s']:>13.2f}s{r['ratio']:>7.2f}x  {r['agree']}")
    ratios = [r["ratio"] for r in results.values()]
    print(f"goal: whole return within 1.5x of the baseline; worst ratio {max(ratios):.2f}x, "
          f"median {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
