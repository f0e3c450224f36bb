"""A browser that keeps a worker's caseload offline (issue 14).

The browser holds its caseload and outbox encrypted; the key material stays here and is handed only to the
signed-in owner, so what is on the device is unreadable without signing in. Revoking the row (the worker
signs out, an administrator disables them, ``flask offline revoke``) makes the device wipe itself the next
time it reaches the server, and makes what it holds unreadable even if it never does.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import Model


class OfflineDevice(Model):
    __tablename__ = "offline_devices"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # SHA-256 of the random id the browser made for itself: the id is a bearer secret, so only its hash is kept.
    device_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # 32 random bytes, base64url: the browser derives its AES-GCM key from them (HKDF) and keeps them only for
    # the life of the tab.
    key_material: Mapped[str] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    last_synced_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(60))

    user: Mapped[User] = relationship()
