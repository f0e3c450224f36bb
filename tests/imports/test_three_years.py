"""Issue #9's "done when", at full size: a provider's three-year spreadsheet (about 2,000 people, 3,000 referrals,
20,000 sessions) with its own headings, some bad rows and some people already in Waypoint imports through the web
in dry run (errors listed by row) and then for real; the target dashboard and every quarter's return show the same
figures as the same records typed through the pages' services; importing it again adds nothing. The suite runs
it on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from app.db import db
from app.documents import render
from app.imports.mapping import Setup
from app.imports.models import ImportRun, RunStatus
from app.programmes.models import Target, TargetMeasure
from app.referrals.models import Contact, Outcome, OutcomeMeasure, Person, Referral, ReferralStatusChange
from app.referrals.names import name_key
from app.reports import dashboard
from app.reports.builders.quarterly_return import build_quarterly_return
from bench.casefile import write_casefile
from bench.import_setup import bench_mapping, seed_world, type_casefile
from tests.conftest import TEST_PASSWORD, sign_in
from tests.factories import password_hash


def _select_values(html: str) -> dict:
    fields = {}
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def _upload(client, world, path: Path) -> ImportRun:
    with open(path, "rb") as handle:
        response = client.post("/imports/", data={"organisation_id": str(world.provider.id),
                                                  "file": (handle, path.name)}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.execute(sa.select(ImportRun).order_by(ImportRun.id.desc())).scalars().first()


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                 for m in (Person, Referral, Contact))


YEARS = (2022, 2023, 2024)  # the file's three financial years


def _figures() -> dict:
    """Every figure of the target dashboard (as at the end of each quarter) and every cell of the quarterly return,
    for each quarter the file spans."""
    out = {}
    for fy in YEARS:
        for quarter, as_at in enumerate((date(fy, 6, 30), date(fy, 9, 30), date(fy, 12, 31), date(fy + 1, 3, 31)), 1):
            out[f"dashboard {fy} Q{quarter}"] = [asdict(line) for line in dashboard.build(fy, as_at)]
            report = json.loads(render(build_quarterly_return(fy, quarter), "json")[0])
            out[f"return {fy} Q{quarter}"] = report["sections"]
    return out


def _shapes() -> dict:
    """Each referral as the pages would have left it, by person and referral date (ids differ between typing and
    importing): the person's details, the referral's derived values (status, reach date, first contact, eligibility
    override, closure), its status walk, sessions, outcomes and measures."""
    key = (Person.family_name, Person.given_name, Person.date_of_birth, Referral.referred_on, Referral.site_id)
    shapes = {}
    for r in db.session.execute(sa.select(*key, Referral.id, Person.estimated_age, Person.estimated_on, Person.sex,
                                          Person.ethnicity, Person.home_area, Referral.programme_id,
                                          Referral.provider_id, Referral.referred_at, Referral.source, Referral.reason,
                                          Referral.lawful_basis, Referral.consent_recorded,
                                          Referral.eligibility_override_reason, Referral.status, Referral.trial_arm,
                                          Referral.reached_on, Referral.first_contact_at, Referral.closed_on,
                                          Referral.closure_reason).join(Person, Referral.person_id == Person.id)):
        shapes[r.id] = [tuple(r[:5]), tuple(r[6:]), [], [], [], []]
    for rid, to in db.session.execute(sa.select(ReferralStatusChange.referral_id, ReferralStatusChange.to_status)
                                      .order_by(ReferralStatusChange.id)):
        shapes[rid][2].append(to)
    for rid, *c in db.session.execute(sa.select(Contact.referral_id, Contact.occurred_at, Contact.mode, Contact.attended,
                                                Contact.duration_minutes, Contact.notes)):
        shapes[rid][3].append(tuple(c))
    for rid, *o in db.session.execute(sa.select(Outcome.referral_id, Outcome.outcome_type, Outcome.achieved_on)):
        shapes[rid][4].append(tuple(o))
    for rid, *m in db.session.execute(sa.select(OutcomeMeasure.referral_id, OutcomeMeasure.instrument,
                                                OutcomeMeasure.time_point, OutcomeMeasure.value,
                                                OutcomeMeasure.measured_on)):
        shapes[rid][5].append(tuple(m))
    return {k: (v, changes, sorted(c), sorted(o), sorted(m)) for k, v, changes, c, o, m in shapes.values()}


def _targets(world) -> None:
    """Targets for every year, so the dashboard's expected figures and red/amber/green are compared too."""
    programmes = {s.programme_id for s in world.sites}
    for fy in YEARS:
        for pid in programmes:
            db.session.add_all([Target(programme_id=pid, fy=fy, measure=TargetMeasure.NEW_24_AND_UNDER, value=330),
                                Target(programme_id=pid, fy=fy, measure=TargetMeasure.NEW_25_AND_OVER, value=25)])


