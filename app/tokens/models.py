"""API tokens (issue 9): shown once, stored as a SHA-256 hash, expire, revocable; every use is audited.

A *personal* token acts as the person who made it, with their role at the moment of each call. A *service*
token belongs to a provider organisation's system: an administrator binds it to a role in that organisation,
and its calls act as a service account (a user row that cannot sign in and is never offered as a worker).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import LabelledEnum, Model, str_enum


class TokenKind(LabelledEnum):
    PERSONAL = ("personal", "Personal")
    SERVICE = ("service", "Service")


class ApiToken(Model):
    __tablename__ = "api_tokens"

    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[TokenKind] = mapped_column(str_enum(TokenKind))
    # Who the token acts as: the person (personal) or the service account (service).
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The first characters of the token, shown in lists so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(sa.String(64))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"
