"""Registers each domain's CLI commands (DESIGN.md §4.10)."""
from __future__ import annotations

import importlib
import smtplib

import click
from flask import Flask
from app import backup, demo_years
from app.audit import chain
from app.audit import mail as audit_mail

DOMAIN_CLIS = ("app.auth.cli", "app.programmes.cli", "app.referrals.cli", "app.reports.cli", "app.finance.cli",
               "app.imports.cli", "app.privacy.cli", "app.reminders.cli", "app.offline.cli",
               "app.install.cli")


def register_commands(app: Flask) -> None:

    demo_years.register(app)
    backup.register(app)
    for module_name in DOMAIN_CLIS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(app)

    @app.cli.group("audit")
    def audit_group():
        """The audit trail."""

    @audit_group.command("seal")
    def seal():
        """Seal new events into the chain (run it every minute or so, e.g. from cron)."""
        click.echo(f"Sealed {chain.seal_pending()} events; the chain's head is number {chain.head()[0]}.")

    @audit_group.command("checkpoint")
    @click.option("--email", "emails", multiple=True, metavar="ADDRESS",
                  help="Also e-mail the checkpoint to ADDRESS (repeatable); by default to AUDIT_CHECKPOINT_EMAIL.")
    @click.option("--no-email", is_flag=True, help="Do not e-mail it, even if AUDIT_CHECKPOINT_EMAIL is set.")
    def checkpoint(emails: tuple[str, ...], no_email: bool):
        """Seal, then write the chain's head to AUDIT_CHECKPOINT_FILE (outside the database), print it and, when an
        address is given or configured, e-mail it. Exits 1 if the e-mail could not be sent (the file is written)."""
        entry = chain.checkpoint()
        path = app.config["AUDIT_CHECKPOINT_FILE"]
        click.echo(f"Checkpoint written to {path}:")
        click.echo(f"  event number {entry['seq']}, HMAC {entry['hash']}, at {entry['at']}")
        to = [] if no_email else audit_mail.recipients(emails)
        if not to:
            click.echo("Keep a copy of this line somewhere else too (a ticket, an email to yourself): `flask audit "
                       "verify` compares the log with the last checkpoint in the file.")
            return
        try:
            audit_mail.send_checkpoint(entry, path, to)
        except (OSError, smtplib.SMTPException) as exc:
            click.echo(f"The checkpoint e-mail to {', '.join(to)} was NOT sent: {exc.__class__.__name__}: {exc} "
                       f"(mail server {app.config['MAIL_SERVER']}:{app.config['MAIL_PORT']}). The checkpoint is "
                       "written to the file above; copy its line somewhere else by hand.", err=True)
            raise SystemExit(1) from None
        click.echo(f"Checkpoint e-mailed to {', '.join(to)}.")

    @audit_group.command("verify")
    @click.option("--no-seal", is_flag=True, help="Check only what is already sealed; change nothing.")
    def verify(no_seal: bool):
        """Check the audit chain against its key and the last checkpoint; exits 1 if anything was altered,
        re-chained, removed or cut off."""
        verdict = chain.verify(seal=not no_seal)
        if not verdict.intact:
            click.echo("Audit chain BROKEN:", err=True)
            for line in verdict.lines():
                click.echo(f"  - {line}", err=True)
            raise SystemExit(1)
        cp = verdict.checkpoint
        against = (f"; it reaches the checkpoint of {cp['at']} (event number {cp['seq']})" if cp
                   else "; no checkpoint yet (run `flask audit checkpoint`)")
        click.echo(f"Audit chain intact: {verdict.checked} events verified{against}."
                   + (f" {verdict.unsealed} events not yet sealed." if verdict.unsealed else ""))
