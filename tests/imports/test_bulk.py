"""The import's driver-level writer stores exactly what SQLAlchemy's own INSERT stores (so pages, reports and the
audit chain read imported rows as they read typed ones)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db, utcnow
from app.imports import bulk
from app.referrals.models import Contact, ContactMode, OutcomeMeasure, TimePoint
from tests.factories import ReferralFactory


def _raw(table, ids):
    columns = [c for c in table.columns if c.name not in ("id",)]
    rows = db.session.execute(sa.select(*[sa.cast(c, sa.String) for c in columns]).select_from(table)
                              .where(table.c.id.in_(ids)).order_by(table.c.id)).all()
    return [tuple(r) for r in rows]


def test_bulk_insert_stores_what_sqlalchemy_stores(db_session):
    referral = ReferralFactory()
    db.session.flush()
    now = utcnow()
    base = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(Contact.id), 0))).scalar_one() + 100
    contact = {"referral_id": referral.id, "occurred_at": datetime(2024, 5, 2, 14, 30), "duration_minutes": 45,
               "mode": ContactMode.ONE_TO_ONE, "attended": True, "worker_id": None, "notes": "Met at the café",
               "created_at": now, "updated_at": now}
    db.session.execute(sa.insert(Contact.__table__), [{**contact, "id": base}])
    bulk.insert(Contact.__table__, [{**contact, "id": base + 1}])
    first, second = _raw(Contact.__table__, [base, base + 1])
    assert first == second
    stored = db.session.get(Contact, base + 1)
    assert (stored.occurred_at, stored.mode, stored.attended) == (datetime(2024, 5, 2, 14, 30),
                                                                 ContactMode.ONE_TO_ONE, True)

    measure = {"referral_id": referral.id, "instrument": "SDQ", "time_point": TimePoint.BASELINE,
               "value": Decimal("17.5"), "measured_on": date(2024, 6, 1), "higher_is_better": False,
               "recorded_by_id": None, "created_at": now, "updated_at": now}
    mbase = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(OutcomeMeasure.id), 0))).scalar_one() + 100
    db.session.execute(sa.insert(OutcomeMeasure.__table__), [{**measure, "id": mbase}])
    bulk.insert(OutcomeMeasure.__table__, [{**measure, "id": mbase + 1}])
    assert _raw(OutcomeMeasure.__table__, [mbase])[0] == _raw(OutcomeMeasure.__table__, [mbase + 1])[0]


def test_audit_events_written_in_bulk_read_back_the_same(db_session):
    events = [("contact.logged", "Contact", 7, 3, {"referral": 2, "attended": True, "mode": "one_to_one"})]
    before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
    from app import audit

    audit.record_many(None, events)
    audit.record_many(None, events, insert=bulk.insert)
    rows = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).scalars().all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one() == before + 2
    assert rows[0].detail == rows[1].detail == events[0][4]
    assert (rows[0].action, rows[0].object_id, rows[0].person_id) == (rows[1].action, rows[1].object_id,
                                                                      rows[1].person_id)
