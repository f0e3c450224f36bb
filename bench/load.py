"""`python -m bench.load`: the pages people wait on, under concurrent load, beside /healthz in the same run.

Builds (or reuses) a dataset — the national one of bench/generate.py, or one at the demo's size — plus a
realistic provider (its thousands of referrals, a youth worker with 50 open cases, a manager), serves it with
gunicorn (production settings, several workers), signs in as the worker and the manager over HTTP, and drives
each page with wrk (Debian's package: a real load generator, not a loop of ours). Pages and /healthz are run in
turn, `--rounds` times, so a busy machine hurts both alike; it prints p50/p95/p99 latency and requests a second
per page, the page's throughput as a share of /healthz's, and the machine's load average at the time.

    python -m bench.load [--db sqlite|postgres|both] [--size national|demo] [--clients 8] [--seconds 15]
                         [--workers 4] [--rounds 2] [--postgres URL] [--rebuild]

Nothing here is asserted: the goals (issue "Fast under load") are read off the table.
"""
from __future__ import annotations

import argparse
import http.cookies
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench.generate import Size, generate
from bench.server import empty_database, free_port, redis_up, start, stop

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PASSWORD = "bench-load-password-7731"
SIZES = {
    "national": Size(providers=30),  # 150,000 referrals over 30 providers: about 5,000 each
    "demo": Size(people=400, referrals=600, contacts=4_000, programmes=4, years=2, first_fy=2024, providers=2),
}
LUA = """
done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("WRKJSON {\\"requests\\": %d, \\"seconds\\": %f, \\"p50\\": %f, \\"p95\\": %f, " ..
    "\\"p99\\": %f, \\"errors\\": %d, \\"non2xx\\": %d}\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, non2xx))
end
"""


def _database(db: str, size: str, pg_url: str) -> str:
    if db == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{OUT / f'load-{size}.db'}"
    from config import normalise_db_url

    u = sa.engine.make_url(normalise_db_url(pg_url))  # postgresql:// → the psycopg 3 driver the app uses
    return str(u.set(database=f"waypoint_load_{size}").render_as_string(hide_password=False))


def _ready(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text("SELECT 1 FROM users WHERE email = 'load.worker@example.org'")).first())
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


def build(url: str, size: Size) -> None:
    """Migrate an empty database, generate the dataset, then the provider people sign in to."""
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db

    empty_database(url)
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "DEBUG": False})
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            t0 = time.perf_counter()
            generate(conn, size, progress=lambda m: print(m, flush=True))
            print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
        _provider(db)
        db.session.remove()
        db.engine.dispose()


def _upgrade(url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "DEBUG": False})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


def _provider(db) -> None:
    from app.auth.models import Organisation, User
    from app.auth.passwords import hash_password
    from app.auth.roles import Role

    org = db.session.execute(sa.select(Organisation).where(Organisation.name == "Bench provider 1")).scalar_one()
    pw = hash_password(PASSWORD)
    worker = User(email="load.worker@example.org", full_name="Load Worker", role=Role.YOUTH_WORKER,
                  organisation_id=org.id, password_hash=pw)
    manager = User(email="load.manager@example.org", full_name="Load Manager", role=Role.PROVIDER_MANAGER,
                   organisation_id=org.id, password_hash=pw)
    colleague = User(email="load.colleague@example.org", full_name="Load Colleague", role=Role.YOUTH_WORKER,
                     organisation_id=org.id, password_hash=pw)
    db.session.add_all([worker, manager, colleague])
    db.session.flush()
    conn = db.session.connection()
    ids = [r[0] for r in conn.execute(sa.text(
        "SELECT id FROM referrals WHERE provider_id = :o AND reached_on IS NOT NULL ORDER BY referred_on DESC"),
        {"o": org.id})]
    mine, theirs = ids[:50], ids[50:]
    listed = ",".join(map(str, mine))  # integers read from the database just above
    conn.execute(sa.text("UPDATE referrals SET assigned_worker_id = :w, status = 'engaged', closed_on = NULL "
                         f"WHERE id IN ({listed})"), {"w": worker.id})
    conn.execute(sa.text(f"UPDATE referrals SET assigned_worker_id = :w WHERE provider_id = :o AND id NOT IN ({listed})"),
                 {"w": colleague.id, "o": org.id})
    total = conn.execute(sa.text("SELECT count(*) FROM referrals WHERE provider_id = :o"), {"o": org.id}).scalar()
    db.session.commit()
    print(f"  provider: {total:,} referrals, worker with {len(mine)} open cases, {len(theirs):,} with a colleague")


