"""`flask import casework`: dry run, real run, refusal with rows listed, progress bar, the same services."""
from __future__ import annotations

import json

import sqlalchemy as sa

from app.db import db
from app.referrals.models import Referral
from tests.imports.conftest import csv_bytes, row


def _file(tmp_path, rows, name="casework.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def _mapping(tmp_path):
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({
        "columns": {"person_ref": "Client ID", "given_name": "Forename", "family_name": "Surname",
                    "date_of_birth": "DOB", "referral_ref": "Case number", "site": "Hospital",
                    "referred_on": "Referral date", "source": "Referred by", "lawful_basis": "Legal basis",
                    "contact_on": "Session date", "mode": "Contact type", "attended": "Attendance"},
        "values": {"mode": {"Bedside": "in_setting"}}}))
    return path


def _invoke(app, args):
    """Output is what a person sees in the terminal: the progress bar and messages, stdout and stderr."""
    return app.test_cli_runner().invoke(args=["import", "casework", *map(str, args)])


def _referrals() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Referral)).scalar_one()


def test_dry_run_then_import_then_again(app, world, tmp_path):
    path = _file(tmp_path, [row(**{"Session date": "05/05/2024", "Contact type": "Bedside", "Attendance": "Y"}),
                            row(**{"Client ID": "C2", "Case number": "R2", "Forename": "Sam", "DOB": "02/02/2008"})])
    base = [path, "--organisation", world.org_a.name, "--by", world.programme_office.email,
            "--mapping", _mapping(tmp_path)]
    before = _referrals()
    result = _invoke(app, [*base, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Referrals: 2 new" in result.output and "Dry run: nothing was saved." in result.output
    assert _referrals() == before
    result = _invoke(app, base)
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output and _referrals() == before + 2
    result = _invoke(app, base)
    assert "Referrals: 0 new, 2 skipped" in result.output and _referrals() == before + 2


def test_refused_rows_are_listed_and_nothing_is_saved(app, world, tmp_path):
    path = _file(tmp_path, [row(), row(**{"Case number": "R2", "Client ID": "C2", "DOB": "31/02/2007"})])
    before = _referrals()
    result = _invoke(app, [path, "--organisation", world.org_a.name, "--by", world.programme_office.email,
                           "--mapping", _mapping(tmp_path)])
    assert result.exit_code == 1
    assert "row 3, DOB:" in result.output and "Nothing was saved" in result.output
    assert _referrals() == before


def test_plain_messages_for_wrong_arguments(app, world, tmp_path):
    path = _file(tmp_path, [row()])
    result = _invoke(app, [path, "--organisation", world.org_b.name, "--by", world.manager_a.email])
    assert result.exit_code != 0 and "that you may import for" in result.output
    result = _invoke(app, [path, "--organisation", world.org_a.name, "--by", world.worker_a.email])
    assert result.exit_code != 0 and "not an active programme office or provider manager" in result.output
    result = _invoke(app, [path, "--organisation", world.org_a.name, "--by", world.manager_a.email,
                           "--mapping", "Nope"])
    assert result.exit_code != 0 and 'no saved mapping called "Nope"' in result.output
