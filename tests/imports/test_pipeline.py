"""The import pipeline through its services: dry run, all-or-nothing import, idempotency, audit."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.audit import chain as audit_chain
from app.audit import AuditEvent
from app.db import db
from app.imports import services
from app.imports.models import RunStatus
from app.referrals.models import Contact, Person, Referral, ReferralStatusChange, TrialArm
from app.referrals.transitions import ReferralStatus as S
from tests.imports.conftest import csv_bytes, row


def _run(world, rows, actor=None):
    actor = actor or world.programme_office
    return services.start_run(actor, world.org_a, "casework.csv", csv_bytes(rows))


def test_dry_run_counts_and_writes_nothing(world):
    rows = [row(**{"Session date": "05/05/2024", "Contact type": "1:1", "Attendance": "Attended", "Duration": "60"}),
            row(**{"Session date": "12/05/2024", "Contact type": "phone", "Attendance": "DNA"}),
            row(**{"Client ID": "C2", "Forename": "Sam", "Surname": "Lee", "DOB": "01/01/2008", "Case number": "R2"})]
    run = _run(world, rows)
    before = db.session.execute(sa.select(sa.func.count()).select_from(Referral)).scalar_one()
    plan = services.check_run(world.programme_office, run)
    assert plan.clean, plan.problems
    s = plan.summary()
    assert (s["people_new"], s["referrals_new"], s["contacts_new"], s["rows"]) == (2, 2, 2, 3)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Referral)).scalar_one() == before
    assert run.status is RunStatus.CHECKED


def test_problems_name_row_column_and_say_what_to_do(world):
    rows = [row(),
            row(**{"Case number": "R2", "DOB": "31/02/2007", "Client ID": "C2"}),
            row(**{"Case number": "R3", "Client ID": "C3", "Referral date": "02/05/24"}),
            row(**{"Case number": "R4", "Client ID": "C4", "Hospital": "Nowhere General"}),
            row(**{"Case number": "R5", "Client ID": "C5", "Session date": "01/04/2024", "Contact type": "1:1",
                   "Attendance": "Y"})]
    run = _run(world, rows)
    plan = services.check_run(world.programme_office, run)
    found = {(p.row, p.column): p.message for p in plan.problems}
    assert "not a real date" in found[(3, "DOB")]
    assert "year in full" in found[(4, "Referral date")]
    assert "Nowhere General" in found[(5, "Hospital")]
    assert "before the referral date" in found[(6, "Session date")]
    assert plan.summary()["rows_refused"] == 4


def test_import_saves_like_typed_data_and_again_adds_nothing(world):
    rows = [row(**{"Session date": "05/05/2024", "Contact type": "1:1", "Attendance": "Attended", "Duration": "60"}),
            row(**{"Session date": "12/05/2024", "Contact type": "phone", "Attendance": "DNA",
                   "Date closed": "01/07/2024", "Closure reason": "Goals met"}),
            row(**{"Client ID": "C2", "Forename": "Sam", "Surname": "Lee", "DOB": "01/01/2008", "Case number": "R2",
                   "Date closed": "10/06/2024", "Closure reason": "Could not reach", "Exit status": "No contact"})]
    run = _run(world, rows)
    plan, counts = services.import_run(world.programme_office, run)
    assert plan.clean and counts["referrals"] == 2 and counts["contacts"] == 2 and counts["people"] == 2
    r1 = db.session.execute(sa.select(Referral).join(Person).where(Person.family_name == "Smith")).scalar_one()
    assert r1.reached_on == date(2024, 5, 5) and r1.status is S.CLOSED and r1.closed_on == date(2024, 7, 1)
    assert r1.provider_id == world.org_a.id and r1.trial_arm is TrialArm.NONE
    walk = [c.to_status for c in db.session.execute(sa.select(ReferralStatusChange).where(
        ReferralStatusChange.referral_id == r1.id).order_by(ReferralStatusChange.id)).scalars()]
    assert walk == [S.RECEIVED, S.CONTACTED, S.ENGAGED, S.CLOSED]
    r2 = db.session.execute(sa.select(Referral).join(Person).where(Person.family_name == "Lee")).scalar_one()
    assert r2.reached_on is None and r2.status is S.CLOSED
    actions = db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.person_id == r1.person_id)).scalars()
    assert sorted(set(actions)) == ["contact.logged", "person.created", "referral.closed",
                                    "referral.status_changed", "referral.submitted"]
    assert audit_chain.verify_chain()[1] == []
    # the same file again: everything is skipped as already imported
    again = _run(world, rows)
    plan2, counts2 = services.import_run(world.programme_office, again)
    assert counts2["referrals"] == 0 and counts2["contacts"] == 0 and plan2.summary()["referrals_skipped"] == 2
    total = db.session.execute(sa.select(sa.func.count()).select_from(Contact).join(Referral)
                               .where(Referral.person_id.in_([r1.person_id, r2.person_id]))).scalar_one()
    assert total == 2


def test_one_bad_row_saves_nothing(world):
    rows = [row(), row(**{"Case number": "R2", "Client ID": "C2", "Referral date": "not a date"})]
    run = _run(world, rows)
    plan, counts = services.import_run(world.programme_office, run)
    assert counts is None and not plan.clean and run.status is RunStatus.REFUSED
    assert db.session.execute(sa.select(sa.func.count()).select_from(Person).where(
        Person.family_name == "Smith")).scalar_one() == 0


def test_existing_person_is_matched_not_duplicated(world):
    existing = world.person_a  # Amara Okoye, of provider A
    rows = [row(**{"Forename": existing.given_name, "Surname": existing.family_name,
                   "DOB": existing.date_of_birth.strftime("%d/%m/%Y"), "Referral date": "02/05/2024"})]
    run = _run(world, rows)
    plan, counts = services.import_run(world.programme_office, run)
    assert plan.clean, plan.problems
    assert plan.summary()["people_matched"] == 1 and counts["people"] == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.person_id == existing.id)).scalar_one() == 2


def test_a_same_name_record_without_a_date_of_birth_is_not_guessed(world):
    from tests.factories import PersonFactory

    PersonFactory(given_name="Jordan", family_name="Smith", date_of_birth=None, organisation=world.org_a)
    run = _run(world, [row()])
    plan = services.check_run(world.programme_office, run)
    assert len(plan.problems) == 1 and "add their date of birth to that record" in plan.problems[0].message


def test_an_unreadable_date_of_birth_is_reported_once_not_as_a_different_person(world):
    rows = [{**row(**{"Session date": "05/05/2024", "Contact type": "1:1", "Attendance": "Y"}), "Client ID": ""},
            {**row(**{"Session date": "12/05/2024", "Contact type": "1:1", "Attendance": "Y", "DOB": "30/02/2007"}),
             "Client ID": ""}]
    run = _run(world, rows)
    plan = services.check_run(world.programme_office, run)
    assert [(p.row, p.column) for p in plan.problems] == [(3, "DOB")]
