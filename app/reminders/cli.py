"""`flask reminders send`: plan the reminders due now and send them through SMTP, each exactly once.

Schedule it every 5 minutes with cron or a systemd timer (docs/operations.md); there is no scheduler in the web
process. Safe to run twice at the same moment, and resumable: see app/reminders/services.py.
"""
from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask_mailman import EmailMessage

from app.db import db
from app.extensions import mail
from app.reminders import services
from app.todo.services import uk_now


def register(app) -> None:
    @app.cli.group("reminders")
    def reminders_group():
        """E-mail reminders: digests, assignments, first-contact clocks and breaches."""

    @reminders_group.command("send")
    @click.option("--now", "as_at", type=click.DateTime(formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]),
                  default=None, help="Judge clocks as at this UK time instead of now (e.g. to catch up).")
    @click.option("--plan-only", is_flag=True, help="Record what is due, send nothing.")
    def send(as_at: datetime | None, plan_only: bool):
        """Record the reminders due now, then send every one still waiting."""
        now = as_at or uk_now()
        planned = services.plan_reminders(now)
        db.session.commit()
        click.echo(f"{planned} new reminder{'s' if planned != 1 else ''} planned as at {now:%Y-%m-%d %H:%M}.")
        if plan_only:
            return
        tally = send_pending()
        click.echo(f"Sent {tally['sent']}, not sent to disabled accounts {tally['cancelled']}, "
                   f"already taken by another run {tally['taken']}.")


def send_pending(connection=None) -> dict[str, int]:
    """Send every pending reminder, one transaction each; stops (leaving the rest pending) on any failure."""
    tally = {"sent": 0, "cancelled": 0, "taken": 0}
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    with (connection or mail.get_connection()) as conn:
        def deliver(to: str, subject: str, body: str) -> None:
            EmailMessage(subject, body, sender, [to], connection=conn).send(fail_silently=False)

        for reminder_id in services.pending_ids():
            try:
                outcome = services.take_and_send(reminder_id, deliver)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            tally[outcome] += 1
    return tally
