"""The outside attack, re-run by us (issue 10): real HTTP against gunicorn (production settings, several workers) on
SQLite or PostgreSQL, and the figures the outside testers gave.

    python -m bench.attack --db sqlite|postgres|both [--workers 4] [--pg-url postgresql://postgres@127.0.0.1/x]

Five campaigns, one server per database, data from the tests' own world (tests/factories.py) plus ten more people,
referrals and contacts per provider:

1. cross-organisation: provider staff of one organisation ask for the other's people, referrals, contacts and import
   runs — every page and API route that names one, every search and list with the other's names and ids in the
   query, and every write route. A leak: an answer carrying one of the other organisation's names (read as HTML,
   CSV, JSON, XLSX or PDF), or any change to its rows.
2. hostile input: every route as every role, with ids past the integer range, date parts of 2**31, non-numeric
   versions, injection strings and oversized values (the shapes of tests/test_no_server_errors.py) — in paths,
   queries and each page's own form fields. Counted: answers of 500 or more.
3. concurrent writes: eight sessions log contacts at once; acknowledged (302) against stored.
4. double posts: the same contact / person / training form (same idempotency token) posted twice, at the same
   moment and one after the other; records beyond one per form are duplicates.
5. lockout race: sixteen parallel wrong passwords for one account, each from its own address (the server trusts
   one proxy, PROXY_COUNT=1, so X-Forwarded-For names the client); checked = failures judged against the password.

The API's per-token limit is raised for this run (the isolation campaign would otherwise meet 429s, which hide
nothing); the sign-in limits and lockout are production's, LOGIN_MAX_FAILURES=5 as in the outside test.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench import server
from bench.attack_http import Client, sign_in, text_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PASSWORD = "correct horse battery staple"
LIMIT = 5
MARK = {"a": "Alphaquill", "b": "Betaquill"}  # every extra person's family name, per organisation
INJECTIONS = ["' OR '1'='1", "1;DROP TABLE users--", "../../../../etc/passwd", "{{7*7}}", "%00", "<svg onload=1>"]


# --- the data --------------------------------------------------------------------------------------------------

def database_url(db: str, pg_url: str) -> str:
    if db == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{OUT / 'attack.db'}"
    from config import normalise_db_url

    return sa.engine.make_url(normalise_db_url(pg_url)).set(database="waypoint_attack").render_as_string(
        hide_password=False)


def prepare(url: str) -> dict:
    """A fresh, migrated database with the tests' world and ten more people per provider; returns the ids."""
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db
    from tests.factories import ContactFactory, PersonFactory, ReferralFactory, UserFactory, build_world

    server.empty_database(url)
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "DEBUG": False})
    with app.app_context():
        upgrade()
        w = build_world()
        ids: dict = {"users": {}, "own": {}}
        for side, org, site, worker in (("a", w.org_a, w.site_a, w.worker_a), ("b", w.org_b, w.site_b, w.worker_b)):
            people, referrals, contacts = [getattr(w, f"person_{side}")], [getattr(w, f"referral_{side}")], \
                [getattr(w, f"contact_{side}")]
            for n in range(10):
                person = PersonFactory(given_name=f"Victim{side.upper()}{n}", family_name=MARK[side], organisation=org)
                referral = ReferralFactory(person=person, site=site, assigned_worker=worker)
                people.append(person)
                referrals.append(referral)
                contacts.append(ContactFactory(referral=referral))
            ids[side] = {"org": org.id, "person_id": [p.id for p in people],
                         "referral_id": [r.id for r in referrals], "contact_id": [c.id for c in contacts],
                         "other_person_id": [p.id for p in people],
                         "run_id": [getattr(w, "import_run" if side == "a" else "import_run_b").id],
                         "names": [MARK[side], people[0].given_name, people[0].family_name,
                                   *(p.given_name for p in people[1:])]}
        UserFactory(email="race@example.org", organisation=w.org_a)
        for name in ("worker_a", "worker_a2", "manager_a", "worker_b", "manager_b", "programme_office", "finance",
                     "admin"):
            user = getattr(w, name)
            ids["users"][name] = {"email": user.email, "totp": user.totp_secret, "role": user.role.value}
        from tests.access import OWN

        ids["own"] = {k: (getattr(w, v).id if isinstance(v, str) and hasattr(w, v) else v) for k, v in OWN.items()}
        ids["own_b"] = {**ids["own"], "referral_id": w.referral_b.id, "person_id": w.person_b.id,
                        "contact_id": w.contact_b.id, "other_person_id": w.person_b.id, "site_id": w.site_b.id,
                        "user_id": w.worker_b.id, "organisation_id": w.org_b.id, "run_id": w.import_run_b.id}
        ids["programme_id"], ids["training_programme"] = w.programme.id, w.programme.id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids


