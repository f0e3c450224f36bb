"""Clock settings use cases: the programme office sets them; every change is audited (issue 13)."""
from __future__ import annotations

import sqlalchemy as sa

from app import audit
from app.auth.roles import Capability
from app.clocks.models import ProgrammeClock, settings_for
from app.clocks.rules import ClockSettings, ClockUnit
from app.db import db
from app.errors import DomainError
from app.programmes.models import Programme

FIELDS = ("first_contact_within", "first_contact_unit", "amber_hours", "baseline_within_days", "review_at_weeks",
          "exit_at_close")


def clock_row(programme_id: int) -> ProgrammeClock | None:
    return db.session.execute(
        sa.select(ProgrammeClock).where(ProgrammeClock.programme_id == programme_id)).scalar_one_or_none()


def settings_of(programme: Programme) -> ClockSettings:
    return settings_for(programme, clock_row(programme.id))


def _plain(value):
    return value.value if isinstance(value, ClockUnit) else value


def save_clock_settings(actor, programme: Programme, values: dict) -> ProgrammeClock:
    if not actor.can(Capability.MANAGE_PROGRAMMES):
        raise DomainError("Your role cannot change programme set-up")
    within, unit = values.get("first_contact_within"), values.get("first_contact_unit")
    if within and unit is ClockUnit.WORKING_DAYS and within > 60:
        raise DomainError("A first-contact clock in working days can be at most 60 days", "first_contact_within")
    row = clock_row(programme.id)
    old = settings_for(programme, row)
    before = {f: _plain(getattr(old, "unit" if f == "first_contact_unit" else f)) for f in FIELDS}
    if row is None:
        row = ProgrammeClock(programme_id=programme.id)
        db.session.add(row)
    for field in FIELDS:
        setattr(row, field, values.get(field))
    db.session.flush()
    after = {f: _plain(getattr(row, f)) for f in FIELDS}
    audit.record(actor, "programme.clocks_updated", programme,
                 detail={k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v})
    return row
