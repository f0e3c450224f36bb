"""Registers each domain's CLI commands (DESIGN.md §4.10)."""
from __future__ import annotations

import importlib

import click
from flask import Flask
from app import backup, demo_years
from app.audit import chain

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
    def checkpoint():
        """Seal, then write the chain's head to AUDIT_CHECKPOINT_FILE (outside the database) and print it."""
        entry = chain.checkpoint()
        click.echo(f"Checkpoint written to {app.config['AUDIT_CHECKPOINT_FILE']}:")
        click.echo(f"  event number {entry['seq']}, HMAC {entry['hash']}, at {entry['at']}")
        click.echo("Keep a copy of this line somewhere else too (a ticket, an email to yourself): `flask audit verify` "
                   "compares the log with the last checkpoint in the file.")

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
