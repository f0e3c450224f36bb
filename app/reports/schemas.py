"""JSON shapes for the targets summary and the quarterly return: aggregates only, never people."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class TargetsArgs(Schema):
    fy = fields.Integer(load_default=None, validate=validate.Range(2000, 2100),
                        metadata={"description": "Financial year by its first year (2024 is 2024-25); default: the latest"})


class QuarterCountsSchema(Schema):
    q1 = fields.Integer(required=True)
    q2 = fields.Integer(required=True)
    q3 = fields.Integer(required=True)
    q4 = fields.Integer(required=True)


class BandLineSchema(Schema):
    band = fields.String(required=True, metadata={
        "description": "24_and_under, 25_and_over, not_known or professionals_trained"})
    label = fields.String(required=True)
    target = fields.Integer(allow_none=True)
    year_to_date = fields.Integer(attribute="ytd", required=True)
    by_quarter = fields.Nested(QuarterCountsSchema, required=True)
    expected = fields.Integer(allow_none=True, metadata={"description": "Pro-rata expected figure at the as-at date"})
    status = fields.String(allow_none=True, metadata={"description": "green, amber or red"})


class TargetLineSchema(Schema):
    programme_id = fields.Integer(attribute="id", required=True)
    programme = fields.String(attribute="name", required=True)
    window_starts_on = fields.Date(required=True)
    window_ends_on = fields.Date(required=True)
    lines = fields.List(fields.Nested(BandLineSchema), required=True)


class TargetsSummarySchema(Schema):
    fy = fields.Integer(required=True)
    fy_label = fields.String(required=True)
    as_at = fields.Date(required=True)
    scope = fields.String(required=True, metadata={"description": "all organisations, or your organisation's share"})
    programmes = fields.List(fields.Nested(TargetLineSchema), required=True)


class ReturnArgs(Schema):
    suppressed = fields.Boolean(load_default=False, metadata={
        "description": "The public version, with small numbers suppressed"})


class ReturnDocumentSchema(Schema):
    """The return as Waypoint's document format (the same JSON as the download), aggregates only."""

    format_version = fields.Integer(required=True)
    title = fields.String(required=True)
    subtitle = fields.String(allow_none=True)
    period_label = fields.String(required=True)
    classification = fields.String(allow_none=True)
    suppressed = fields.Boolean(required=True)
    generated_at = fields.String(required=True)
    header = fields.List(fields.Raw(), required=True)
    sections = fields.List(fields.Dict(), required=True)
    notes = fields.List(fields.String(), required=True)
    warnings = fields.List(fields.String(), required=True)
