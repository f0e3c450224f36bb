"""`flask offline …`: withdraw a worker's offline copies (a lost phone, someone leaving)."""
from __future__ import annotations

import click
import sqlalchemy as sa

from app.auth.models import User
from app.db import db
from app.offline.services import revoke_devices


def register(app) -> None:
    @app.cli.group("offline")
    def offline():
        """Offline copies of caseloads on workers' devices."""

    @offline.command("revoke")
    @click.option("--email", required=True, help="The worker whose devices to withdraw")
    @click.option("--reason", default="withdrawn by an administrator", show_default=True)
    def revoke(email, reason):
        """Withdraw every device of a worker: each wipes itself the next time it reaches Waypoint, and what it
        holds can no longer be opened."""
        user = db.session.execute(sa.select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
        if user is None:
            raise click.BadParameter(f"No account with the email {email!r}", param_hint="--email")
        count = revoke_devices(user, reason)
        db.session.commit()
        click.echo(f"Withdrew {count} device{'s' if count != 1 else ''} of {user.email}.")
