"""`python -m bench.pages`: what one request for each page people wait on costs inside the app process.

Runs against a dataset `python -m bench.load` built (its worker, manager and provider), with the production
settings, through Flask's test client (no HTTP, no other clients): for each page, CPU milliseconds and wall
milliseconds per request (best and median of `--repeats`), and the SQL statements it runs. `--profile PAGE`
prints the functions where that page's time goes (cProfile, cumulative), to find what to make cheaper.

    python -m bench.pages --url sqlite:///$PWD/bench/out/load-demo.db
    python -m bench.pages --url postgresql://postgres@127.0.0.1:5432/waypoint_load_national --profile "My caseload"

CPU time is the app's own work (and on SQLite the database's too, which runs in the process). Nothing is
asserted; `python -m bench.load` measures the same pages under concurrent load.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import statistics
import time

import sqlalchemy as sa

from bench.load import PASSWORD, _targets


def _client(app, email: str):
    client = app.test_client()
    answer = client.get("/sign-in", base_url="https://localhost")
    page = answer.get_data(as_text=True)
    if "csrf_token" not in page:
        raise SystemExit(f"no sign-in form for {email}: {answer.status_code} {page[:300]}")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/sign-in", base_url="https://localhost",
                         data={"email": email, "password": PASSWORD, "csrf_token": token},
                         headers={"Referer": "https://localhost/sign-in"})  # HTTPS: CSRF checks the referrer
    if answer.status_code != 302 or "sign-in" in answer.headers.get("Location", ""):
        raise SystemExit(f"sign-in as {email} failed ({answer.status_code})")
    return client


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="a database bench.load built")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--profile", metavar="PAGE", help="print where this page's time goes")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--width", type=int, default=300, help="characters of each statement to print")
    parser.add_argument("--statements", metavar="PAGE", help="print each SQL statement this page runs, timed")
    args = parser.parse_args(argv)

    from config import normalise_db_url

    url = normalise_db_url(args.url)
    os.environ.pop("REDIS_URL", None)
    from app import create_app
    from app.db import db

    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                                      "SECRET_KEY": secrets.token_urlsafe(48), "AUDIT_KEY": secrets.token_urlsafe(48)})
    pages = _targets(url)
    with app.app_context():
        statements = [0]
        timed: list[tuple[float, str]] = []

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _count(conn, cursor, statement, *_):
            statements[0] += 1
            conn.info["t0"] = time.perf_counter()

        @sa.event.listens_for(db.engine, "after_cursor_execute")
        def _timed(conn, cursor, statement, *_):
            timed.append(((time.perf_counter() - conn.info["t0"]) * 1000, statement))

    # outside the app context: a request pushes its own only when none is active, and flask-login keeps the
    # signed-in user on it (the second sign-in would find the first person already signed in)
    clients = {who: _client(app, f"load.{who}@example.org") for who in ("worker", "manager")}
    print(f"{'page':24} {'CPU ms best':>11} {'median':>7} {'wall ms best':>12} {'median':>7} {'statements':>10}")
    for name, (who, path) in pages.items():
        client = clients[who]
        for _ in range(3):  # warm: compiled statements, templates, connection pool
            assert client.get(path, base_url="https://localhost").status_code == 200, name
        if args.profile == name:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeats):
                client.get(path, base_url="https://localhost")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
            continue
        if args.statements == name:
            timed.clear()
            client.get(path, base_url="https://localhost")
            for ms, statement in timed:
                print(f"{ms:8.1f} ms  {' '.join(statement.split())[:args.width]}")
            continue
        cpu, wall = [], []
        statements[0] = 0
        for _ in range(args.repeats):
            c0, w0 = time.process_time(), time.perf_counter()
            client.get(path, base_url="https://localhost")
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        print(f"{name:24} {min(cpu):11.1f} {statistics.median(cpu):7.1f} {min(wall):12.1f} "
              f"{statistics.median(wall):7.1f} {statements[0] / args.repeats:10.1f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
