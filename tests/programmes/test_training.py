"""Professionals trained (DOMAIN.md §3.8): recording events and counting unique professionals."""
from __future__ import annotations

from datetime import date

import pytest

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
