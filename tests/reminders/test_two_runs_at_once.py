"""`flask reminders send` started twice at the same moment, as two real processes against one database (SQLite
file or PostgreSQL) and one real SMTP server: every e-mail arrives exactly once."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path


from app.auth.roles import Role
from tests.reminders.smtp import smtp_server

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 10, 12, 0)


def _other_database() -> str:
    from tests.conftest import separate_database

    return separate_database("reminders")


def _seed(url: str) -> int:
    """A provider with a worker (digest and clock warnings on) and a manager; five clocks, two of them run out."""
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db
    from app.reminders.models import ReminderPreference
    from tests.factories import OrganisationFactory, PersonFactory, ReferralFactory, SiteFactory, UserFactory

    other = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        upgrade()
        org = OrganisationFactory(name="Concurrent Provider")
        worker = UserFactory(email="worker.concurrent@example.org", organisation=org, role=Role.YOUTH_WORKER)
        UserFactory(email="manager.concurrent@example.org", organisation=org, role=Role.PROVIDER_MANAGER)
        site = SiteFactory(provider=org)
        for hours_ago in (20.5, 21, 22, 25, 30):
            ReferralFactory(person=PersonFactory(organisation=org), site=site, assigned_worker=worker,
                            referred_on=(NOW - timedelta(hours=hours_ago)).date(),
                            referred_at=NOW - timedelta(hours=hours_ago))
        db.session.add(ReminderPreference(user_id=worker.id, daily_digest=True, clock_warning=True))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return 1 + 3 + 2  # the digest, three amber clocks, two breaches for the manager


def test_two_runs_at_the_same_moment_send_each_email_once():
    url = _other_database()
    expected = _seed(url)
    with smtp_server(delay=0.4) as (handler, port):
        env = {**os.environ, "DATABASE_URL": url, "WAYPOINT_CONFIG": "development", "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(port), "WAYPOINT_BASE_URL": "https://waypoint.example.org"}
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "reminders", "send", "--now", f"{NOW:%Y-%m-%d %H:%M}"]
        runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert all(run.returncode == 0 for run in runs), outputs
        third = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert third.returncode == 0, third.stderr
    received = Counter((m["to"][0], m["subject"], m["body"]) for m in handler.messages)
    print(f"\ntwo runs at once, then a third: {len(handler.messages)} e-mails received for {expected} due; "
          f"runs said: {[o[0].strip().splitlines()[-1] for o in outputs]}")
    assert len(handler.messages) == expected and max(received.values()) == 1
    sent = [int(re.search(r"Sent (\d+)", o[0]).group(1)) for o in outputs]
    assert sum(sent) == expected
    assert "0 new reminders planned" in third.stdout and "Sent 0" in third.stdout
    assert all("https://waypoint.example.org/" in m["body"] for m in handler.messages)
