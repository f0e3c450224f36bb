"""The OpenAPI document and the readable reference page: public, served from Waypoint itself (no CDN)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from app.auth.decorators import public

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1", template_folder="templates")

METHODS = ("get", "post", "put", "patch", "delete")


def _code(text: str | None) -> str:
    """Plain text; the template shows `name` as code (macro `prose`)."""
    return text or ""


def _type_of(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if schema.get("enum"):
        return "one of: " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    kind = kind or "object"
    return kind + (f" ({schema['format']})" if schema.get("format") else "")


def _response_text(spec: dict, response: dict) -> str:
    if "$ref" in response:
        response = spec["components"]["responses"].get(response["$ref"].rsplit("/", 1)[-1], {})
    text = response.get("description", "")
    if "application/problem+json" in (response.get("content") or {}):
        text += " — a problem (see Errors)"
    return text


def spec_dict() -> dict:
    return current_app.extensions["waypoint_api"].spec.to_dict()


@bp.route("/openapi.json")
@public
def openapi_json():
    return jsonify(spec_dict())


def _operations(spec: dict) -> list[dict]:
    ops = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op:
                ops.append({"path": path, "method": method.upper(), "op": op,
                            "tag": (op.get("tags") or ["other"])[0],
                            "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "")})
    return ops


def _schema_fields(spec: dict, schema: dict | None, depth: int = 0) -> list[dict]:
    """A schema's properties as rows (name, type, required, description), one level of nesting deep."""
    if not schema:
        return []
    if "$ref" in schema:
        schema = spec["components"]["schemas"].get(schema["$ref"].rsplit("/", 1)[-1], {})
    required = set(schema.get("required", []))
    rows = []
    for name, prop in (schema.get("properties") or {}).items():
        target = prop
        if "$ref" in prop:
            target = spec["components"]["schemas"].get(prop["$ref"].rsplit("/", 1)[-1], {})
        rows.append({"name": name, "type": _type_of(target), "required": name in required,
                     "description": _code(prop.get("description") or target.get("description")), "depth": depth})
        if depth == 0 and "$ref" in prop:
            rows.extend(_schema_fields(spec, target, depth + 1))
    return rows


@bp.route("/reference")
@public
def reference():
    spec = spec_dict()
    ops = _operations(spec)
    for o in ops:
        body = (o["op"].get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
        o["body"] = _schema_fields(spec, body)
        o["params"] = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                        "type": _type_of(p.get("schema") or {}), "description": _code(p.get("description"))}
                       for p in o["op"].get("parameters", []) if isinstance(p, dict) and "name" in p]
        o["responses"] = sorted((code, _code(_response_text(spec, r))) for code, r in o["op"].get("responses", {}).items())
        o["summary"], o["description"] = _code(o["op"].get("summary")), _code(o["op"].get("description"))
    tags = []
    for o in ops:
        if o["tag"] not in tags:
            tags.append(o["tag"])
    return render_template("api/reference.html", spec=spec, ops=ops, tags=tags, page_title="Waypoint API reference")
