"""A national-scale synthetic dataset for the return benchmark (DESIGN.md §2: bench/).

Bulk inserts straight through the DB-API (sqlite3 executemany, PostgreSQL COPY), never the ORM:
100,000 people, 150,000 referrals, 1,000,000 contacts, 20 programmes over 5 financial years by default.
Deterministic for a seed. All names are synthetic.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

HO = ["prevention", "early_intervention", "therapeutic", "desistance"]
KINDS = ["hospital", "custody", "school", "focused_deterrence", "community"]
SETTINGS = ["a_and_e", "custody_suite", "school", "community_venue", "other"]
ETHNICITIES = ["white_british", "white_irish", "white_other", "black_african", "black_caribbean", "asian_indian",
               "asian_pakistani", "asian_bangladeshi", "asian_chinese", "mixed_white_black_caribbean", "mixed_other",
               "other_arab", "other_any", "not_stated"]
SEXES = ["male", "female", "not_known"]
OUTCOMES = ["Signposted to service", "Re-engaged with education", "No further exclusion", "No re-arrest"]


@dataclass
class Size:
    people: int = 100_000
    referrals: int = 150_000
    contacts: int = 1_000_000
    programmes: int = 20
    first_fy: int = 2020
    years: int = 5
    providers: int = 40


def _bulk(conn, table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.connection.driver_connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _next_id(conn, table: str) -> int:
    return (conn.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1


FIRST_MODES = ("in_setting", "phone", "one_to_one", "message")


def generate(conn, size: Size = Size(), seed: int = 7, progress=print) -> dict:
    """Insert the dataset through ``conn`` (a SQLAlchemy Connection). Returns the ids it used."""
    rng = random.Random(seed)
    # Times of referral and modes of first contact (section T) from their own stream, so every other figure of a
    # dataset generated before they existed stays the same.
    clock_rng = random.Random(seed + 1)
    now = datetime(2025, 4, 1, 9, 0)
    sqlite = conn.dialect.name == "sqlite"

    def d(x):  # SQLite stores dates as ISO text (as SQLAlchemy does); PostgreSQL COPY takes date objects
        return x.isoformat() if sqlite and isinstance(x, date) and not isinstance(x, datetime) else (
            x.isoformat(sep=" ") if sqlite and isinstance(x, datetime) else x)

    def b(x):
        return int(x) if sqlite else x

    org0 = _next_id(conn, "organisations")
    orgs = [(org0, "Bench VRU", "vru")] + [(org0 + i, f"Bench provider {i}", "vcs_provider")
                                            for i in range(1, size.providers + 1)]
    _bulk(conn, "organisations", ["id", "name", "kind", "active", "created_at", "updated_at"],
          [(i, n, k, b(True), d(now), d(now)) for i, n, k in orgs])
    providers = [o[0] for o in orgs[1:]]

    prog0 = _next_id(conn, "programmes")
    programmes = []
    for i in range(size.programmes):
        trial = i % 5 == 3
        programmes.append((prog0 + i, f"Bench programme {i + 1:02d}", KINDS[i % len(KINDS)], HO[i % 4],
                           '["secondary"]', "targeted", "individual", "gate_3" if trial else "gate_1", b(trial),
                           b(False), '["Signposted to service", "No re-arrest"]', b(True), d(now), d(now)))
    _bulk(conn, "programmes", ["id", "name", "kind", "ho_category", "tiers", "cohort", "reach_unit", "evaluation_stage",
                               "trial_enabled", "trial_stratify_by_site", "outcome_types", "active", "created_at",
                               "updated_at"], programmes)
    prog_ids = [p[0] for p in programmes]
    trial_ids = {p[0] for p in programmes if p[8]}
    school_like = set(prog_ids[2::5])

    site0 = _next_id(conn, "sites")
    sites, sites_of = [], {}
    for i, pid in enumerate(prog_ids):
        for k in range(3):
            sid = site0 + i * 3 + k
            sites.append((sid, pid, f"Site {k + 1}", SETTINGS[i % len(SETTINGS)], providers[(i * 3 + k) % len(providers)],
                          b(True), d(now), d(now)))
            sites_of.setdefault(pid, []).append((sid, sites[-1][4]))
    _bulk(conn, "sites", ["id", "programme_id", "name", "setting", "provider_id", "active", "created_at", "updated_at"],
          sites)

    fys = list(range(size.first_fy, size.first_fy + size.years))
    targets, windows = [], []
    tid, wid = _next_id(conn, "targets"), _next_id(conn, "counting_windows")
    for pid in prog_ids:
        for fy in fys:
            targets.append((tid, pid, fy, "new_24_and_under", rng.randint(200, 900), d(now), d(now)))
            targets.append((tid + 1, pid, fy, "new_25_and_over", rng.randint(20, 200), d(now), d(now)))
            tid += 2
            if pid in school_like:
                windows.append((wid, pid, fy, d(date(fy, 9, 1)), d(date(fy + 1, 3, 31)), d(now), d(now)))
                wid += 1
    _bulk(conn, "targets", ["id", "programme_id", "fy", "measure", "value", "created_at", "updated_at"], targets)
    _bulk(conn, "counting_windows", ["id", "programme_id", "fy", "starts_on", "ends_on", "created_at", "updated_at"],
          windows)
    progress(f"  programmes {len(prog_ids)}, sites {len(sites)}, targets {len(targets)}")

    person0 = _next_id(conn, "people")
    people, dobs = [], []
    for i in range(size.people):
        roll = rng.random()
        dob = date(1985, 1, 1) + timedelta(days=rng.randint(0, 30 * 365)) if roll > 0.03 else None
        est_age = rng.randint(12, 30) if dob is None and roll > 0.015 else None
        est_on = date(2022, 6, 1) if est_age is not None else None
        dobs.append(dob)
        people.append((person0 + i, f"Given{i}", f"Family{i}", f"given{i} family{i}", d(dob), est_age, d(est_on),
                       rng.choice(SEXES) if rng.random() > 0.01 else None,
                       rng.choice(ETHNICITIES) if rng.random() > 0.04 else None, providers[i % len(providers)],
                       None, b(False), 1, d(now), d(now)))
    # A few merged duplicates, pointing at their survivor.
    for i in range(0, size.people, 997):
        if i + 1 < size.people:
            row = list(people[i + 1])
            row[10] = person0 + i
            people[i + 1] = tuple(row)
    _bulk(conn, "people", ["id", "given_name", "family_name", "name_key", "date_of_birth", "estimated_age",
                           "estimated_on", "sex", "ethnicity", "organisation_id", "merged_into_id", "restricted",
                           "version_id", "created_at", "updated_at"], people)
    progress(f"  people {len(people):,}")

    ref0 = _next_id(conn, "referrals")
    start = date(size.first_fy, 4, 1)
    span = (date(size.first_fy + size.years, 3, 31) - start).days
    referrals, reached = [], []
    for i in range(size.referrals):
        pid = rng.choice(prog_ids)
        sid, provider = rng.choice(sites_of[pid])
        person = person0 + (i if i < size.people else rng.randrange(size.people))
        referred = start + timedelta(days=rng.randint(0, span))
        dob = dobs[person - person0]
        if dob is not None and referred < dob + timedelta(days=3650):  # nobody is referred before the age of 10
            referred = dob + timedelta(days=3650 + rng.randint(0, 3000))
        arm = "none"
        if pid in trial_ids:
            arm = "control" if rng.random() < 0.3 else "intervention"
        reached_on = referred + timedelta(days=rng.randint(0, 12)) if rng.random() < 0.85 and arm != "control" else None
        closed = reached_on + timedelta(days=rng.randint(20, 240)) if reached_on and rng.random() < 0.8 else None
        status = "closed" if closed else ("engaged" if reached_on else "received")
        rid = ref0 + i
        referred_at = datetime.combine(referred, time(clock_rng.randint(0, 9), clock_rng.choice((0, 15, 30, 45))))
        referrals.append((rid, person, pid, sid, provider, d(referred), "other", "consent", b(True), status, arm,
                          d(closed), d(reached_on), 1, d(now), d(now), d(referred_at)))
        if reached_on:
            reached.append((rid, reached_on))
    _bulk(conn, "referrals", ["id", "person_id", "programme_id", "site_id", "provider_id", "referred_on", "source",
                              "lawful_basis", "consent_recorded", "status", "trial_arm", "closed_on", "reached_on",
                              "version_id", "created_at", "updated_at", "referred_at"], referrals)
    progress(f"  referrals {len(referrals):,}")

    contact0 = _next_id(conn, "contacts")
    per = max(1, size.contacts // max(len(reached), 1))
    contacts, cid = [], contact0
    for n, (rid, reached_on) in enumerate(reached):
        count = per + (1 if n < size.contacts - per * len(reached) else 0)
        at = datetime.combine(reached_on, time(10))
        for k in range(count):
            attended = k == 0 or rng.random() > 0.2
            mode = clock_rng.choice(FIRST_MODES) if k == 0 else "one_to_one"
            contacts.append((cid, rid, d(at), 45, mode, b(attended), d(now), d(now)))
            cid += 1
            at += timedelta(days=7)
        if len(contacts) >= 200_000:
            _bulk(conn, "contacts", ["id", "referral_id", "occurred_at", "duration_minutes", "mode", "attended",
                                     "created_at", "updated_at"], contacts)
            contacts = []
    _bulk(conn, "contacts", ["id", "referral_id", "occurred_at", "duration_minutes", "mode", "attended",
                             "created_at", "updated_at"], contacts)
    progress(f"  contacts {cid - contact0:,}")

    out0, m0 = _next_id(conn, "outcomes"), _next_id(conn, "outcome_measures")
    outcomes, measures = [], []
    for n, (rid, reached_on) in enumerate(reached[::3]):
        outcomes.append((out0 + n, rid, rng.choice(OUTCOMES), d(reached_on + timedelta(days=60)), d(now), d(now)))
        base = rng.randint(5, 10)
        measures.append((m0 + 2 * n, rid, "Distress (0-10)", "baseline", base, d(reached_on), b(False), d(now), d(now)))
        measures.append((m0 + 2 * n + 1, rid, "Distress (0-10)", "exit", max(0, base - rng.randint(-1, 5)),
                         d(reached_on + timedelta(days=90)), b(False), d(now), d(now)))
    _bulk(conn, "outcomes", ["id", "referral_id", "outcome_type", "achieved_on", "created_at", "updated_at"], outcomes)
    _bulk(conn, "outcome_measures", ["id", "referral_id", "instrument", "time_point", "value", "measured_on",
                                     "higher_is_better", "created_at", "updated_at"], measures)
    progress(f"  outcomes {len(outcomes):,}, measures {len(measures):,}")
    if conn.dialect.name == "postgresql":
        for table in ("organisations", "programmes", "sites", "targets", "counting_windows", "people", "referrals",
                      "contacts", "outcomes", "outcome_measures"):
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        conn.execute(sa.text("ANALYZE"))
    else:
        conn.execute(sa.text("ANALYZE"))
    return {"programmes": prog_ids, "fys": fys}