def _engine(url: str):
    from config import normalise_db_url

    return sa.create_engine(normalise_db_url(url))


def victim_state(url: str, ids: dict, side: str) -> dict:
    """Every row of one organisation's casework, as text, to see whether a write got through."""
    engine = _engine(url)
    people, referrals = ids[side]["person_id"], ids[side]["referral_id"]
    out = {}
    with engine.connect() as conn:
        for table, column, values in (("people", "id", people), ("referrals", "id", referrals),
                                      ("contacts", "referral_id", referrals), ("outcomes", "referral_id", referrals),
                                      ("referral_status_changes", "referral_id", referrals)):
            rows = conn.execute(sa.text(f"SELECT * FROM {table} WHERE {column} IN ({','.join(map(str, values))})"))
            out[table] = sorted(repr(tuple(r)) for r in rows)
    engine.dispose()
    return out


# --- 1. cross-organisation -----------------------------------------------------------------------------------

def _rules(kind: str):
    from app import create_app
    from tests.access import api_rules, page_rules

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "DEBUG": False})
    return app, (page_rules(app) if kind == "page" else api_rules(app))


FOREIGN = ("referral_id", "person_id", "contact_id", "other_person_id", "run_id")
QUERY_KEYS = ("q", "person", "person_id", "referral_id", "organisation", "provider", "worker", "site")


def cross_organisation(base: str, ids: dict, clients: dict) -> dict:
    app, pages = _rules("page")
    _, apis = _rules("api")
    attempts = leaks = 0
    leaked: list[str] = []
    jobs = []
    for attacker, side, victim in (("worker_a", "a", "b"), ("manager_a", "a", "b"), ("worker_b", "b", "a"),
                                   ("manager_b", "b", "a")):
        own = ids["own"] if side == "a" else ids["own_b"]
        names = ids[victim]["names"]
        for kind, rules in (("page", pages), ("api", apis)):
            for rule in rules:
                methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
                foreign = [a for a in rule.arguments if a in FOREIGN]
                if any(a not in own for a in rule.arguments):
                    continue
                if foreign:
                    for n in range(len(ids[victim][foreign[0]])):
                        values = {**own, **{a: ids[victim][a][min(n, len(ids[victim][a]) - 1)] for a in foreign}}
                        url = rule.build({a: values[a] for a in rule.arguments})[1]
                        for method in methods:
                            jobs.append((attacker, kind, method, url, names))
                elif "GET" in methods and not rule.arguments:
                    victim_id = ids[victim]["person_id"][1]
                    for query in (f"q={names[0]}", f"q={names[1]}",
                                  "&".join(f"{k}={victim_id}" for k in QUERY_KEYS[1:5]),
                                  f"organisation={ids[victim]['org']}&provider={ids[victim]['org']}"):
                        jobs.append((attacker, kind, "GET", f"{rule.build({})[1]}?{query}", names))

    def attempt(job):
        attacker, kind, method, url, names = job
        client = clients[attacker]
        if method == "GET":
            r = client.get(url, api=kind == "api")
        else:
            r = client.post(url, {"notes": "cross-org write", "reason": "cross-org write attempt",
                                  "to_status": "closed", "worker_id": "1", "version": "1"}, api=kind == "api")
        text = text_of(r)
        asked = urllib.parse.unquote(url)  # a search box showing what was searched for is not a leak
        hit = r.status < 400 and any(name in text for name in names if name not in asked)
        return hit, f"{attacker} {method} {url} -> {r.status}"

    before = {s: victim_state(clients["_url"], ids, s) for s in ("a", "b")}
    with ThreadPoolExecutor(max_workers=6) as pool:
        for hit, line in pool.map(attempt, jobs):
            attempts += 1
            if hit:
                leaks += 1
                leaked.append(line)
    after = {s: victim_state(clients["_url"], ids, s) for s in ("a", "b")}
    changed = sum(before[s][t] != after[s][t] for s in ("a", "b") for t in before[s])
    return {"attempts": attempts, "leaks": leaks + changed, "read_leaks": leaked[:10], "tables_changed": changed}


