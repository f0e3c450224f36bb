"""The per-user pages read only the user's rows (issue: fast under load).

Every SELECT a page runs is EXPLAINed with its own parameters. On PostgreSQL sequential scans are switched off
for the EXPLAIN, so a plan that still reads a whole table has no index to use; a node over contacts, measures
or the audit trail must then be an index lookup with a condition (a full index scan is a full scan too). On
SQLite, EXPLAIN QUERY PLAN must SEARCH those tables, never SCAN them. No timings are asserted.
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.db import db
from tests.conftest import sign_in
from tests.factories import ContactFactory, OutcomeMeasureFactory, PersonFactory, ReferralFactory

WATCHED = ("contacts", "outcome_measures", "audit_events")
# People too, on every page but the search (a name's substring can match anywhere, so the search reads the
# people it may see): a caseload's "is this person restricted?" check must not read the whole people table.
WATCHED_WITH_PEOPLE = WATCHED + ("people",)


@contextmanager
def captured_selects():
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def _pg_full_reads(plan: dict, watched=WATCHED, limited: bool = False) -> list[str]:
    """Whole-table reads in a plan. An index read in index order straight under a LIMIT (the latest audit
    event, say) stops after its first rows, so it is not one."""
    found = []
    node_type, relation = plan.get("Node Type", ""), plan.get("Relation Name")
    if relation in watched:
        if node_type == "Seq Scan":
            found.append(f"Seq Scan on {relation}")
        elif "Index" in node_type and not plan.get("Index Cond") and not (limited and not plan.get("Filter")):
            found.append(f"{node_type} on {relation} without a condition")
    limited = node_type == "Limit" or (limited and node_type not in ("Sort", "Aggregate", "Hash", "Hash Join",
                                                                     "Merge Join", "Incremental Sort"))
    for child in plan.get("Plans", []):
        found += _pg_full_reads(child, watched, limited)
    return found


def full_reads(statement: str, parameters, watched=WATCHED) -> list[str]:
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        try:
            rows = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
        finally:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = on")
        plan = rows if isinstance(rows, list) else json.loads(rows)
        return _pg_full_reads(plan[0]["Plan"], watched)
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    details = [row[-1] for row in rows]
    # Reading in rowid order under a LIMIT with no WHERE and no sort stops after its first rows.
    stops_early = (re.search(r"\bLIMIT\b", statement) and not re.search(r"\bWHERE\b", statement)
                   and not any("TEMP B-TREE" in d for d in details))
    pattern = re.compile(r"^SCAN ({})(?: AS \w+)?\b".format("|".join(watched)))
    return [d for d in details if pattern.match(d) and not stops_early]


@pytest.fixture
def busy_world(world):
    """The worker's own few cases among many other referrals, contacts and measures."""
    for _ in range(30):
        referral = ReferralFactory(person=PersonFactory(organisation=world.org_a), site=world.site_a,
                                   assigned_worker=world.worker_a)
        for _ in range(3):
            ContactFactory(referral=referral)
        OutcomeMeasureFactory(referral=referral)
    db.session.flush()
    return world


PAGES = [
    ("worker", "/"),
    ("worker", "/referrals/mine"),
    ("worker", "/referrals/{referral}"),
    ("worker", "/referrals/people?q=a"),
    ("worker", "/todo"),
    ("manager", "/todo"),
    ("manager", "/referrals/caseload"),
    ("manager", "/referrals/caseload?status=all&page=2"),
    ("manager", "/"),
]


@pytest.mark.parametrize("role,path", PAGES)
def test_per_user_pages_never_read_whole_activity_tables(busy_world, client, role, path):
    user = busy_world.worker_a if role == "worker" else busy_world.manager_a
    sign_in(client, user)
    url = path.format(referral=busy_world.referral_a.id)
    with captured_selects() as selects:
        assert client.get(url).status_code == 200
    assert selects, "the page ran no SELECT: nothing was checked"
    offending = {}
    watched = WATCHED if "/people" in path else WATCHED_WITH_PEOPLE
    for statement, parameters in selects:
        problems = full_reads(statement, parameters, watched)
        if problems:
            offending[statement[:300]] = problems
    assert not offending, f"{url} reads whole tables: {offending}"


def _pg_index_names(plan: dict) -> set[str]:
    names = {plan["Index Name"]} if plan.get("Index Name") else set()
    for child in plan.get("Plans", []):
        names |= _pg_index_names(child)
    return names


@pytest.mark.parametrize("query", ["okoye", "PR-2024-0042"])
def test_people_search_reads_indexes_not_every_person_on_postgresql(busy_world, client, query):
    """On PostgreSQL, with 20,000 other people in the table, a search reads the trigram index on names and the
    index on lower(police reference) (migration 0015) rather than every person: the planner, left to choose
    with fresh statistics, uses both indexes and reads people by no sequential scan."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's (SQLite reads the people it may see)")
    conn = db.session.connection()
    conn.exec_driver_sql(
        "INSERT INTO people (given_name, family_name, name_key, organisation_id, police_reference, created_at, "
        "updated_at) SELECT 'Person', 'Number ' || n, 'person number ' || n, %(org)s, 'REF-' || n, now(), now() "
        "FROM generate_series(1, 20000) AS n", {"org": busy_world.org_b.id})
    conn.exec_driver_sql("ANALYZE people")
    sign_in(client, busy_world.worker_a)
    with captured_selects() as selects:
        assert client.get(f"/referrals/people?q={query}").status_code == 200
    searches = [(s, p) for s, p in selects if "name_key LIKE" in s]
    assert searches, "the search ran no name query: nothing was checked"
    for statement, parameters in searches:
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
        plan = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
        assert "Seq Scan on people" not in _pg_full_reads(plan, ("people",)), statement[:300]
        assert {"ix_people_name_key_trgm", "ix_people_police_reference_lower"} <= _pg_index_names(plan), plan
