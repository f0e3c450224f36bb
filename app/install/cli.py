"""`flask setup`: a live install without demo data."""
from __future__ import annotations

import click
from flask_migrate import upgrade

from app.db import db
from app.errors import DomainError
from app.install.services import already_set_up, set_up_live


def register(app) -> None:
    @app.cli.command("setup")
    @click.option("--organisation", prompt="The VRU's name", help="Your VRU, e.g. 'Thames Valley VRU'")
    @click.option("--email", prompt="The first administrator's email address")
    @click.option("--name", "full_name", prompt="The first administrator's full name")
    @click.password_option("--password", prompt="Their password (at least 12 characters, not a common one)",
                           help="Prompted for when left out (never put it in a shell history)")
    def setup(organisation, email, full_name, password):
        """Set up a live Waypoint on an empty database: migrate it, then create the VRU and its first
        administrator — and nothing else (no demo data)."""
        upgrade()
        if already_set_up():
            raise click.ClickException("This database already has organisations or accounts: Waypoint is set up.")
        try:
            admin = set_up_live(organisation=organisation, email=email, full_name=full_name, password=password)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"Waypoint is set up for {admin.organisation.name}.")
        click.echo(f"Sign in as {admin.email}: you will be asked to set up an authenticator app first.")
        click.echo("Next: add organisations and accounts (Users), programmes and sites (Programmes), then import "
                   "existing casework or make service tokens for providers' systems.")
