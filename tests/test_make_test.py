"""`make test` runs PostgreSQL too on a fresh machine (issue 10, item 7): its test-postgres step uses
TEST_DATABASE_URL, else a local server when one answers, and says loudly when it skips. Checked here against ports
where nothing listens (the real runs are what `make test` itself does)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reminders.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "WAYPOINT_TEST_DB", "MAKEFLAGS")}
    return subprocess.run(["make", "--no-print-directory", "-s", "test-postgres", *args], cwd=ROOT, text=True,
                          capture_output=True, env={**clean, **env}, timeout=120)


def test_without_a_reachable_default_postgresql_the_run_is_skipped_loudly():
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/waypoint_test"
    result = _make(f"PG_DEFAULT_URL={url}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"!! PostgreSQL is not answering at {url}: the PostgreSQL run is SKIPPED" in result.stdout
    assert "Connection refused" in result.stdout


def test_an_unreachable_test_database_url_is_a_failure_not_a_skip():
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/waypoint_test"
    result = _make(TEST_DATABASE_URL=url)
    assert result.returncode != 0
    assert f"!! TEST_DATABASE_URL={url} does not answer" in result.stdout


def test_the_default_is_the_local_postgresql():
    dry = _make("-n").stdout
    assert "postgresql://postgres@127.0.0.1:5432/waypoint_test" in dry
    assert "WAYPOINT_TEST_DB=postgres" in dry and "psql" not in dry


def test_nothing_in_ci_or_make_needs_poppler():
    for name in ("Makefile", ".ci/run"):
        text = (ROOT / name).read_text()
        assert "apt-get install" not in text or "poppler-utils" not in text, name
    uses = [p for p in ROOT.joinpath("tests").rglob("*.py")
            if "pdftotext" in p.read_text() and p != Path(__file__).resolve()]
    assert uses == [], "tests must read PDFs with pypdf, not poppler's pdftotext"
