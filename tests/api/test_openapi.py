"""The OpenAPI document and the reference page: public, complete, local."""
from __future__ import annotations

import re

from tests.access import api_rules


def _openapi_path(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)


def test_openapi_document_describes_every_api_route(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    spec = r.json
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = 0
    for rule in api_rules(app):
        path = spec["paths"].get(_openapi_path(rule))
        assert path is not None, f"{rule.rule} is not in openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = path[method.lower()]
            assert op.get("summary"), f"{method} {rule.rule} has no summary"
            assert "default" in op["responses"], f"{method} {rule.rule}: errors undocumented"
            operations += 1
    print(f"\nopenapi.json: {operations} operations on {len(spec['paths'])} paths")
    assert operations >= 19


def test_reference_page_is_public_and_names_every_path(app, client):
    page = client.get("/api/v1/reference")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path in client.get("/api/v1/openapi.json").json["paths"]:
        assert path in html
    assert "cdn" not in html.lower() and "https://unpkg" not in html
    assert re.findall(r'<script[^>]+src="([^"]+)"', html) == [s for s in re.findall(r'<script[^>]+src="([^"]+)"', html)
                                                              if s.startswith("/static/")]
