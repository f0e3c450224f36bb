"""Reminder e-mails (issue 13) through a real SMTP server (aiosmtpd) started here: each sent once however often
`send` runs, the rest sent after a crash mid-run, nothing to disabled accounts, no names, every one recorded."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from flask_mailman.backends.smtp import EmailBackend

from app.audit import AuditEvent
from app.db import db
from app.extensions import mail
from app.reminders import services
from app.reminders.cli import send_pending
from app.reminders.models import ReminderKind, ReminderPreference, ReminderStatus, SentReminder
from tests.factories import PersonFactory, ReferralFactory
from tests.reminders.smtp import smtp_server

UK = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 10, 12, 0)


@pytest.fixture
def smtp():
    with smtp_server() as (handler, port):
        yield handler, port


@pytest.fixture
def due(world):
    """Worker A wants digests and clock warnings; two clocks are amber (theirs), one has run out."""
    db.session.add(ReminderPreference(user_id=world.worker_a.id, daily_digest=True, clock_warning=True))
    made = []
    for n, hours_ago in enumerate((21, 22, 30)):
        made.append(ReferralFactory(person=PersonFactory(organisation=world.org_a, given_name=f"Zebedee{n}",
                                                         family_name="Quartermaine"),
                                    site=world.site_a, assigned_worker=world.worker_a,
                                    referred_on=(NOW - timedelta(hours=hours_ago)).date(),
                                    referred_at=NOW - timedelta(hours=hours_ago)))
    db.session.flush()
    return made


def _run(port, connection=None):
    with time_machine.travel(NOW.replace(tzinfo=UK), tick=False):
        services.plan_reminders(NOW)
        db.session.commit()
        return send_pending(connection or mail.get_connection(host="127.0.0.1", port=port))


def test_send_twice_sends_each_once(world, due, smtp):
    handler, port = smtp
    first = _run(port)
    second = _run(port)
    rows = db.session.execute(sa.select(SentReminder)).scalars().all()
    kinds = Counter(r.kind for r in rows)
    # Worker A: a digest and two clock warnings; manager A (breaches on by default): one breach.
    assert kinds == {ReminderKind.DIGEST: 1, ReminderKind.CLOCK: 2, ReminderKind.BREACH: 1}
    assert first["sent"] == 4 and second == {"sent": 0, "cancelled": 0, "taken": 0}
    assert len(handler.messages) == 4
    assert Counter((m["to"][0], m["subject"], m["body"]) for m in handler.messages).most_common(1)[0][1] == 1
    assert {m["to"][0] for m in handler.messages} == {world.worker_a.email, world.manager_a.email}
    assert all(r.status is ReminderStatus.SENT and r.sent_at for r in rows)
    # Recorded: to whom, what, when; the ones about a referral carry the young person for subject access.
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "reminder.sent")).scalars().all()
    assert len(events) == 4
    assert {e.person_id for e in events} == {None} | {r.person_id for r in due if r.id != due[0].id} | {due[0].person_id}
    print(f"\nreminders: run 1 sent {first['sent']}, run 2 sent {second['sent']}; SMTP server received "
          f"{len(handler.messages)}")


def test_no_names_by_default_initials_when_chosen(world, due, smtp):
    handler, port = smtp
    _run(port)
    text = " ".join(m["subject"] + m["body"] for m in handler.messages)
    assert "Zebedee" not in text and "Quartermaine" not in text and "(ZQ)" not in text
    assert "A&E A" in text and "/todo" in text and "/referrals/" in text
    pref = db.session.execute(sa.select(ReminderPreference)).scalar_one()
    pref.show_initials = True
    db.session.execute(sa.delete(SentReminder))
    db.session.commit()
    handler.messages.clear()
    _run(port)
    text = " ".join(m["subject"] + m["body"] for m in handler.messages)
    assert "(ZQ)" in text and "Zebedee" not in text


class _DropsAfter(EmailBackend):
    """The SMTP connection is lost after `limit` messages (as when the process or the server dies mid-run)."""

    limit = 2

    def send_messages(self, email_messages):
        if _DropsAfter.limit <= 0:
            raise ConnectionResetError("connection lost mid-run")
        _DropsAfter.limit -= len(email_messages)
        return super().send_messages(email_messages)


def test_crash_mid_run_then_rerun_sends_the_rest_once(world, due, smtp):
    handler, port = smtp
    _DropsAfter.limit = 2
    with pytest.raises(ConnectionResetError):
        _run(port, _DropsAfter(mailman=mail.get_connection().mailman, host="127.0.0.1", port=port))
    assert len(handler.messages) == 2
    statuses = Counter(r.status for r in db.session.execute(sa.select(SentReminder)).scalars())
    assert statuses == {ReminderStatus.SENT: 2, ReminderStatus.PENDING: 2}
    again = _run(port)
    assert again["sent"] == 2 and len(handler.messages) == 4
    assert max(Counter((m["to"][0], m["body"]) for m in handler.messages).values()) == 1


def test_disabled_accounts_get_nothing(world, due, smtp):
    handler, port = smtp
    with time_machine.travel(NOW.replace(tzinfo=UK), tick=False):
        services.plan_reminders(NOW)
    world.worker_a.active = False  # disabled after planning, before sending
    db.session.commit()
    tally = _run(port)
    assert tally["cancelled"] == 3 and {m["to"][0] for m in handler.messages} == {world.manager_a.email}
    db.session.execute(sa.delete(SentReminder))
    db.session.commit()
    handler.messages.clear()
    _run(port)  # a disabled account is not even planned for
    assert {m["to"][0] for m in handler.messages} == {world.manager_a.email}


def test_subject_access_export_includes_the_reminders_about_the_person(world, due, smtp):
    import io
    import zipfile

    from app.privacy.services import subject_access_data, subject_access_export

    _, port = smtp
    _run(port)
    person = due[0].person
    held = subject_access_data(person)["reminders"]
    assert [r["kind"] for r in held] == ["First-contact clock about to run out"]
    assert held[0]["status"] == "Sent" and held[0]["sent_at"] and "A&E A" in held[0]["body"]
    archive = zipfile.ZipFile(io.BytesIO(subject_access_export(world.programme_office, person)))
    assert "Sent" in archive.read("reminders.csv").decode()
    # Another young person's reminders are not in this export.
    assert all(r["referral_id"] == due[0].id for r in held)


def test_choosing_reminders(client, world):
    from tests.conftest import sign_in

    sign_in(client, world.worker_a)
    page = client.get("/reminders/settings").get_data(as_text=True)
    assert "daily e-mail" in page and "has run out" not in page  # breaches are for managers
    assert client.post("/reminders/settings", data={"daily_digest": "y", "on_assignment": "y"}).status_code == 302
    pref = db.session.execute(sa.select(ReminderPreference).where(
        ReminderPreference.user_id == world.worker_a.id)).scalar_one()
    assert (pref.daily_digest, pref.on_assignment, pref.clock_warning, pref.show_initials) == (True, True, False, False)
    assert pref.assignments_since is not None
    event = db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.action == "reminders.preferences_changed")).scalar_one()
    assert event.detail == {"daily_digest": True, "on_assignment": True}
    client.post("/sign-out")
    sign_in(client, world.manager_a)
    assert "has run out" in client.get("/reminders/settings").get_data(as_text=True)
    client.post("/sign-out")
    sign_in(client, world.finance)
    assert client.get("/reminders/settings").status_code == 403


def test_assignment_email_when_a_referral_is_assigned(client, world, smtp):
    from tests.conftest import sign_in

    handler, port = smtp
    sign_in(client, world.worker_a2)
    client.post("/reminders/settings", data={"on_assignment": "y"})
    client.post("/sign-out")
    sign_in(client, world.manager_a)
    response = client.post(f"/referrals/{world.referral_a.id}/assign",
                           data={"worker_id": world.worker_a2.id, "version": world.referral_a.version_id})
    assert response.status_code == 302
    services.plan_reminders(datetime.now(UK).replace(tzinfo=None))
    db.session.commit()
    send_pending(mail.get_connection(host="127.0.0.1", port=port))
    mine = [m for m in handler.messages if m["to"] == [world.worker_a2.email]]
    assert len(mine) == 1 and mine[0]["subject"] == "Waypoint: a referral has been assigned to you"
    assert "Amara" not in mine[0]["body"] and f"/referrals/{world.referral_a.id}" in mine[0]["body"]
