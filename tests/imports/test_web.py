"""The import pages, as a programme officer and a provider manager use them."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from app.db import db
from app.imports.models import ImportMapping, ImportRun, RunStatus
from app.referrals.models import Person, Referral
from tests.conftest import sign_in
from tests.imports.conftest import csv_bytes, row


def _upload(client, world, data: bytes, name="casework.csv", org=None):
    return client.post("/imports/", data={"organisation_id": str((org or world.org_a).id),
                                          "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _form_fields(html: str) -> dict:
    """The selected option of every select on the page, as a browser would submit it."""
    fields = {}
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def test_programme_officer_maps_checks_fixes_and_imports(client, world):
    sign_in(client, world.programme_office)
    rows = [row(**{"Session date": "05/05/2024", "Contact type": "Bedside chat", "Attendance": "Attended"}),
            row(**{"Client ID": "C2", "Forename": "Sam", "Surname": "Lee", "DOB": "01/01/2008", "Case number": "R2",
                   "Referral date": "31/04/2024"})]
    response = _upload(client, world, csv_bytes(rows))
    assert response.status_code == 302 and "/columns" in response.headers["Location"]
    run = db.session.execute(sa.select(ImportRun).order_by(ImportRun.id.desc())).scalars().first()
    page = client.get(f"/imports/{run.id}/columns").get_data(as_text=True)
    chosen = _form_fields(page)
    assert chosen["given_name"] == "Forename" and chosen["referral_ref"] == "Case number"
    assert chosen["site"] == "Hospital" and chosen["contact_on"] == "Session date"
    assert client.post(f"/imports/{run.id}/columns", data=chosen).status_code == 302
    page = client.get(f"/imports/{run.id}/values").get_data(as_text=True)
    assert "Bedside chat" in page and "A&amp;E A" not in page.split("Match the values")[1].split("<form")[0]
    values = _form_fields(page)
    word_field = next(k for k in values if k.startswith("v-mode-"))
    values[word_field] = "in_setting"
    assert client.post(f"/imports/{run.id}/values", data=values).status_code == 302
    assert client.post(f"/imports/{run.id}/check").status_code == 302
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "Rows that need fixing" in page and "31/04/2024" in page and "not a real date" in page
    assert "Import 2 referrals" not in page
    # the officer fixes the row and uploads again: the saved mapping is used straight away
    rows[1]["Referral date"] = "30/04/2024"
    response = _upload(client, world, csv_bytes(rows))
    run2 = db.session.execute(sa.select(ImportRun).order_by(ImportRun.id.desc())).scalars().first()
    assert run2.id != run.id
    client.post(f"/imports/{run2.id}/check")
    page = client.get(f"/imports/{run2.id}").get_data(as_text=True)
    assert "Import 2 referrals" in page, page
    client.post(f"/imports/{run2.id}/import")
    db.session.refresh(run2)
    assert run2.status is RunStatus.IMPORTED
    assert db.session.execute(sa.select(sa.func.count()).select_from(Referral).join(Person)
                              .where(Person.family_name.in_(["Smith", "Lee"]))).scalar_one() == 2
    mapping = db.session.execute(sa.select(ImportMapping).where(
        ImportMapping.organisation_id == world.org_a.id)).scalar_one()
    assert mapping.values["mode"]["bedside chat"] == "in_setting"


def test_provider_manager_imports_only_for_their_own_organisation(client, world):
    sign_in(client, world.manager_a)
    page = client.get("/imports/").get_data(as_text=True)
    assert world.org_a.name in page and world.org_b.name not in page
    response = _upload(client, world, csv_bytes([row()]), org=world.org_b)
    assert response.status_code == 200 and "Choose the organisation" in response.get_data(as_text=True)
    assert client.get(f"/imports/{world.import_run_b.id}").status_code == 404


def test_youth_worker_cannot_import(client, world):
    sign_in(client, world.worker_a)
    assert client.get("/imports/").status_code == 403


def test_bad_files_get_plain_messages(client, world):
    sign_in(client, world.programme_office)
    for data, name, words in [(b"", "empty.csv", "empty"), (b"PK\x03\x04garbage", "x.xlsx", "not a readable"),
                              (b"A,B,A\n1,2,3\n", "dup.csv", "appears twice"),
                              (b"x", "old.xls", "Save the spreadsheet as .xlsx")]:
        response = _upload(client, world, data, name)
        assert response.status_code == 200 and words in response.get_data(as_text=True), name


def test_templates_download(client, world):
    sign_in(client, world.manager_a)
    response = client.get("/imports/template.xlsx")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    headings = [c.value for c in next(book["Casework"].iter_rows(max_row=1))]
    assert "Referral reference" in headings and "Session date" in headings
    guide = [r for r in book["How to fill it in"].iter_rows(values_only=True)]
    assert any(r[0] == "Site" and "A&E A" in (r[4] or "") for r in guide)
    assert client.get("/imports/template.csv").data.decode("utf-8-sig").startswith("Person reference,")


def test_a_file_larger_than_the_general_upload_limit_is_accepted_for_import(client, world, app):
    """Years of casework exceed the 5 MB limit of other uploads: imports have their own (IMPORT_MAX_BYTES)."""
    sign_in(client, world.programme_office)
    rows = [row(**{"Case number": f"R{i}", "Client ID": f"C{i}", "Forename": "x" * 90}) for i in range(40_000)]
    data = csv_bytes(rows)
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) < app.config["IMPORT_MAX_BYTES"]
    response = _upload(client, world, data)
    assert response.status_code == 302 and "/columns" in response.headers["Location"]
    too_big = b"A\n" + b"x" * app.config["IMPORT_MAX_BYTES"]
    response = _upload(client, world, too_big)
    assert response.status_code == 413


def _runs() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(ImportRun)).scalar_one()


def test_a_double_posted_upload_makes_one_import_run(client, world):
    """A double click posts the same form (the same idempotency token) twice: the second lands on the run the
    first made. A refused upload keeps no claim, so the corrected file sent with the same form is taken."""
    sign_in(client, world.programme_office)
    page = client.get("/imports/").get_data(as_text=True)
    token = re.search(r'name="idempotency_token"[^>]*value="([^"]+)"', page).group(1)
    before = _runs()

    def post(data: bytes, name: str = "casework.csv"):
        return client.post("/imports/", data={"organisation_id": str(world.org_a.id), "idempotency_token": token,
                                              "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")

    refused = post(b"", "empty.csv")
    assert refused.status_code == 200 and "empty" in refused.get_data(as_text=True)
    assert token in refused.get_data(as_text=True)  # the redisplayed form is still the same submission
    assert _runs() == before
    first = post(csv_bytes([row()]))
    assert first.status_code == 302 and "/columns" in first.headers["Location"]
    second = post(csv_bytes([row()]))
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert _runs() == before + 1
    assert "already saved" in client.get(second.headers["Location"]).get_data(as_text=True)
    # a new form (a new token) is a new upload
    assert _upload(client, world, csv_bytes([row()])).status_code == 302 and _runs() == before + 2
