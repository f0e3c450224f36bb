"""Registers each domain's CLI commands (DESIGN.md §4.10)."""
from __future__ import annotations

import importlib

import click
from flask import Flask
from app import backup, demo_years
from app.audit import verify_chain

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

    @audit_group.command("verify")
    def verify():
        """Check the audit hash chain; exits 1 if any event was altered or removed."""

        checked, bad = verify_chain()
        if bad:
            click.echo(f"Audit chain BROKEN: {len(bad)} of {checked} events fail (first id {bad[0]}).", err=True)
            raise SystemExit(1)
        click.echo(f"Audit chain intact: {checked} events verified.")
