"""`flask setup` on an empty database, as an operator runs it: a real process, the password typed twice."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

import config

ROOT = Path(__file__).resolve().parents[2]
GOOD = "plum-kettle-harbour-47"


def _database_url() -> str:
    from tests.conftest import separate_database

    return separate_database("setup")


def _flask_setup(url: str, typed: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "WAYPOINT_CONFIG": "development", "FLASK_APP": "wsgi"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "setup", *args], input=typed, text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=180)


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(config.normalise_db_url(url))
    with engine.connect() as conn:
        out = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608 - fixed names
               for t in ("organisations", "users", "people", "referrals", "programmes", "sites")}
        out["admins"] = conn.execute(sa.text("SELECT count(*) FROM users WHERE role = 'admin'")).scalar_one()
        out["vru"] = conn.execute(sa.text("SELECT count(*) FROM organisations WHERE kind = 'vru'")).scalar_one()
    engine.dispose()
    return out


def test_setup_creates_the_vru_and_its_first_administrator_and_nothing_else():
    url = _database_url()
    weak = _flask_setup(url, "password1234\npassword1234\n", "--organisation", "Thames Valley VRU",
                        "--email", "ops@tvvru.example.org", "--name", "Sam Okafor")
    assert weak.returncode != 0 and "too common" in weak.stderr + weak.stdout
    assert _counts(url)["users"] == 0
    done = _flask_setup(url, f"{GOOD}\n{GOOD}\n", "--organisation", "Thames Valley VRU",
                        "--email", "Ops@TVVRU.example.org", "--name", "Sam Okafor")
    assert done.returncode == 0, done.stderr
    assert "Waypoint is set up for Thames Valley VRU" in done.stdout
    assert _counts(url) == {"organisations": 1, "users": 1, "people": 0, "referrals": 0, "programmes": 0,
                            "sites": 0, "admins": 1, "vru": 1}
    again = _flask_setup(url, f"{GOOD}\n{GOOD}\n", "--organisation", "Another", "--email", "x@example.org",
                         "--name", "X")
    assert again.returncode != 0 and "already" in again.stderr + again.stdout
    assert _counts(url)["users"] == 1
