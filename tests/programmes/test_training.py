"""Professionals trained (DOMAIN.md §3.8): recording events and counting unique professionals."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.db import db
from app.errors import DomainError
from app.programmes.services import record_training
from app.reports import queries
from tests.conftest import sign_in
from tests.factories import ProgrammeFactory


def test_unique_professionals_and_anonymous_counts(world):
    w = world
    record_training(w.programme_office, w.programme, held_on=date(2024, 5, 1), title="Trauma-informed practice",
                    attendees_text="Ann Lee, ann@nhs.uk, Nurse\nBob Roy, Teacher, Kennet School\nann lee, ann@nhs.uk")
    record_training(w.manager_a, w.programme, held_on=date(2024, 8, 1), title="Refresher",
                    attendees_text="Ann Lee, ann@nhs.uk\nCat Day")
    record_training(w.programme_office, w.programme, held_on=date(2024, 8, 2), title="Assembly", attendees_text=None,
                    anonymous_count=30)
    trained = queries.professionals_trained(2024, date(2025, 3, 31))[w.programme.id]
    assert trained == {1: 2, 2: 31}  # Ann counted once (Q1), Bob Q1; Cat and 30 anonymous in Q2


def test_bad_training_input_is_refused_with_a_message(world):
    w = world
    with pytest.raises(DomainError, match="not both"):
        record_training(w.programme_office, w.programme, held_on=date(2024, 5, 1), title="X",
                        attendees_text="Ann", anonymous_count=3)
    with pytest.raises(DomainError, match="List the people"):
        record_training(w.programme_office, w.programme, held_on=date(2024, 5, 1), title="X", attendees_text="",
                        anonymous_count=None)
    other = ProgrammeFactory()
    with pytest.raises(DomainError, match="does not deliver"):
        record_training(w.manager_a, other, held_on=date(2024, 5, 1), title="X", attendees_text="Ann",
                        anonymous_count=None)


def test_training_form(world, client):
    sign_in(client, world.manager_a)
    url = f"/programmes/{world.programme.id}/training"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"title": "Knife crime awareness", "held_on": ["1", "5", "2024"], "attendees": "",
                                 "anonymous_count": "many"})
    assert bad.status_code == 200 and "whole number" in bad.get_data(as_text=True)
    ok = client.post(url, data={"title": "Knife crime awareness", "held_on": ["1", "5", "2024"],
                                "attendees": "Ann Lee, ann@nhs.uk"})
    assert ok.status_code == 302


# ---------------------------------------------------------------- dashboard, event list, edit and delete


def _event(w, held_on=date(2024, 8, 5), keys=("a@x.org", "b@x.org")):
    from tests.factories import TrainingAttendeeFactory, TrainingEventFactory

    ev = TrainingEventFactory(programme=w.programme, held_on=held_on, title="Knife crime awareness")
    for k in keys:
        TrainingAttendeeFactory(event=ev, professional_key=k, name=k.split("@")[0].upper())
    db.session.flush()
    return ev


def test_dashboard_shows_professionals_trained_against_target_and_drills_down_to_events(world, client):
    from app.programmes.models import TargetMeasure
    from app.reports import dashboard
    from tests.factories import TargetFactory

    w = world
    TargetFactory(programme=w.programme, measure=TargetMeasure.PROFESSIONALS_TRAINED, value=4)
    _event(w)
    _event(w, date(2024, 10, 2), keys=("a@x.org", "c@x.org"))  # a@ again: counts once
    lines = dashboard.build(2024, date(2024, 12, 31))
    prof = next(bl for line in lines if line.id == w.programme.id for bl in line.lines if bl.band == "professionals")
    assert (prof.ytd, prof.target, prof.by_quarter[2], prof.by_quarter[3]) == (3, 4, 2, 1)
    assert prof.expected == 3 and prof.status == "green" and prof.bar == 75  # 3 of 4; ¾ of the year gone
    sign_in(client, w.programme_office)
    page = client.get("/reports/targets?fy=2024").get_data(as_text=True)
    assert f'data-testid="row-{w.programme.id}-professionals"' in page and "Professionals trained" in page
    assert f"/programmes/{w.programme.id}/training/events?fy=2024" in page
    events = client.get(f"/programmes/{w.programme.id}/training/events?fy=2024").get_data(as_text=True)
    assert "Knife crime awareness" in events and "3 professionals trained" in events


def test_edit_and_delete_a_training_event_are_audited(world, client):
    from app.audit import AuditEvent
    from app.programmes.models import TrainingEvent

    w = world
    ev = _event(w)
    sign_in(client, w.programme_office)
    page = client.get(f"/programmes/{w.programme.id}/training/{ev.id}/edit").get_data(as_text=True)
    assert "a@x.org" in page and "Delete this training event" in page
    response = client.post(f"/programmes/{w.programme.id}/training/{ev.id}/edit", data={
        "title": "Knife crime awareness (corrected)", "held_on": ["6", "8", "2024"],
        "attendees": "Ann, a@x.org\nDee, d@x.org\nEve, e@x.org"})
    assert response.status_code == 302
    db.session.refresh(ev)
    assert ev.title.endswith("(corrected)") and ev.held_on == date(2024, 8, 6)
    assert sorted(a.professional_key for a in ev.attendees) == ["a@x.org", "d@x.org", "e@x.org"]
    updated = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "training.updated")).scalar_one()
    assert updated.detail["before"]["attendees"] == 2 and updated.detail["after"]["attendees"] == 3
    # a date in the future is refused next to the field
    bad = client.post(f"/programmes/{w.programme.id}/training/{ev.id}/edit", data={
        "title": "x", "held_on": ["1", "1", "2999"], "attendees": "Ann"})
    assert bad.status_code == 200 and "today or in the past" in bad.get_data(as_text=True)
    assert client.get(f"/programmes/{w.programme.id}/training/{ev.id}/delete").status_code == 200
    assert client.post(f"/programmes/{w.programme.id}/training/{ev.id}/delete").status_code == 302
    assert db.session.get(TrainingEvent, ev.id) is None
    deleted = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "training.deleted")).scalar_one()
    assert deleted.detail["attendees"] == 3


def test_training_in_a_locked_quarter_cannot_be_changed(world):
    from app.errors import DomainError
    from app.programmes import services
    from app.periods.models import PeriodStatus, ReportingPeriod

    w = world
    ev = _event(w)
    db.session.add(ReportingPeriod(fy=2024, quarter=2, status=PeriodStatus.LOCKED))
    db.session.flush()
    with pytest.raises(DomainError, match="locked"):
        services.delete_training(w.programme_office, ev)
    with pytest.raises(DomainError, match="locked"):
        services.update_training(w.programme_office, ev, held_on=date(2024, 4, 2), title="Moved",
                                 attendees_text="Ann, a@x.org")
    moved_in = _event(w, date(2024, 4, 3))
    with pytest.raises(DomainError, match="locked"):
        services.update_training(w.programme_office, moved_in, held_on=date(2024, 8, 1), title="Moved",
                                 attendees_text="Ann, a@x.org")


def test_other_providers_cannot_change_a_programme_they_do_not_deliver(world, client):
    from tests.factories import ProgrammeFactory, TrainingEventFactory

    w = world
    other = ProgrammeFactory(name="Not delivered by A")
    ev = TrainingEventFactory(programme=other)
    db.session.flush()
    sign_in(client, w.manager_a)
    assert client.get(f"/programmes/{other.id}/training/{ev.id}/edit").status_code == 404
    assert client.post(f"/programmes/{other.id}/training/{ev.id}/delete").status_code == 404
