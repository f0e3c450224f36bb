"""Render any Report as JSON: ``Report.to_dict()`` (exact Decimals as
strings, ISO dates), indented. ``Report.from_dict(json.loads(...))`` reads
it back; locked returns are stored this way as immutable snapshots."""

from __future__ import annotations

import json

from app.documents.report import Report


def render_json(report: Report) -> bytes:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")
