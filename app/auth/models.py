"""Organisations and users."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.roles import Capability, Role, role_can, two_factor_required
from app.db import LabelledEnum, Model, str_enum


class OrganisationKind(LabelledEnum):
    VRU = ("vru", "VRU / OPCC office")
    VCS_PROVIDER = ("vcs_provider", "Voluntary-sector provider")
    STATUTORY = ("statutory", "Statutory partner")
    SCHOOL = ("school", "School")
    NHS_TRUST = ("nhs_trust", "NHS trust")
    EVALUATOR = ("evaluator", "Evaluator")


class Organisation(Model):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    consortium: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class User(UserMixin, Model):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    # The last TOTP time step accepted, so a code cannot be replayed (ASVS 2.8.4).
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    password_changed_at: Mapped[datetime | None]
    # The "password accepted, code next" step of a sign-in, held here rather than only in the signed cookie: a
    # hash of the random token the browser carries, and when it was issued. Cleared when the sign-in completes,
    # replaced by the next password step, so a copied cookie cannot be replayed.
    pending_sign_in_hash: Mapped[str | None] = mapped_column(sa.String(64))
    pending_sign_in_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot sign in
        return bool(self.active)

    @property
    def two_factor_required(self) -> bool:
        return two_factor_required(self.role)

    @property
    def two_factor_enabled(self) -> bool:
        return bool(self.totp_secret)

    def can(self, capability: Capability) -> bool:
        return role_can(self.role, capability)

    @property
    def sees_all_organisations(self) -> bool:
        return self.can(Capability.VIEW_ALL_ORGANISATIONS)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class UserSession(Model):
    """A server-side sign-in session (SECURITY.md §5). The cookie holds a random id; only its hash is stored,
    so a copy of the table cannot be replayed as cookies. Revoking sets revoked_at."""

    __tablename__ = "user_sessions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_seen_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(60))

    user: Mapped[User] = relationship()
