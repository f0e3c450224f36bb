"""Helpers shared by the casework use cases: capability checks, optimistic locking, safe flushes."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm.exc import StaleDataError

from app.db import db, utcnow
from app.errors import ConflictError, DomainError

CONFLICT = ("Someone else changed this record while you were working on it. Your changes have not been "
            "saved. Check the latest details and make your changes again.")


def require(actor, capability, message: str = "Your role cannot do this") -> None:
    if not actor.can(capability):
        raise DomainError(message)


def check_version(obj, version) -> None:
    """The form carried the version it was loaded at; a different one now means someone else saved first."""
    if version is None:
        return
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ConflictError(CONFLICT) from None
    if version != obj.version_id:
        raise ConflictError(CONFLICT)


def flush() -> None:
    """Flush, turning a lost optimistic-locking race (the UPDATE matched no row) into a clear conflict."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(CONFLICT) from None


def clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def uk_now():
    """Wall-clock time in the UK: what a worker means by "now" when logging a session."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/London")).replace(tzinfo=None, second=0, microsecond=0)


def offline_moment(moment: datetime | None) -> datetime | None:
    """When something was saved on a device without a connection, as naive UTC (like created_at). A device
    clock running ahead is no reason to refuse a record: a moment in the future is taken as now."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return min(moment, utcnow())
