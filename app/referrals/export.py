"""The evaluator export (DOMAIN.md §6): one row per trial referral, pseudonymised.

A stable pseudonym per person is an HMAC of the person's id under the app's secret key: the same person
gets the same pseudonym in every export (so evaluators can link follow-ups) and nobody without the key
can get back to the id. No names, NHS numbers or references; month and year of birth only.
"""
from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.db import db
from app.programmes.models import Programme
from app.referrals import queries
from app.referrals.ethnicity import group_of
from app.documents import render
from app.documents import Column, Report, Section, Table


def pseudonym(person_id: int, key: str | None = None) -> str:
    key = key or current_app.config["SECRET_KEY"]
    digest = hmac.new(key.encode(), f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return "P-" + digest[:12].upper()


def trial_programmes() -> list[Programme]:
    return list(db.session.execute(
        sa.select(Programme).where(Programme.trial_enabled.is_(True)).order_by(Programme.name)).scalars())


COLUMNS = [
    Column("pseudonym", "Pseudonym"), Column("birth_month", "Month of birth"), Column("sex", "Sex"),
    Column("ethnic_group", "Ethnic group"), Column("site", "Site"), Column("referred_on", "Referred", "date"),
    Column("arm", "Trial arm"), Column("draw", "Allocation draw"), Column("status", "Status"),
    Column("reached_on", "Reached", "date"), Column("closed_on", "Closed", "date"),
    Column("contacts", "Contacts", "int"), Column("attended", "Sessions attended", "int"),
    Column("baseline", "Baseline score"), Column("latest", "Latest score"),
]


def build_evaluation(programme: Programme) -> Report:
    rows = queries.evaluation_rows(programme.id)
    scores: dict[int, list] = {}
    for m in queries.measures_for([r.id for r in rows]):
        scores.setdefault(m.referral_id, []).append(m)
    out = []
    for r in rows:
        ms = scores.get(r.id, [])
        baseline = next((m for m in ms if m.time_point.value == "baseline"), ms[0] if ms else None)
        latest = ms[-1] if len(ms) > 1 else None
        out.append({
            "pseudonym": pseudonym(r.person_id),
            "birth_month": r.date_of_birth.strftime("%Y-%m") if r.date_of_birth else None,
            "sex": r.sex.label if r.sex else None, "ethnic_group": group_of(r.ethnicity).label,
            "site": r.site, "referred_on": r.referred_on, "arm": r.trial_arm.label, "draw": r.allocation_draw,
            "status": r.status.label, "reached_on": r.reached_on, "closed_on": r.closed_on,
            "contacts": r.contacts, "attended": r.attended,
            "baseline": f"{baseline.instrument}: {baseline.value}" if baseline else None,
            "latest": f"{latest.instrument}: {latest.value} ({latest.time_point.label.lower()})" if latest else None,
        })
    return Report(
        title=f"{programme.name}: trial data for evaluation", subtitle="Pseudonymised",
        header=[("Programme", programme.name), ("Trial seed", programme.trial_seed),
                ("Stratified by site", "Yes" if programme.trial_stratify_by_site else "No"), ("Referrals", len(out))],
        sections=[Section(key="referrals", title="Trial referrals", tables=[Table("One row per referral", COLUMNS, out)])],
        notes=["Pseudonyms are stable across exports. Names, NHS numbers and references are never included; "
               "dates of birth are reduced to month and year."],
        classification="OFFICIAL-SENSITIVE",
    ).validate()


def evaluator_export(actor, programme: Programme, fmt: str) -> tuple[bytes, str, str]:
    report = build_evaluation(programme)
    data, mimetype, ext = render(report, fmt)
    rows = len(report.sections[0].tables[0].rows)
    audit.record(actor, "evaluation.exported", programme, detail={"format": fmt, "rows": rows})
    return data, mimetype, ext
