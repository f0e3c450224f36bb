"""Shared shapes for JSON (DESIGN.md §4.7): paging, times, and RFC 9457 problem details.

Domain schemas (`<domain>/schemas.py`) build on these; the API in app/api/ uses them. Times: casework
moments (a contact, a referral) are UK wall-clock times in the database and are sent with their UK offset;
bookkeeping times (updated_at) are UTC and sent with "Z". A time sent to Waypoint without an offset is read
as UK time for casework and as UTC for `updated_since`.
"""
from __future__ import annotations

import base64
from datetime import UTC
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate

UK = ZoneInfo("Europe/London")
MAX_LIMIT = 100


class UkDateTime(fields.DateTime):
    """A casework moment: stored as naive UK time, sent with its offset (e.g. 2024-06-04T11:00:00+01:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.replace(tzinfo=UK).isoformat() if value.tzinfo is None else value.isoformat()

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UK).replace(tzinfo=None)
        if not 1900 <= moment.year <= 2100:
            raise ValidationError("Enter a date and time between 1900 and 2100")
        return moment


class UtcDateTime(fields.DateTime):
    """A bookkeeping moment: stored as naive UTC, sent with "Z"."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.replace(tzinfo=None).isoformat() + "Z"

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if not 1900 <= moment.year <= 2100:
            raise ValidationError("Enter a date and time between 1900 and 2100")
        return moment


class SaneDate(fields.Date):
    """A date between 1900 and 2100: anything else is a typing error, not a real date in casework."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not 1900 <= day.year <= 2100:
            raise ValidationError("Enter a date between 1900 and 2100")
        return day


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


class Cursor(fields.String):
    """An opaque position in a list (the id of the last item sent); decoded to that id."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            kind, _, number = decoded.partition(":")
            if kind != "after" or not number.isdigit() or len(number) > 18:
                raise ValueError
            return int(number)
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("This is not a cursor Waypoint gave out: start again without one") from None


class PageArgs(Schema):
    """Cursor paging and incremental sync, shared by every list."""

    cursor = Cursor(load_default=None, metadata={
        "description": "From `next_cursor` of the previous page; leave out for the first page"})
    limit = fields.Integer(load_default=25, validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": f"Items per page, 1 to {MAX_LIMIT}"})
    updated_since = UtcDateTime(load_default=None, metadata={
        "description": "Only what changed at or after this moment (UTC unless an offset is given)"})


class PageSchema(Schema):
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "Pass as `cursor` for the next page; null on the last page"})


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """A page of items: {"items": [...], "next_cursor": ...}."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema), required=True)})


class FieldErrorSchema(Schema):
    field = fields.String(allow_none=True, required=True, metadata={
        "description": "The field (dotted for nested ones), or null for the request as a whole"})
    message = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(allow_none=True)
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema), metadata={"description": "Field-by-field problems"})
