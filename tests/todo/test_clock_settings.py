"""Clock settings on the programme set-up: defaults by kind, saved and audited, bad input refused."""
from __future__ import annotations

import sqlalchemy as sa

from app.audit import AuditEvent
from app.clocks.models import ProgrammeClock
from app.clocks.rules import ClockUnit
from app.db import db
from tests.conftest import sign_in


def test_defaults_then_save_and_audit(client, world):
    sign_in(client, world.programme_office)
    page = client.get(f"/programmes/{world.programme.id}/clocks").get_data(as_text=True)
    assert "First contact within 24 hours" in page  # a hospital programme's default
    assert 'data-testid="clock-settings-link"' in client.get(f"/programmes/{world.programme.id}").get_data(as_text=True)
    response = client.post(f"/programmes/{world.programme.id}/clocks", data={
        "first_contact_within": "5", "first_contact_unit": "working_days", "amber_hours": "6",
        "baseline_within_days": "", "review_at_weeks": "10", "exit_at_close": "y"})
    assert response.status_code == 302
    row = db.session.execute(sa.select(ProgrammeClock)).scalar_one()
    assert (row.first_contact_within, row.first_contact_unit, row.amber_hours, row.baseline_within_days,
            row.review_at_weeks, row.exit_at_close) == (5, ClockUnit.WORKING_DAYS, 6, None, 10, True)
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "programme.clocks_updated")).scalar_one()
    assert event.detail["first_contact_within"] == {"from": 24, "to": 5}
    assert event.detail["first_contact_unit"] == {"from": "hours", "to": "working_days"}


def test_bad_input_is_explained_and_nothing_saved(client, world):
    sign_in(client, world.programme_office)
    for data, message in (
            ({"first_contact_within": "abc", "first_contact_unit": "hours", "amber_hours": "4"},
             "must be a whole number"),
            ({"first_contact_within": "90", "first_contact_unit": "working_days", "amber_hours": "4"},
             "at most 60 days"),
            ({"first_contact_within": "24", "first_contact_unit": "fortnights", "amber_hours": "4"},
             "Not a valid choice"),
            ({"first_contact_within": "24", "first_contact_unit": "hours", "amber_hours": ""},
             "Enter the number of hours")):
        response = client.post(f"/programmes/{world.programme.id}/clocks", data=data)
        assert response.status_code == 200 and message in response.get_data(as_text=True), data
    assert db.session.execute(sa.select(sa.func.count(ProgrammeClock.id))).scalar() == 0


def test_only_the_programme_office_changes_clocks(client, world):
    for user in (world.worker_a, world.manager_a, world.finance):
        sign_in(client, user)
        assert client.get(f"/programmes/{world.programme.id}/clocks").status_code == 403
        client.post("/sign-out")
