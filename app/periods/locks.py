"""Which quarters are locked: a locked quarter's return has gone to the Home Office, so nothing dated in it may
be added, changed or removed by any domain (money, training, casework) — the figures would no longer match."""
from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from app.periods.models import PeriodStatus, ReportingPeriod


def locked_quarters() -> set[tuple[int, int]]:
    """Every locked (FY, quarter)."""
    rows = db.session.execute(sa.select(ReportingPeriod.fy, ReportingPeriod.quarter)
                              .where(ReportingPeriod.status == PeriodStatus.LOCKED)).all()
    return {(row.fy, row.quarter) for row in rows}


def is_locked(fy: int, quarter: int) -> bool:
    return db.session.execute(sa.select(ReportingPeriod.id).where(
        ReportingPeriod.fy == fy, ReportingPeriod.quarter == quarter,
        ReportingPeriod.status == PeriodStatus.LOCKED)).first() is not None
