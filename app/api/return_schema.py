"""/api/v1/schemas/return.json: the JSON Schema of the quarterly return, served next to the OpenAPI document.

The schema is the one in docs/ (docs/return.schema.json, kept with the code that builds the return); it is
public, like openapi.json, because it describes a shape and holds no data. The OpenAPI document points at it:
top-level `externalDocs`, and the return operation's own `externalDocs`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, Response

from app.auth.decorators import public

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "return.schema.json"
URL = "/api/v1/schemas/return.json"
RETURN_PATH = "/api/v1/returns/{year}/{quarter}"

bp = Blueprint("api_schemas", __name__, url_prefix="/api/v1/schemas")


@lru_cache(maxsize=1)
def schema_text() -> str:
    return json.dumps(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")), indent=2, ensure_ascii=False)


@bp.route("/return.json")
@public
def return_schema():
    response = Response(schema_text(), mimetype="application/schema+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def register(app: Flask, api) -> None:
    """Serve the schema and reference it from the OpenAPI document (apispec merges `options` into the spec)."""
    app.register_blueprint(bp)
    docs = {"description": "The JSON Schema (draft 2020-12) of the quarterly return's JSON", "url": URL}
    api.spec.options.setdefault("externalDocs", docs)
    api.spec.options.setdefault("paths", {}).setdefault(RETURN_PATH, {}).setdefault("get", {})["externalDocs"] = docs
