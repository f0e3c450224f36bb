"""An imported history gives the same target dashboard and quarterly return as the same history typed through
the pages' services; and the trial, eligibility and estimated-age rules are the pages' rules."""
from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db
from app.documents import render
from app.imports import services as imports
from app.referrals import allocation, services
from app.referrals.models import ContactMode, LawfulBasis, Person, Referral, ReferralSource, TrialArm
from app.referrals.transitions import ReferralStatus as S
from app.reports import dashboard
from app.reports.builders.quarterly_return import build_quarterly_return
from tests.factories import ProgrammeFactory, SiteFactory
from tests.imports.conftest import csv_bytes

HEADERS = ["Person ref", "First name", "Last name", "DOB", "Sex", "Referral ref", "Site", "Referred", "Source",
           "Basis", "Override reason", "Session", "Type", "Attended", "Closed", "Reason closed", "Ending", "Outcome",
           "Outcome date", "Arm", "Allocation note"]

# (person, first, last, born, referral, referred, sessions [(day, attended)], closed, ending, outcome)
HISTORY = [
    ("P1", "Ava", "Stone", date(2006, 3, 1), "R1", date(2024, 2, 10), [(date(2024, 2, 20), True)], None, None, None),
    ("P2", "Ben", "Hart", date(2005, 7, 9), "R2", date(2023, 8, 1), [(date(2023, 8, 3), True)],
     date(2023, 9, 30), None, None),
    ("P2", "Ben", "Hart", date(2005, 7, 9), "R3", date(2024, 7, 1), [(date(2024, 7, 3), True),
                                                                       (date(2024, 7, 10), False)], None, None,
     ("Signposted to service", date(2024, 8, 1))),
    ("P3", "Cal", "Reed", date(1999, 10, 1), "R4", date(2024, 6, 10), [(date(2024, 6, 15), True)],
     date(2024, 9, 1), None, None),
    ("P4", "Dee", "Moss", date(2008, 1, 5), "R5", date(2024, 5, 2), [(date(2024, 5, 4), False)],
     date(2024, 6, 1), S.UNABLE_TO_CONTACT, None),
    ("P5", "Eli", "Ford", date(2007, 11, 30), "R6", date(2024, 10, 2), [(date(2024, 10, 9), True),
                                                                          (date(2024, 10, 16), True)], None, None, None),
    ("P1", "Ava", "Stone", date(2006, 3, 1), "R7", date(2024, 11, 1), [(date(2024, 11, 5), True)], None, None, None),
    ("P6", "Fay", "Lowe", date(2010, 4, 4), "R8", date(2025, 1, 15), [], None, None, None),
]


def _rows(site_name: str) -> list[dict]:
    out = []
    for person, first, last, born, ref, referred, sessions, closed, ending, outcome in HISTORY:
        base = {"Person ref": person, "First name": first, "Last name": last, "DOB": born.strftime("%d/%m/%Y"), "Sex": "F",
                "Referral ref": ref, "Site": site_name, "Referred": referred.strftime("%d/%m/%Y"), "Source": "A&E",
                "Basis": "Public task"}
        for day, attended in sessions:
            out.append({**base, "Session": day.strftime("%d/%m/%Y"), "Type": "1:1",
                        "Attended": "Y" if attended else "DNA"})
        if not sessions:
            out.append(dict(base))
        if closed:
            out[-1].update({"Closed": closed.strftime("%d/%m/%Y"), "Reason closed": "Finished",
                            "Ending": ending.label if ending else ""})
        if outcome:
            out[-1].update({"Outcome": outcome[0], "Outcome date": outcome[1].strftime("%d/%m/%Y")})
    return out


def _type_it(world) -> None:
    people: dict[str, Person] = {}
    for person, first, last, born, _ref, referred, sessions, closed, ending, outcome in HISTORY:
        fields = dict(programme_id=world.programme.id, site_id=world.site_a.id, referred_on=referred,
                      referred_at=datetime.combine(referred, datetime.min.time()), source=ReferralSource.AE_CLINICIAN,
                      reason=None, lawful_basis=LawfulBasis.PUBLIC_TASK)
        if person in people:
            referral = services.submit_referral(world.worker_a, people[person], **fields)
        else:
            referral = services.refer_new_person(world.worker_a, {"given_name": first, "family_name": last,
                                                                  "date_of_birth": born, "sex": "female"},
                                                 confirm_different=True, **fields)
            people[person] = referral.person
        for day, attended in sessions:
            services.log_contact(world.worker_a, referral, occurred_at=datetime.combine(day, datetime.min.time()),
                                 mode=ContactMode.ONE_TO_ONE, attended=attended)
        if outcome:
            services.record_outcome(world.worker_a, referral, outcome_type=outcome[0], achieved_on=outcome[1])
        if closed:
            services.close_referral(world.worker_a, referral, reason="Finished", closed_on=closed, ending=ending)
    db.session.flush()


def _figures() -> dict:
    out = {"dashboard": [(line.name, [(b.band, b.ytd, b.by_quarter, b.status) for b in line.lines])
                         for line in dashboard.build(2024, date(2025, 3, 31))]}
    for quarter in (1, 2, 3, 4):
        report = json.loads(render(build_quarterly_return(2024, quarter), "json")[0])
        out[f"Q{quarter}"] = [s for s in report["sections"] if not s.get("title", "").startswith(("A", "B", "C"))]
    return out


def _referral_shapes() -> list:
    return sorted((r.person.given_name, r.referred_on, r.status.value, r.reached_on, r.closed_on,
                   r.first_contact_at, [c.to_status.value for c in r.status_changes])
                  for r in db.session.execute(sa.select(Referral).where(Referral.site_id.isnot(None))).scalars()
                  if r.person.family_name in {h[2] for h in HISTORY})


