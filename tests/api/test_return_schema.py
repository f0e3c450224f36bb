"""The return's JSON Schema is served next to the OpenAPI document, referenced from it, and the return the API
serves for a real quarter validates against the schema as served (issue 12, item 1)."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import jsonschema

from tests.api.conftest import ApiClient, personal_token
from tests.factories import ContactFactory, PersonFactory, ReferralFactory

URL = "/api/v1/schemas/return.json"


def test_the_schema_is_served_publicly_as_the_file_in_docs(client):
    r = client.get(URL)
    assert r.status_code == 200 and r.mimetype == "application/schema+json"
    served = r.get_json(force=True)
    assert served == json.loads((Path(__file__).parents[2] / "docs" / "return.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(served)


def test_the_openapi_document_points_at_the_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["externalDocs"]["url"] == URL
    operation = spec["paths"]["/api/v1/returns/{year}/{quarter}"]["get"]
    assert operation["externalDocs"]["url"] == URL and "200" in operation["responses"]


def test_the_returns_json_for_a_real_quarter_validates_against_the_served_schema(app, world, client):
    for born, reached in ([(date(2008, 1, 2), date(2024, 7, 3)), (date(1995, 5, 5), date(2024, 8, 9)),
                                         (None, date(2024, 9, 1))]):
        person = PersonFactory(organisation=world.org_a, date_of_birth=born,
                               age_not_known_reason=None if born else "Would not say")
        referral = ReferralFactory(person=person, site=world.site_a, referred_on=reached, reached_on=reached)
        ContactFactory(referral=referral, occurred_at=datetime.combine(reached, datetime.min.time()))
    schema = client.get(URL).get_json(force=True)
    api = ApiClient(app.test_client(), personal_token(world.programme_office))
    for suppressed in ("false", "true"):
        r = api.get(f"/api/v1/returns/2024/2?suppressed={suppressed}")
        assert r.status_code == 200, r.get_data(as_text=True)
        body = r.get_json()
        assert body["sections"], "a real quarter has sections"
        jsonschema.validate(body, schema)
    broken = dict(body)
    del broken["sections"]
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the schema must refuse a return without its sections")
