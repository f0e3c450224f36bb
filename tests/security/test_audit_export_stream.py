"""The audit export streams after the request has ended (issue 10's own re-run, bench/attack.py, found every export
over real HTTP failing mid-stream: the rows were read through the request's database session, which was gone by
then). Here the app has real commits and no context of the test's around the request, as under gunicorn."""
from __future__ import annotations

import csv
import io
import json

import pyotp

from tests.conftest import sign_in
from tests.security.real_db import committing_app

EVENTS = 2500  # more than one batch of the export's reads


def test_the_export_streams_every_event_after_the_request_has_ended(tmp_path):
    with committing_app(tmp_path, "export") as app:
        with app.app_context():
            from app import audit
            from app.auth.models import Organisation, OrganisationKind
            from app.auth.roles import Role
            from app.auth.services import create_user
            from app.db import db

            org = Organisation(name="VRU", kind=OrganisationKind.VRU)
            db.session.add(org)
            user = create_user(email="po@example.org", full_name="PO", password="correct horse battery staple",
                               role=Role.PROGRAMME_OFFICE, organisation=org)
            user.totp_secret = pyotp.random_base32()
            for i in range(EVENTS):
                audit.record(None, "test.streamed", detail={"n": i})
            db.session.commit()
            client = app.test_client()
            sign_in(client, user)
            db.session.remove()
        # No app context of the test's is pushed here: the body is read after the request has ended.
        csv_body = client.get("/admin/audit/export?format=csv&action=test.streamed").get_data(as_text=True)
        json_body = client.get("/admin/audit/export?format=json&action=test.streamed").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(csv_body)))
    assert len(rows) == EVENTS and rows[-1]["detail"] == json.dumps({"n": EVENTS - 1})
    assert [json.loads(line)["detail"]["n"] for line in json_body.splitlines()] == list(range(EVENTS))