def serve(url: str, workers: int, port: int) -> subprocess.Popen:
    """gunicorn with production settings (bench.server), with Redis for limits when it runs, as in production."""
    env = {"REDIS_URL": "redis://127.0.0.1:6379/14"} if redis_up() and "REDIS_URL" not in os.environ else {}
    return start(url, workers, port, env=env)[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in(base: str, email: str) -> str:
    """Sign in as a browser would; return the Cookie header for wrk. (Production cookies are Secure, which a
    cookie jar will not send back over plain HTTP to 127.0.0.1, so the header is kept by hand.)"""
    opener = urllib.request.build_opener(_NoRedirect)
    cookies = http.cookies.SimpleCookie()

    def keep(headers):
        for value in headers.get_all("Set-Cookie") or []:
            cookies.load(value)

    def header():
        return "; ".join(f"{k}={m.value}" for k, m in cookies.items())

    with opener.open(f"{base}/sign-in") as r:
        keep(r.headers)
        page = r.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token}).encode()
    request = urllib.request.Request(f"{base}/sign-in", data=body, headers={"Cookie": header()})
    try:
        opener.open(request)
        raise SystemExit(f"sign-in as {email} did not redirect")
    except urllib.error.HTTPError as e:  # the 302 after a good sign-in
        if e.code != 302 or "sign-in" in e.headers.get("Location", ""):
            raise SystemExit(f"sign-in as {email} failed ({e.code} → {e.headers.get('Location')})") from None
        keep(e.headers)
    return header()


