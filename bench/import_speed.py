"""Import speed and memory: a provider's casework file in the national dataset's shape (per person 1.5
referrals and 10 sessions), imported through `app.imports.services.import_path` — the same code as
`flask import casework` — into a fresh database, at two file sizes, on SQLite and PostgreSQL.

    python -m bench.import_speed [--sizes 2000 8000] [--postgres URL | --no-postgres] [--sqlite PATH] [--xlsx]
    python -m bench.import_speed --memory [1000] [--no-postgres]   # memory for files of 1x, 2x, 4x, 8x the people

Each measurement runs in its own process so its memory figures are its own: one run timed (rows a second, and
the peak resident memory of the import over the process's memory before it), one run under tracemalloc (the
peak Python allocation during the import; tracemalloc slows Python down, so this run is not timed). The load
average of the machine is printed with the figures, and the rows per second of the import process's own CPU
time (on SQLite that is all the work; on PostgreSQL the server's share is not in it), which a busy machine
distorts far less than the wall-clock rate.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def one(url: str, people: int, mode: str, fmt: str = "csv") -> dict:
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db
    from app.imports import services
    from bench.casefile import write_casefile
    from bench.import_setup import bench_mapping, seed_world
    from config import normalise_db_url
    from bench.server import empty_database

    url = normalise_db_url(url)
    empty_database(url)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        world = seed_world()
        db.session.commit()
        folder = Path(tempfile.mkdtemp(prefix="waypoint-import-bench-"))
        made = write_casefile(folder / "casework.csv", [s.name for s in world.sites], people=people)
        path = made.path
        if fmt == "xlsx":
            path = _as_xlsx(made.path)
        mapping = bench_mapping()
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # reset the peak-RSS mark, so VmHWM is the import's own peak
        except OSError:
            pass
        base_kb = _rss_kb("VmRSS")
        if mode == "memory":
            tracemalloc.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        run, plan, counts = services.import_path(world.officer, world.provider, mapping, path, dry_run=False)
        db.session.commit()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        traced = tracemalloc.get_traced_memory()[1] if mode == "memory" else None
        tracemalloc.stop()
        peak_kb = _rss_kb("VmHWM")
        assert plan.clean, plan.problems[:5]
        result = {"db": db.engine.dialect.name, "format": fmt, "people": people, "rows": made.rows,
                  "referrals": made.referrals, "contacts": made.contacts, "saved": counts,
                  "seconds": round(seconds, 2), "rows_per_s": round(made.rows / seconds),
                  "app_cpu_s": round(cpu, 2), "rows_per_app_cpu_s": round(made.rows / cpu),
                  "file_mb": round(path.stat().st_size / 1e6, 1),
                  "rss_growth_mb": round((peak_kb - base_kb) / 1024, 1),
                  "tracemalloc_peak_mb": round(traced / 1e6, 1) if traced is not None else None,
                  "load": os.getloadavg()}
        db.session.remove()
        db.engine.dispose()
    return result


def _as_xlsx(path: Path) -> Path:
    import csv

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    out = path.with_suffix(".xlsx")
    book.save(out)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000], help="people in the file")
    parser.add_argument("--sqlite", default=str(Path(tempfile.gettempdir()) / "waypoint-import-bench.db"))
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/waypoint_import_bench")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--xlsx", action="store_true", help="also time an .xlsx file of the first size")
    parser.add_argument("--memory", type=int, nargs="?", const=1000, metavar="PEOPLE",
                        help="only memory, for files of 1x, 2x, 4x and 8x this many people (default 1,000)")
    parser.add_argument("--one", nargs=4, metavar=("URL", "PEOPLE", "MODE", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        url, people, mode, fmt = args.one
        print(json.dumps(one(url, int(people), mode, fmt)))
        return
    targets = []
    if not args.no_sqlite:
        targets.append(f"sqlite:///{args.sqlite}")
    if not args.no_postgres:
        targets.append(args.postgres)
    results = []
    for url in targets:
        plan = [(people, mode, "csv") for people in args.sizes for mode in ("time", "memory")]
        if args.memory:
            plan = [(args.memory * k, "memory", "csv") for k in (1, 2, 4, 8)]
        if args.xlsx:
            plan.append((args.sizes[0], "time", "xlsx"))
        for people, mode, fmt in plan:
            done = subprocess.run([sys.executable, "-m", "bench.import_speed", "--one", url, str(people), mode, fmt],
                                  capture_output=True, text=True, check=False)
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                raise SystemExit(done.returncode)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["mode"] = mode
            results.append(result)
            print(json.dumps(result), flush=True)
    if args.memory:
        print("\ndb          people   rows     file MB  tracemalloc peak  RSS growth  load (1 min)")
        for r in results:
            print(f"{r['db']:<11} {r['people']:<8,} {r['rows']:<8,} {r['file_mb']:<8} {r['tracemalloc_peak_mb']:<5} MB"
                  f"          {r['rss_growth_mb']:<5} MB    {r['load'][0]:.1f}")
        return
    print("\ndb          format  people   rows     seconds  rows/s   rows/app-CPU-s  RSS growth  tracemalloc peak  "
          "load (1/5/15 min)")
    timed = {(r["db"], r["people"], r["format"]): r for r in results if r["mode"] == "time"}
    traced = {(r["db"], r["people"], r["format"]): r for r in results if r["mode"] == "memory"}
    for key, r in timed.items():
        t = traced.get(key, {})
        print(f"{r['db']:<11} {r['format']:<7} {r['people']:<8,} {r['rows']:<8,} {r['seconds']:<8} "
              f"{r['rows_per_s']:<8,} {r['rows_per_app_cpu_s']:<15,} {r['rss_growth_mb']:<5} MB    "
              f"{t.get('tracemalloc_peak_mb', '—')} MB"
              f"            {' / '.join(f'{x:.2f}' for x in r['load'])}")


if __name__ == "__main__":
    main()
