"""The plans of an import live in a temporary file with only a window of them in memory: a file whose referrals'
rows are scattered, imported with a window of three plans (so nearly every row reads its plan back from the file),
saves exactly what the same rows in order save with everything in memory."""
from __future__ import annotations

import csv
import random

from app.db import db
from app.imports import services as imports, spill
from app.referrals.models import Person
from app.referrals.names import name_key
from bench.casefile import write_casefile
from bench.import_setup import bench_mapping, seed_world
from tests.imports.test_three_years import _shapes


def test_scattered_rows_and_a_tiny_window_save_what_an_ordered_file_saves(db_session, tmp_path, monkeypatch):
    world = seed_world()
    made = write_casefile(tmp_path / "ordered.csv", [s.name for s in world.sites], people=60, existing=4)
    for given, family, born in made.existing:
        db.session.add(Person(given_name=given, family_name=family, name_key=name_key(given, family),
                              date_of_birth=born, organisation_id=world.provider.id))
    db.session.flush()
    with open(made.path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    random.Random(5).shuffle(rows)
    scattered = tmp_path / "scattered.csv"
    with open(scattered, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    mapping = bench_mapping()

    point = db.session.begin_nested()
    _run, plan, counts = imports.import_path(world.officer, world.provider, mapping, made.path, dry_run=False)
    assert plan.clean, plan.problems[:3]
    expected, expected_summary = _shapes(), plan.summary()
    point.rollback()
    db.session.expire_all()

    monkeypatch.setattr(spill, "WINDOW", 3)
    monkeypatch.setattr(spill, "BATCH", 7)
    _run, plan, counts_scattered = imports.import_path(world.officer, world.provider, mapping, scattered,
                                                       dry_run=False)
    assert plan.clean, plan.problems[:3]
    assert counts_scattered == counts and counts["referrals"] == made.referrals
    assert plan.summary() == expected_summary and expected_summary["people_matched"] == len(made.existing)
    assert _shapes() == expected
    # and again: everything is skipped as imported before, read back from the file too
    _run, plan, again = imports.import_path(world.officer, world.provider, mapping, scattered, dry_run=False)
    assert again["referrals"] == 0 and plan.summary()["referrals_skipped"] == made.referrals
