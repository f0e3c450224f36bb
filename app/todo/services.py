"""The to-do list for a user, as pages and reminders read it (issue 13)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.auth.roles import Capability
from app.todo import items as todo_items, queries


def uk_now() -> datetime:
    """UK wall-clock time, to the minute: what the clocks are measured against."""
    return datetime.now(ZoneInfo("Europe/London")).replace(tzinfo=None, second=0, microsecond=0)


def todo_for(user, now: datetime, *, mine_only: bool, worker_id=None, site_id=None):
    """The user's to-do (their own, or for a manager the organisation's) and its counts."""
    rows = queries.work_rows(user, now.date(), mine_only=mine_only, worker_id=worker_id, site_id=site_id)
    found = todo_items.build(rows, now, include_unassigned=not mine_only and user.can(Capability.REASSIGN_REFERRAL))
    return found, todo_items.counts(found)


def home_todo(user, now: datetime, limit: int = 8) -> dict:
    """What the home page and My caseload lead with: counts and the most urgent few."""
    manager = user.can(Capability.VIEW_ORG_CASELOAD)
    found, counts = todo_for(user, now, mine_only=not manager)
    return {"items": found[:limit], "counts": counts, "manager": manager, "now": now}
