from __future__ import annotations

import click
import sqlalchemy as sa

from app.auth.models import Organisation
from app.auth.passwords import password_problem
from app.auth.roles import Role
from app.auth.services import create_user
from app.db import db
from app import audit
from app.auth.models import User
from app.auth.sessions import revoke_all


def register(app) -> None:
    @app.cli.group("users")
    def users():
        """User accounts."""

    register_recovery(users)

    @users.command("create")
    @click.option("--email", required=True)
    @click.option("--name", "full_name", required=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--organisation", required=True, help="Organisation name (must exist)")
    @click.password_option()
    def create(email, full_name, role, organisation, password):
        """Create a user account."""
        problem = password_problem(password, email=email)
        if problem:
            raise click.BadParameter(problem, param_hint="password")
        org = db.session.execute(sa.select(Organisation).where(Organisation.name == organisation)).scalar_one_or_none()
        if org is None:
            raise click.BadParameter(f"No organisation called {organisation!r}", param_hint="--organisation")
        create_user(email=email, full_name=full_name, password=password, role=Role(role), organisation=org)
        db.session.commit()
        click.echo(f"Created {email} ({Role(role).label}, {org.name}).")


def register_recovery(users) -> None:
    @users.command("reset-2fa")
    @click.option("--email", required=True)
    def reset_2fa(email):
        """Clear an account's second factor (lost phone); they set it up again at their next sign-in."""

        user = db.session.execute(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())).scalar_one_or_none()
        if user is None:
            raise click.BadParameter(f"No account with email {email!r}", param_hint="--email")
        user.totp_secret = None
        user.totp_last_step = None
        revoke_all(user, "two_factor_reset")
        audit.record(None, "admin.two_factor_reset", user, detail={"via": "cli"})
        db.session.commit()
        click.echo(f"Second factor cleared for {user.email}; they will set it up at their next sign-in.")

    @users.command("demo-code")
    @click.option("--email", required=True)
    def demo_code(email):
        """Print the current security code of a DEMO account (for trying Waypoint without a phone).

        Refused for real accounts and in production: a real account's secret never leaves the database."""
        import pyotp
        from flask import current_app


        if current_app.config.get("ENV_NAME") == "production":
            raise click.UsageError("Not available in production.")
        user = db.session.execute(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())).scalar_one_or_none()
        if user is None or not user.is_demo:
            raise click.BadParameter("Only demo accounts have codes shown here", param_hint="--email")
        if not user.two_factor_required and not user.totp_secret:
            raise click.BadParameter(f"{user.email} ({user.role.label}) signs in with a password only; it does "
                                     "not need a security code", param_hint="--email")
        if not user.totp_secret:

            # Enrol the demo account here, so the demo can be tried with no authenticator app at all.
            user.totp_secret = pyotp.random_base32()
            audit.record(None, "auth.two_factor_enrolled", user, detail={"via": "cli demo-code"})
            db.session.commit()
            click.echo(f"Second factor set up for demo account {user.email} (key {user.totp_secret}).", err=True)
        click.echo(pyotp.TOTP(user.totp_secret).now())
