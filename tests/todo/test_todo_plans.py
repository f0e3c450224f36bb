"""The to-do page reads only the user's rows: never a whole contacts, measures or audit table (the same check as
tests/perf/test_query_plans.py, on the to-do page)."""
from __future__ import annotations

import pytest

from tests.conftest import sign_in
from tests.perf.test_query_plans import busy_world, captured_selects, full_reads  # noqa: F401


@pytest.mark.parametrize("role,path", [("worker", "/todo"), ("manager", "/todo"), ("manager", "/todo?mine=1")])
def test_todo_never_reads_whole_activity_tables(busy_world, client, role, path):  # noqa: F811
    user = busy_world.worker_a if role == "worker" else busy_world.manager_a
    sign_in(client, user)
    with captured_selects() as selects:
        assert client.get(path).status_code == 200
    assert selects
    offending = {s[:300]: p for s, p in ((s, full_reads(s, params)) for s, params in selects) if p}
    assert not offending, f"{path} reads whole tables: {offending}"
