"""Wire /api/v1 into the app: the OpenAPI document, the resource blueprints and their token check."""
from __future__ import annotations

from flask import Flask

from app.api import casework, people, programmes, reference, referrals, reports, return_schema
from app.api.core import WaypointApi
from app.extensions import csrf

RESOURCES = (people.blp, referrals.blp, casework.blp, programmes.blp, reports.blp)

DESCRIPTION = """JSON for provider systems and partner referrals. Authenticate every call with an API token
(`Authorization: Bearer wp_…`): a personal token from *Your account*, or a service token an administrator makes
for an organisation's system. A token reaches what its role reaches, within its organisation, exactly as the
pages do; every call is audited. Errors are RFC 9457 problem details (`application/problem#json`)."""


def register_api(app: Flask) -> WaypointApi:
    app.config.setdefault("API_TITLE", "Waypoint API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION.replace("problem#json", "problem+json")},
        "security": [{"bearerAuth": []}],
    })
    api = WaypointApi(app)
    api.spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "description": "A Waypoint API token (wp_…)"})
    for blp in RESOURCES:
        csrf.exempt(blp)  # no cookie authenticates an API call, so there is nothing to forge
        api.register_blueprint(blp)
    for endpoint, view in app.view_functions.items():
        if endpoint.split(".")[0] in {b.name for b in RESOURCES}:
            view.api_token_auth = True  # app/security.py leaves these to authenticate_request
    app.register_blueprint(reference.bp)
    return_schema.register(app, api)  # /api/v1/schemas/return.json, referenced from the OpenAPI document
    app.extensions["waypoint_api"] = api
    return api
