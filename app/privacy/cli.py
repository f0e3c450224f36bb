from __future__ import annotations

from datetime import date

import click

from app.db import db
from app.privacy import services


def register(app) -> None:
    @app.cli.group("privacy")
    def privacy():
        """Retention and other UK-law duties."""

    @privacy.command("anonymise-expired")
    @click.option("--dry-run", is_flag=True, help="Only say how many people are due.")
    def anonymise_expired(dry_run: bool):
        """Anonymise people whose referrals all closed more than RETENTION_YEARS ago (counts are kept)."""

        years = app.config["RETENTION_YEARS"]
        if dry_run:
            n = len(services.expired_people(date.today(), years))
            click.echo(f"{n} people are past the {years}-year retention period (dry run: nothing changed).")
            return
        n = services.anonymise_expired(date.today(), years)
        db.session.commit()
        click.echo(f"Anonymised {n} people whose referrals all closed more than {years} years ago.")