# --- 2. hostile input ----------------------------------------------------------------------------------------

def hostile(base: str, ids: dict, clients: dict) -> dict:
    from tests import test_no_server_errors as sweep

    app, pages = _rules("page")
    _, apis = _rules("api")
    skip = {"auth.sign_out", "auth.two_factor_off", "admin.disable_user", "admin.reset_two_factor",
            "admin.enable_user", "admin.unlock_user", "tokens.revoke_personal_token", "tokens.revoke_service_token"}
    jobs = []
    for role in ("worker_a", "manager_a", "programme_office", "finance", "admin"):
        for kind, rules in (("page", pages), ("api", apis)):
            for rule in rules:
                if rule.endpoint in skip or "turn_off" in rule.endpoint:
                    continue
                methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
                id_sets = [sweep.MISSING, *sweep.HOSTILE_IDS] if rule.arguments else [{}]
                for values in id_sets:
                    url = rule.build({a: values.get(a, ids["own"].get(a, 1)) for a in rule.arguments})[1]
                    for method in methods:
                        jobs.append((role, kind, method, url, sweep.GARBAGE_FORM if method != "GET" else None))
                if "GET" in methods:
                    own_url = rule.build({a: ids["own"].get(a, 1) for a in rule.arguments})[1]
                    for query in [*sweep.HOSTILE_QUERIES, sweep.GARBAGE_QUERY,
                                  *("?" + urllib.parse.urlencode({"q": v, "page": v, "fy": v}) for v in INJECTIONS)]:
                        jobs.append((role, kind, "GET", own_url + ("&" + query[1:] if "?" in own_url else query),
                                     None))
                if kind == "page" and "POST" in methods:
                    own_url = rule.build({a: ids["own"].get(a, 1) for a in rule.arguments})[1]
                    jobs.append((role, kind, "FORM", own_url, None))

    def shaped(client: Client, url: str) -> list[dict]:
        page = client.get(url)
        names = sorted({n for n in re.findall(r'name="([^"]+)"', page.text) if n != "csrf_token"}) \
            if page.status == 200 else []
        if not names:
            return []
        dates = [{n: list(parts) for n in names} for parts in (("2147483648", "1", "2010"), ("1", "2147483648", "2010"),
                                                                 ("1", "1", "2147483648"))]
        beyond = [{**{n: v for n in names}, "version": "abc", "worker_id": "6"} for v in sweep.BEYOND_INT]
        values = [{n: v for n in names} for v in [*sweep.HOSTILE_VALUES, *INJECTIONS]]
        return dates + beyond + values

    def attempt(job) -> list[tuple[int, str]]:
        role, kind, method, url, form = job
        client = clients[role]
        if method == "GET":
            return [(client.get(url, api=kind == "api").status, f"{role} GET {url}")]
        if method == "FORM":
            return [(client.post(url, data).status, f"{role} POST {url} {sorted(data)[:3]}")
                    for data in shaped(client, url)]
        if kind == "api":
            r = client.request(method, url, body=json.dumps({"x": "9" * 40, "date": "2147483648-01-01"}).encode(),
                               headers={"Content-Type": "application/json"}, api=True)
            return [(r.status, f"{role} {method} {url}")]
        return [(client.post(url, form).status, f"{role} {method} {url}")]

    requests = errors = 0
    examples: list[str] = []
    with ThreadPoolExecutor(max_workers=6) as pool:
        for results in pool.map(attempt, jobs):
            for status, line in results:
                requests += 1
                if status >= 500:
                    errors += 1
                    examples.append(f"{status} {line}")
    return {"requests": requests, "server_errors": errors, "examples": examples[:10]}


# --- 3. concurrent writes; 4. double posts ---------------------------------------------------------------------

def _contact(notes: str, token: str) -> dict:
    return {"attended": "yes", "mode": "one_to_one", "occurred_on": ["5", "6", "2024"], "occurred_time": "10:00",
            "duration_minutes": "45", "notes": notes, "idempotency_token": token}


def _count(url: str, sql: str, **params) -> int:
    engine = _engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(sql), params).scalar_one()
    engine.dispose()
    return n