def test_imported_history_gives_the_same_dashboard_and_return_as_typed(world):
    point = db.session.begin_nested()
    _type_it(world)
    typed, typed_shapes = _figures(), _referral_shapes()
    point.rollback()
    db.session.expire_all()
    assert _referral_shapes() == []
    run = imports.start_run(world.programme_office, world.org_a, "history.csv",
                            csv_bytes(_rows(world.site_a.name), HEADERS))
    plan, counts = imports.import_run(world.programme_office, run)
    assert plan.clean, plan.problems
    assert counts["referrals"] == len(HISTORY)
    assert _referral_shapes() == typed_shapes
    assert _figures() == typed
    # and the figures are not empty: the history does reach people
    assert any(b[1] for line in typed["dashboard"] for b in line[1])


def _trial_world(world):
    programme = ProgrammeFactory(name="Custody Coaches (trial)", min_age=10, max_age=25, trial_enabled=True,
                                 trial_seed=4242, trial_stratify_by_site=True)
    site = SiteFactory(programme=programme, name="Suite T", provider=world.org_a)
    return programme, site


def test_trial_referrals_take_waypoints_draw_or_carry_an_allocation_made_elsewhere(world):
    programme, site = _trial_world(world)
    rows = [{"Person ref": f"T{i}", "First name": "Tia", "Last name": f"Case{i}", "DOB": "01/01/2008", "Referral ref": f"T{i}",
             "Site": site.name, "Referred": f"{i + 1:02d}/05/2024", "Source": "Custody", "Basis": "Public task",
             "Session": f"{i + 2:02d}/05/2024", "Type": "1:1", "Attended": "Y"} for i in range(5)]
    rows.append({**rows[0], "Person ref": "TX", "Last name": "Elsewhere", "Referral ref": "TX", "Arm": "Control",
                 "Allocation note": "Evaluator list 17"})
    run = imports.start_run(world.programme_office, world.org_a, "trial.csv", csv_bytes(rows, HEADERS))
    plan, counts = imports.import_run(world.programme_office, run)
    assert plan.clean, plan.problems
    stratum = allocation.stratum_for(programme.id, site.id, True)
    drawn = db.session.execute(sa.select(Referral).join(Person).where(
        Referral.programme_id == programme.id, Person.family_name != "Elsewhere")
        .order_by(Referral.referred_on)).scalars().all()
    assert [r.allocation_draw for r in drawn] == [allocation.allocate(4242, stratum, i).draw for i in range(5)]
    for r in drawn:
        assert r.trial_arm.value == allocation.allocate(4242, stratum, drawn.index(r)).arm
        assert (r.reached_on is None) == (r.trial_arm is TrialArm.CONTROL)
    elsewhere = db.session.execute(sa.select(Referral).join(Person).where(Person.family_name == "Elsewhere")).scalar_one()
    assert elsewhere.trial_arm is TrialArm.CONTROL and elsewhere.reached_on is None
    assert elsewhere.allocation_draw.startswith("allocated outside Waypoint (Evaluator list 17)")
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "referral.submitted",
                                                           AuditEvent.object_id == elsewhere.id)).scalar_one()
    assert event.detail["allocation"] == "made outside Waypoint" and event.detail["trial_arm"] == "control"


def test_an_arm_for_a_programme_without_a_trial_is_refused(world):
    rows = [{"First name": "No", "Last name": "Trial", "DOB": "01/01/2008", "Referral ref": "N1", "Site": world.site_a.name,
             "Referred": "01/05/2024", "Source": "A&E", "Basis": "Public task", "Arm": "Control"}]
    run = imports.start_run(world.programme_office, world.org_a, "x.csv", csv_bytes(rows, HEADERS))
    plan = imports.check_run(world.programme_office, run)
    assert [(p.column, "not running a trial" in p.message) for p in plan.problems] == [("Arm", True)]


def test_age_outside_the_range_needs_the_override_reason_as_on_the_page(world):
    rows = [{"First name": "Old", "Last name": "Er", "DOB": "01/01/1980", "Referral ref": "O1", "Site": world.site_a.name,
             "Referred": "01/05/2024", "Source": "A&E", "Basis": "Public task"}]
    run = imports.start_run(world.programme_office, world.org_a, "x.csv", csv_bytes(rows, HEADERS))
    plan = imports.check_run(world.programme_office, run)
    assert plan.problems[0].column == "Override reason" and "To refer them anyway, give a reason" in plan.problems[0].message
    rows[0]["Override reason"] = "Sibling of a young person on the programme"
    run = imports.start_run(world.programme_office, world.org_a, "y.csv", csv_bytes(rows, HEADERS))
    plan, counts = imports.import_run(world.programme_office, run)
    assert plan.clean
    referral = db.session.execute(sa.select(Referral).join(Person).where(Person.family_name == "Er")).scalar_one()
    assert referral.eligibility_override_reason == "Sibling of a young person on the programme"


def test_an_estimated_age_is_as_at_the_referral_date(world):
    headers = HEADERS + ["Age"]
    rows = [{"First name": "Est", "Last name": "Imate", "Age": "16", "Referral ref": "E1", "Site": world.site_a.name,
             "Referred": "01/05/2022", "Source": "A&E", "Basis": "Public task"}]
    run = imports.start_run(world.programme_office, world.org_a, "x.csv", csv_bytes(rows, headers))
    plan, _ = imports.import_run(world.programme_office, run)
    assert plan.clean, plan.problems
    person = db.session.execute(sa.select(Person).where(Person.family_name == "Imate")).scalar_one()
    assert (person.estimated_age, person.estimated_on, person.date_of_birth) == (16, date(2022, 5, 1), None)
