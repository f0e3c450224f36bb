"""A provider's three-year spreadsheet (about 2,000 people, 3,000 referrals, 20,000 sessions) with its own
headings, some bad rows and some people already in Waypoint: through the web, dry run then for real; again adds
nothing. And a smaller file from the same generator gives the same dashboard and return as typing it."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from app.db import db
from app.documents import render
from app.imports import services as imports
from app.imports.mapping import Setup
from app.imports.models import ImportRun, RunStatus
from app.referrals.models import Contact, Person, Referral
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


def test_three_year_spreadsheet_through_the_web(client, db_session, tmp_path):
    world = seed_world(password_hash(TEST_PASSWORD))
    sites = [s.name for s in world.sites]
    made = write_casefile(tmp_path / "three-years-with-mistakes.csv", sites, people=2000, bad=6, existing=40)
    assert 2800 <= made.referrals <= 3200 and 17000 <= made.contacts <= 23000
    for given, family, born in made.existing:  # already in Waypoint, typed by the provider
        db.session.add(Person(given_name=given, family_name=family, name_key=name_key(given, family),
                              date_of_birth=born, organisation_id=world.provider.id))
    db.session.flush()
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
    before = _counts()
    client.post(f"/imports/{run.id}/check")
    db.session.refresh(run)
    assert _counts() == before  # a dry run saves nothing
    assert sorted({p["row"] for p in run.problems}) == made.bad_rows
    assert run.summary["people_matched"] == len(made.existing)
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "Rows that need fixing" in page and "31/02/2023" in page
    client.post(f"/imports/{run.id}/import")  # refused: all or nothing
    assert _counts() == before

    fixed = write_casefile(tmp_path / "three-years.csv", sites, people=2000, existing=40)
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
    # the same file again adds nothing
    again = _upload(client, world, fixed.path)
    client.post(f"/imports/{again.id}/check")
    client.post(f"/imports/{again.id}/import")
    db.session.refresh(again)
    assert again.summary["referrals_skipped"] == fixed.referrals and again.summary["saved"]["referrals"] == 0
    assert _counts() == (people, referrals, contacts)
    # the dashboard shows them
    assert client.get("/reports/targets?fy=2024-25").status_code == 200
    lines = dashboard.build(2024, date(2025, 3, 31))
    assert sum(b.ytd for line in lines for b in line.lines) > 500


def _figures() -> dict:
    out = {}
    for fy in (2022, 2023, 2024):
        out[f"dashboard {fy}"] = [(line.name, [(b.band, b.ytd, b.by_quarter, b.status) for b in line.lines])
                                  for line in dashboard.build(fy, date(fy + 1, 3, 31))]
        for quarter in (2, 4):
            report = json.loads(render(build_quarterly_return(fy, quarter), "json")[0])
            out[f"return {fy} Q{quarter}"] = [s for s in report["sections"]
                                              if not s.get("title", "").startswith(("A", "B", "C"))]
    return out


def test_imported_file_gives_the_figures_typing_it_gives(db_session, tmp_path):
    world = seed_world()
    made = write_casefile(tmp_path / "casework.csv", [s.name for s in world.sites], people=120, existing=5)
    for given, family, born in made.existing:
        db.session.add(Person(given_name=given, family_name=family, name_key=name_key(given, family),
                              date_of_birth=born, organisation_id=world.provider.id))
    db.session.flush()
    mapping = bench_mapping()
    point = db.session.begin_nested()
    typed_referrals = type_casefile(world.worker, made.path, mapping, Setup.load(world.provider))
    typed = _figures()
    point.rollback()
    db.session.expire_all()
    run, plan, counts = imports.import_path(world.officer, world.provider, mapping, made.path, dry_run=False)
    assert plan.clean, plan.problems[:5]
    assert counts["referrals"] == typed_referrals == made.referrals
    assert plan.summary()["people_matched"] == len(made.existing)
    imported = _figures()
    assert imported == typed
    assert any(b[1] for key, lines in typed.items() if key.startswith("dashboard") for line in lines for b in line[1])