def concurrent_writes(base: str, ids: dict, db_url: str, threads: int = 8, each: int = 60) -> dict:
    writers = []
    for i in range(threads):
        side = "a" if i % 2 == 0 else "b"
        writers.append((sign_in(base, ids["users"][f"worker_{side}"], ip=f"10.1.{i}.1"),
                        ids[side]["referral_id"][1 + i // 2]))
    referral_ids = [r for _, r in writers]
    sql = f"SELECT count(*) FROM contacts WHERE referral_id IN ({','.join(map(str, referral_ids))})"
    before = _count(db_url, sql)
    acknowledged = [0] * threads
    barrier = threading.Barrier(threads)

    def run(i: int):
        client, referral_id = writers[i]
        barrier.wait()
        for n in range(each):
            r = client.post(f"/referrals/{referral_id}/contacts/new", _contact(f"write {i}-{n}", uuid.uuid4().hex))
            acknowledged[i] += r.status == 302 and r.headers.get("Location", "").endswith(f"/referrals/{referral_id}")

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(run, range(threads)))
    stored = _count(db_url, sql) - before
    return {"acknowledged": sum(acknowledged), "stored": stored, "lost": max(sum(acknowledged) - stored, 0),
            "extra": max(stored - sum(acknowledged), 0)}


def _at_once(client: Client, url: str, data: dict) -> list[int]:
    barrier = threading.Barrier(2)

    def tap(_):
        barrier.wait()
        return client.post(url, data).status

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(tap, range(2)))


def double_posts(base: str, ids: dict, db_url: str, pairs: int = 40) -> dict:
    worker = sign_in(base, ids["users"]["worker_a"], ip="10.2.0.1")
    manager = sign_in(base, ids["users"]["manager_a"], ip="10.2.0.2")
    referral_id = ids["a"]["referral_id"][6]
    forms = {
        "contact": (worker, f"/referrals/{referral_id}/contacts/new",
                    lambda m: _contact(m, ""), "SELECT count(*) FROM contacts WHERE notes = :m"),
        "person": (worker, "/referrals/people/new",
                   lambda m: {"given_name": "Double", "family_name": m, "date_of_birth": ["3", "4", "2009"]},
                   "SELECT count(*) FROM people WHERE family_name = :m"),
        "training": (manager, f"/programmes/{ids['programme_id']}/training",
                     lambda m: {"title": m, "held_on": ["1", "5", "2024"], "attendees": "Ann Lee, ann@nhs.uk"},
                     "SELECT count(*) FROM training_events WHERE title = :m"),
    }
    posted = duplicates = missing = 0
    for name, (client, url, make, sql) in forms.items():
        for n in range(pairs):
            marker = f"Dbl{name.title()}{uuid.uuid4().hex[:10]}"
            data = {**make(marker), "idempotency_token": uuid.uuid4().hex}
            if n % 2 == 0:  # a double tap: both at the same moment
                _at_once(client, url, data)
            else:  # a retry after the first answer
                client.post(url, data)
                client.post(url, data)
            posted += 2
            stored = _count(db_url, sql, m=marker)
            duplicates += max(stored - 1, 0)
            missing += stored == 0
    return {"double_posts": posted // 2, "requests": posted, "duplicates": duplicates, "not_saved": missing}


# --- 5. lockout race ------------------------------------------------------------------------------------------

def lockout_race(base: str, db_url: str, threads: int = 16) -> dict:
    engine = _engine(db_url)
    with engine.connect() as conn:
        since = conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM audit_events")).scalar_one()
    clients = [Client(base, ip=f"198.51.100.{i + 1}") for i in range(threads)]
    tokens = [c.csrf("/sign-in") for c in clients]
    barrier = threading.Barrier(threads)

    def guess(i: int) -> int:
        barrier.wait()
        return clients[i].post("/sign-in", {"email": "race@example.org", "password": f"wrong guess {i}",
                                            "csrf_token": tokens[i]}, csrf=False).status

    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(guess, range(threads)))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT action, detail FROM audit_events WHERE id > :s"), {"s": since}).all()
        locked = conn.execute(sa.text("SELECT locked_until IS NOT NULL FROM users WHERE email = 'race@example.org'")
                              ).scalar_one()
    engine.dispose()

    def reason(detail) -> str | None:
        detail = json.loads(detail) if isinstance(detail, str) else (detail or {})
        return detail.get("reason")

    failed = [reason(d) for a, d in rows if a == "auth.sign_in_failed"]
    return {"parallel": threads, "limit": LIMIT, "checked": failed.count("bad_password"),
            "refused_locked": failed.count("locked"), "lock_events": sum(a == "auth.locked_out" for a, _ in rows),
            "rate_limited": statuses.count(429), "server_errors": sum(s >= 500 for s in statuses),
            "locked": bool(locked)}


# --- the campaign ---------------------------------------------------------------------------------------------

def campaign(db: str, workers: int, pg_url: str) -> dict:
    url = database_url(db, pg_url)
    t0 = time.perf_counter()
    ids = prepare(url)
    env = {"PROXY_COUNT": "1", "LOGIN_MAX_FAILURES": str(LIMIT), "API_TOKEN_RATE_LIMIT": "100000 per minute",
           "API_IP_RATE_LIMIT": "100000 per minute", "RATELIMIT_KEY_PREFIX": f"attack-{uuid.uuid4().hex[:8]}"}
    if server.redis_up():
        env["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    log = OUT / f"attack-{db}-server.log"
    proc, base = server.start(url, workers, env=env, log=log)
    try:
        clients: dict = {"_url": url}
        for n, (name, user) in enumerate(ids["users"].items()):
            clients[name] = sign_in(base, user, ip=f"10.0.0.{n + 1}", api_token=True)
        result = {"db": db, "workers": workers}
        for label, run in (("concurrent_writes", lambda: concurrent_writes(base, ids, url)),
                           ("double_posts", lambda: double_posts(base, ids, url)),
                           ("cross_organisation", lambda: cross_organisation(base, ids, clients)),
                           ("hostile_input", lambda: hostile(base, ids, clients)),
                           ("lockout_race", lambda: lockout_race(base, url))):
            started = time.perf_counter()
            result[label] = run()
            result[label]["seconds"] = round(time.perf_counter() - started, 1)
            print(f"  [{db}] {label}: {json.dumps(result[label])}", flush=True)
    finally:
        server.stop(proc)
    # Errors the server logged, including those after a 200's headers were sent (a body cut short).
    text = log.read_text(errors="replace")
    logged = re.findall(r"ERROR in error_pages: Unhandled error|Error handling request (\S+)", text)
    result["server_log"] = {"errors": len(logged), "file": str(log.relative_to(ROOT)),
                            "kinds": sorted(set(re.findall(r"^(\w+(?:\.\w+)*(?:Error|Exception))\b", text, re.M)))}
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result


def report(r: dict) -> str:
    c, h, w, d, lk = (r["cross_organisation"], r["hostile_input"], r["concurrent_writes"], r["double_posts"],
                      r["lockout_race"])
    return "\n".join([
        f"== {r['db']} (gunicorn, {r['workers']} workers, production settings; {r['seconds']} s)",
        f"cross-organisation attempts {c['attempts']:>6,}   leaks {c['leaks']}",
        f"hostile requests            {h['requests']:>6,}   server errors {h['server_errors']}   "
        f"(errors in the server's log over the whole run: {r['server_log']['errors']})",
        f"concurrent acknowledged writes {w['acknowledged']:>4,}   lost {w['lost']}   (stored {w['stored']})",
        f"double posts                {d['double_posts']:>6,}   duplicates {d['duplicates']}   not saved {d['not_saved']}",
        f"lockout race: {lk['parallel']} parallel wrong passwords, limit {lk['limit']}: checked {lk['checked']}, "
        f"refused as locked {lk['refused_locked']}, lock events {lk['lock_events']}, 429 {lk['rate_limited']}, "
        f"server errors {lk['server_errors']}",
    ])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/waypoint_attack")
    args = parser.parse_args(argv)
    results = []
    for db in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        print(f"== {db}: preparing and attacking", flush=True)
        results.append(campaign(db, args.workers, args.pg_url))
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "attack.json").write_text(json.dumps({"results": results, "uptime": load, "date": date.today().isoformat()},
                                                indent=2))
    print()
    for r in results:
        print(report(r))
    print(f"uptime: {load}")
    for r in results:
        if r["server_log"]["errors"]:
            print(f"{r['db']}: the server logged {r['server_log']['errors']} errors ({r['server_log']['file']}): "
                  + "; ".join(r["server_log"]["kinds"]))
    bad = sum(r["cross_organisation"]["leaks"] + r["hostile_input"]["server_errors"] + r["concurrent_writes"]["lost"]
              + r["server_log"]["errors"]
              + r["double_posts"]["duplicates"] + (r["lockout_race"]["checked"] > LIMIT) for r in results)
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