def wrk(url: str, cookie: str | None, clients: int, seconds: int, script: Path) -> dict:
    cmd = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "-s", str(script), "--timeout", "30s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    result = json.loads(out.split("WRKJSON ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def _status(url: str, cookie: str) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers={"Cookie": cookie})) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _targets(url: str) -> dict[str, tuple[str, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        worker = conn.execute(sa.text("SELECT id FROM users WHERE email = 'load.worker@example.org'")).scalar()
        referral = conn.execute(sa.text("SELECT id FROM referrals WHERE assigned_worker_id = :w ORDER BY id LIMIT 1"),
                                {"w": worker}).scalar()
        family = conn.execute(sa.text("SELECT p.family_name FROM people p JOIN referrals r ON r.person_id = p.id "
                                      "WHERE r.id = :r"), {"r": referral}).scalar()
    engine.dispose()
    pages = {
        "home (worker)": ("worker", "/"),
        "My caseload": ("worker", "/referrals/mine"),
        "case page": ("worker", f"/referrals/{referral}"),
        "people search": ("worker", f"/referrals/people?q={urllib.parse.quote(family)}"),
        "organisation caseload": ("manager", "/referrals/caseload"),
    }
    if _route_exists("/todo"):
        pages["to-do"] = ("worker", "/todo")
    return pages


def _route_exists(path: str) -> bool:
    from app import create_app

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path)
        return True
    except Exception:  # noqa: BLE001 - NotFound / MethodNotAllowed
        return False


def run_one(db: str, size_name: str, args) -> list[dict]:
    url = _database(db, size_name, args.postgres)
    if args.rebuild or not _ready(url):
        print(f"== building the {size_name} dataset on {db}", flush=True)
        build(url, SIZES[size_name])
    else:
        _upgrade(url)  # a dataset built by an older checkout gains the newer migrations
    port = free_port()
    proc = serve(url, args.workers, port)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        cookies = {"worker": sign_in(base, "load.worker@example.org"),
                   "manager": sign_in(base, "load.manager@example.org")}
        script = Path(tempfile.mkdtemp()) / "report.lua"
        script.write_text(LUA)
        pages = _targets(url)
        for name, (who, path) in pages.items():  # each page answers 200 as that user (not a sign-in redirect)
            status = _status(base + path, cookies[who])
            if status != 200:
                raise SystemExit(f"{name} ({path}) answered {status} as the {who}, not 200")
        for who, path in pages.values():  # warm each worker's caches once
            wrk(base + path, cookies[who], 2, 1, script)
        samples: dict[str, list[dict]] = {name: [] for name in ["/healthz", *pages]}
        for _ in range(args.rounds):
            for name, (who, path) in pages.items():
                samples["/healthz"].append(wrk(base + "/healthz", None, args.clients, args.seconds, script))
                samples[name].append(wrk(base + path, cookies[who], args.clients, args.seconds, script))
        load = os.getloadavg()[0]
        health_rps = statistics.median(s["rps"] for s in samples["/healthz"])
        for name, runs in samples.items():
            rows.append({
                "db": db, "size": size_name, "page": name,
                "p50_ms": statistics.median(r["p50"] for r in runs), "p95_ms": statistics.median(r["p95"] for r in runs),
                "p95_min_ms": min(r["p95"] for r in runs), "p99_ms": statistics.median(r["p99"] for r in runs),
                "rps": statistics.median(r["rps"] for r in runs),
                "share": statistics.median(r["rps"] for r in runs) / health_rps if health_rps else float("nan"),
                "errors": sum(r["errors"] + r["non2xx"] for r in runs), "load": load,
            })
    finally:
        stop(proc)
    return rows


def scale_out(db: str, size_name: str, args) -> list[dict]:
    """My caseload and the case page with one app server, then with two side by side on the same database
    (each with the same number of workers, the clients split between them); total requests a second."""
    url = _database(db, size_name, args.postgres)
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(LUA)
    rows = []
    for servers in (1, 2):
        ports = [free_port() for _ in range(servers)]
        procs = [serve(url, args.workers, port) for port in ports]
        try:
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            cookie = sign_in(bases[0], "load.worker@example.org")  # one session, valid on every server
            for base in bases:
                if _status(base + "/referrals/mine", cookie) != 200:
                    raise SystemExit(f"the session made on {bases[0]} is not valid on {base}")
            pages = _targets(url)
            for name in ("My caseload", "case page"):
                path = pages[name][1]
                for base in bases:
                    wrk(base + path, cookie, 2, 1, script)
                runs = []
                for _ in range(args.rounds):
                    with_each = max(1, args.clients // servers)
                    jobs = [subprocess.Popen([sys.executable, "-c", "import json,sys; from bench.load import wrk; "
                                              "from pathlib import Path; print(json.dumps(wrk(sys.argv[1], sys.argv[2], "
                                              "int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))))",
                                              base + path, cookie, str(with_each), str(args.seconds), str(script)],
                                             cwd=ROOT, stdout=subprocess.PIPE, text=True) for base in bases]
                    results = [json.loads(j.communicate()[0]) for j in jobs]
                    if any(r["errors"] or r["non2xx"] for r in results):
                        raise SystemExit(f"errors while measuring {name} on {servers} servers: {results}")
                    runs.append((sum(r["rps"] for r in results), max(r["p95"] for r in results)))
                rows.append({"db": db, "servers": servers, "page": name, "rps": statistics.median(r[0] for r in runs),
                             "p95_ms": statistics.median(r[1] for r in runs), "load": os.getloadavg()[0]})
        finally:
            for proc in procs:
                stop(proc)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--size", choices=list(SIZES), default="national")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=int, default=15)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/x"))
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--scale-out", action="store_true",
                   help="also measure one app server against two side by side on the same database")
    args = p.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    rows = []
    for db in dbs:
        rows += run_one(db, args.size, args)
    print(f"\n{args.clients} clients, {args.seconds} s per run, {args.rounds} interleaved rounds, "
          f"{args.workers} gunicorn workers, {os.cpu_count()} cores")
    print(f"{'db':9} {'size':9} {'page':23} {'p50 ms':>8} {'p95 ms':>8} {'(min)':>7} {'p99 ms':>8} {'req/s':>8} "
          f"{'of /healthz':>11} {'errors':>6} {'load':>5}")
    for r in rows:
        print(f"{r['db']:9} {r['size']:9} {r['page']:23} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p95_min_ms']:7.1f} "
              f"{r['p99_ms']:8.1f} {r['rps']:8.1f} {r['share']:10.0%} {r['errors']:6d} {r['load']:5.1f}")
    if args.scale_out:
        scale = []
        for db in dbs:
            scale += scale_out(db, args.size, args)
        print(f"\nScale out ({args.workers} workers per server, {args.clients} clients split between the servers)")
        print(f"{'db':9} {'servers':>7} {'page':15} {'req/s':>8} {'p95 ms':>8} {'load':>5}")
        for r in scale:
            print(f"{r['db']:9} {r['servers']:7d} {r['page']:15} {r['rps']:8.1f} {r['p95_ms']:8.1f} {r['load']:5.1f}")
        rows += scale
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(rows, indent=1))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
