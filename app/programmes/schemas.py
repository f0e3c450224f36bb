"""JSON shapes for programmes and sites (read-only through the API)."""
from __future__ import annotations

from marshmallow import Schema, fields

from app.programmes.models import Cohort, EvaluationStage, HomeOfficeCategory, ProgrammeKind, ReachUnit, SiteSetting
from app.schemas import PageArgs, UtcDateTime, page_of


def _enum(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


class SiteSchema(Schema):
    id = fields.Integer(required=True)
    programme_id = fields.Integer(required=True)
    name = fields.String(required=True)
    setting = _enum(SiteSetting, required=True)
    provider_id = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    updated_at = UtcDateTime(required=True)


class ProgrammeSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = _enum(ProgrammeKind, required=True)
    ho_category = _enum(HomeOfficeCategory, required=True)
    cohort = _enum(Cohort, required=True)
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    session_cap = fields.Integer(allow_none=True)
    cadence_days = fields.Integer(allow_none=True)
    reach_unit = _enum(ReachUnit, required=True)
    evaluation_stage = _enum(EvaluationStage, required=True)
    trial_enabled = fields.Boolean(required=True)
    outcome_types = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    sites = fields.List(fields.Nested(SiteSchema), required=True)
    updated_at = UtcDateTime(required=True)


class ProgrammeListArgs(PageArgs):
    pass


ProgrammesPage = page_of(ProgrammeSchema, "ProgrammesPage")
