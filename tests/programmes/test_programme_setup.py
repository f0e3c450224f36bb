from __future__ import annotations

import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db
from app.programmes.models import CountingWindow, Programme, Site, Target, TargetMeasure
from tests.conftest import sign_in

VALID = {
    "name": "Knife Crime Mentoring", "kind": "community", "ho_category": "prevention", "ho_category_secondary": "",
    "tiers": ["primary", "secondary"], "cohort": "targeted", "min_age": "10", "max_age": "24",
    "session_cap": "6", "cadence_days": "7", "reach_unit": "individual", "evaluation_stage": "gate_1",
    "outcome_types": "Signposted to service\nRe-engaged with education",
}


def test_programme_office_creates_a_programme(client, world):
    sign_in(client, world.programme_office)
    response = client.post("/programmes/new", data=VALID)
    assert response.status_code == 302
    p = db.session.execute(sa.select(Programme).where(Programme.name == "Knife Crime Mentoring")).scalar_one()
    assert (p.min_age, p.max_age, p.session_cap, p.cadence_days) == (10, 24, 6, 7)
    assert p.tiers == ["primary", "secondary"]
    assert p.outcome_types == ["Signposted to service", "Re-engaged with education"]
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "programme.created")).first()


def test_bad_programme_input_is_shown_next_to_fields(client, world):
    sign_in(client, world.programme_office)
    bad = {**VALID, "name": "", "min_age": "ten", "max_age": "5", "session_cap": "0"}
    page = client.post("/programmes/new", data=bad).get_data(as_text=True)
    assert "Enter the programme name" in page
    assert "must be a whole number" in page
    assert "Enter a number from 1 to 500" in page
    # Ages the wrong way round are a meaning check in the service.
    page = client.post("/programmes/new", data={**VALID, "min_age": "20", "max_age": "12"}).get_data(as_text=True)
    assert "oldest eligible age must be the same as or more than the youngest" in page
    assert db.session.execute(sa.select(sa.func.count()).select_from(Programme)).scalar_one() == 1


def test_duplicate_name_is_refused(client, world):
    sign_in(client, world.programme_office)
    page = client.post("/programmes/new", data={**VALID, "name": world.programme.name.upper()}).get_data(as_text=True)
    assert "There is already a programme called" in page


def test_sites_windows_and_targets(client, world):
    sign_in(client, world.programme_office)
    pid = world.programme.id
    r = client.post(f"/programmes/{pid}/sites/new", data={"name": "A&E C", "setting": "a_and_e",
                                                          "provider_id": str(world.org_b.id)})
    assert r.status_code == 302
    assert db.session.execute(sa.select(Site).where(Site.name == "A&E C")).scalar_one().provider_id == world.org_b.id
    r = client.post(f"/programmes/{pid}/windows", data={"fy": "2024", "starts_on": ["1", "9", "2024"],
                                                        "ends_on": ["31", "3", "2025"]})
    assert r.status_code == 302
    w = db.session.execute(sa.select(CountingWindow).where(CountingWindow.programme_id == pid)).scalar_one()
    assert (w.starts_on.isoformat(), w.ends_on.isoformat()) == ("2024-09-01", "2025-03-31")
    r = client.post(f"/programmes/{pid}/targets", data={"fy": "2024", "measure": "new_25_and_over", "value": "75"})
    assert r.status_code == 302
    t = db.session.execute(sa.select(Target).where(Target.programme_id == pid,
                                                   Target.measure == TargetMeasure.NEW_25_AND_OVER)).scalar_one()
    assert t.value == 75


def test_window_input_errors(client, world):
    sign_in(client, world.programme_office)
    pid = world.programme.id
    page = client.post(f"/programmes/{pid}/windows", data={"fy": "2024", "starts_on": ["31", "2", "2025"],
                                                           "ends_on": ["", "3", "2025"]}).get_data(as_text=True)
    assert "Counting starts must be a real date" in page
    assert "Counting ends must include a day" in page
    page = client.post(f"/programmes/{pid}/windows", data={"fy": "2024", "starts_on": ["1", "3", "2025"],
                                                           "ends_on": ["1", "9", "2024"]}).get_data(as_text=True)
    assert "must be on or after its start" in page
    page = client.post(f"/programmes/{pid}/windows", data={"fy": "2024", "starts_on": ["1", "3", "2024"],
                                                           "ends_on": ["1", "9", "2024"]}).get_data(as_text=True)
    assert "window must fall between 1 April 2024 and 31 March 2025" in page
    page = client.post(f"/programmes/{pid}/targets", data={"fy": "2024", "measure": "new_24_and_under",
                                                           "value": "lots"}).get_data(as_text=True)
    assert "Target must be a whole number" in page


def test_youth_worker_cannot_edit_programmes(client, world):
    sign_in(client, world.worker_a)
    assert client.get(f"/programmes/{world.programme.id}").status_code == 200
    assert client.post("/programmes/new", data=VALID).status_code == 403
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "access.denied")).scalars().all()
    assert len(events) == 1