def test_three_year_spreadsheet_through_the_web_gives_the_figures_typing_it_gives(client, db_session, tmp_path):
    world = seed_world(password_hash(TEST_PASSWORD))
    _targets(world)
    sites = [s.name for s in world.sites]
    made = write_casefile(tmp_path / "three-years-with-mistakes.csv", sites, people=2000, bad=6, existing=40)
    fixed = write_casefile(tmp_path / "three-years.csv", sites, people=2000, existing=40)
    assert 2800 <= fixed.referrals <= 3200 and 17000 <= fixed.contacts <= 23000
    for given, family, born in made.existing:  # already in Waypoint, typed by the provider
        db.session.add(Person(given_name=given, family_name=family, name_key=name_key(given, family),
                              date_of_birth=born, organisation_id=world.provider.id))
    db.session.flush()
    before = _counts()

    # The yardstick: the same records typed by a youth worker through the casework services, then undone.
    started = time.process_time()
    point = db.session.begin_nested()
    typed_referrals = type_casefile(world.worker, fixed.path, bench_mapping(), Setup.load(world.provider))
    typed, typed_shapes = _figures(), _shapes()
    point.rollback()
    db.session.expire_all()
    print(f"\ntyped {typed_referrals} referrals and read the figures in {time.process_time() - started:.1f} s CPU")
    assert typed_referrals == fixed.referrals and _counts() == before
    assert sum(b["ytd"] for line in typed["dashboard 2024 Q4"] for b in line["lines"]) > 500
    assert {b["status"] for key, lines in typed.items() if key.startswith("dashboard")
            for line in lines for b in line["lines"]} >= {"green", "red"}

    sign_in(client, world.officer)
    run = _upload(client, world, made.path)
    # columns: the guesses are right for this file's own headings
    chosen = _select_values(client.get(f"/imports/{run.id}/columns").get_data(as_text=True))
    assert chosen["referral_ref"] == "Case No" and chosen["contact_on"] == "Contact date"
    client.post(f"/imports/{run.id}/columns", data=chosen)
    page = client.get(f"/imports/{run.id}/values").get_data(as_text=True)
    assert '"Ward round"' in page
    values = _select_values(page)
    values[next(k for k in values if k.startswith("v-mode-"))] = "in_setting"
    values["default-lawful_basis"] = "public_task"  # the file's "Basis" column is empty
    client.post(f"/imports/{run.id}/values", data=values)
    client.post(f"/imports/{run.id}/check")
    db.session.refresh(run)
    assert _counts() == before  # a dry run saves nothing
    assert sorted({p["row"] for p in run.problems}) == made.bad_rows
    assert run.summary["people_matched"] == len(made.existing)
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "Rows that need fixing" in page and "31/02/2023" in page
    client.post(f"/imports/{run.id}/import")  # refused: all or nothing
    assert _counts() == before

    run = _upload(client, world, fixed.path)
    client.post(f"/imports/{run.id}/check")
    db.session.refresh(run)
    assert run.problems == [] and run.summary["referrals_new"] == fixed.referrals
    client.post(f"/imports/{run.id}/import")
    db.session.refresh(run)
    assert run.status is RunStatus.IMPORTED
    people, referrals, contacts = _counts()
    assert (people - before[0], referrals - before[1], contacts - before[2]) == (
        fixed.people - len(fixed.existing), fixed.referrals, fixed.contacts)
    db.session.expire_all()
    imported_shapes = _shapes()
    wrong = [k for k in typed_shapes if imported_shapes.get(k) != typed_shapes[k]]
    assert not wrong, (len(wrong), wrong[0], typed_shapes[wrong[0]], imported_shapes.get(wrong[0]))
    assert imported_shapes.keys() == typed_shapes.keys()
    assert _figures() == typed
    # the pages show them
    assert client.get("/reports/targets?fy=2024-25").status_code == 200

    # the same file again adds nothing
    again = _upload(client, world, fixed.path)
    client.post(f"/imports/{again.id}/check")
    client.post(f"/imports/{again.id}/import")
    db.session.refresh(again)
    assert again.summary["referrals_skipped"] == fixed.referrals and again.summary["saved"]["referrals"] == 0
    assert _counts() == (people, referrals, contacts)
    db.session.expire_all()
    assert _figures() == typed
