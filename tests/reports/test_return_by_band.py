"""Section D by age band (issue 12, DOMAIN.md §5 D): per-band progress, returning people, re-referrals of
continuing caseload, in every format, with the JSON keys published as a JSON Schema (docs/)."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.documents import render
from app.programmes.models import HomeOfficeCategory, ProgrammeKind, TargetMeasure
from app.reports.builders.quarterly_return import build_quarterly_return
from tests.conftest import sign_in
from tests.factories import PersonFactory, ProgrammeFactory, SiteFactory, TargetFactory
from tests.reports.test_quarterly_return import reach, row, table

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "return.schema.json").read_text())


@pytest.fixture
def custody(world):
    """A custody programme with a 24-and-under target of 6, two young people and one person over 25; one
    returning person, and one re-referral of continuing caseload."""
    p = ProgrammeFactory(name="Custody Coaches", kind=ProgrammeKind.CUSTODY, ho_category=HomeOfficeCategory.DESISTANCE)
    site = SiteFactory(programme=p, name="Suite A")
    TargetFactory(programme=p, fy=2024, measure=TargetMeasure.NEW_24_AND_UNDER, value=6)
    reach(site, date(2024, 5, 2), PersonFactory(date_of_birth=date(2004, 1, 1)))
    back = PersonFactory(date_of_birth=date(2005, 1, 1))
    reach(site, date(2023, 5, 2), back, closed_on=date(2023, 9, 1))
    reach(site, date(2024, 7, 9), back)  # returning
    reach(site, date(2024, 8, 2), PersonFactory(date_of_birth=date(1990, 1, 1)))  # 25 and over, no target
    still = PersonFactory(date_of_birth=date(2006, 1, 1))
    reach(site, date(2024, 2, 1), still)  # carried over, still open
    reach(site, date(2024, 9, 3), still)  # re-referral: not new (case H)
    return p


def test_progress_is_shown_per_band_not_combined(custody):
    report = build_quarterly_return(2024, 2)
    d3 = row(table(report, "D", "D3"), "Custody Coaches")
    assert (d3["ytd_young"], d3["ytd_old"], d3["ytd_unknown"], d3["ytd"]) == (2, 1, 0, 3)
    assert d3["target_young"] == 6 and d3["pct_young"] == Decimal("0.3333")  # 2 of 6, not 3 of 6
    assert d3["target_old"] is None and d3["pct_old"] is None  # no target: "—", people still in the total
    assert (d3["returning"], d3["re_referrals"]) == (1, 1)
    d2 = row(table(report, "D", "D2"), "Custody Coaches")
    assert (d2["q_young"], d2["q_old"], d2["q_total"], d2["continuing"]) == (1, 1, 2, 1)
    total = table(report, "D", "D3").total_row
    assert total["re_referrals"] >= 1 and total["returning"] >= 1


def test_the_custody_example_reads_17_percent_not_33(world):
    p = ProgrammeFactory(name="Custody example", kind=ProgrammeKind.CUSTODY)
    site = SiteFactory(programme=p)
    TargetFactory(programme=p, fy=2024, measure=TargetMeasure.NEW_24_AND_UNDER, value=6)
    reach(site, date(2024, 5, 2), PersonFactory(date_of_birth=date(2004, 1, 1)))
    reach(site, date(2024, 5, 3), PersonFactory(date_of_birth=date(1980, 1, 1)))
    d3 = row(table(build_quarterly_return(2024, 1), "D", "D3"), "Custody example")
    assert d3["pct_young"] == Decimal("0.1667") and d3["ytd"] == 2


def test_public_version_suppresses_each_band(custody):
    public = build_quarterly_return(2024, 2, suppressed=True)
    d3 = row(table(public, "D", "D3"), "Custody Coaches")
    assert d3["ytd_young"] == "*" and d3["returning"] == "*" and d3["target_young"] == 6
    assert d3["pct_young"] == "*"  # a percentage with a denominator under 8 is suppressed


def test_every_format_carries_the_bands_and_the_json_matches_its_published_schema(custody, client, world):
    report = build_quarterly_return(2024, 2)
    as_json = json.loads(render(report, "json")[0])
    jsonschema.validate(as_json, SCHEMA)
    jsonschema.validate(json.loads(render(build_quarterly_return(2024, 2, suppressed=True), "json")[0]), SCHEMA)
    d3 = next(t for s in as_json["sections"] for t in s["tables"] if t["title"].startswith("D3"))
    assert [c["key"] for c in d3["columns"]] == [
        "programme", "ytd_young", "target_young", "pct_young", "ytd_old", "target_old", "pct_old", "ytd_unknown",
        "ytd", "returning", "re_referrals"]
    broken = json.loads(json.dumps(as_json))
    next(t for s in broken["sections"] for t in s["tables"] if t["title"].startswith("D3"))["rows"][0].pop("pct_young")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)

    text = render(report, "csv")[0].decode()
    assert "24 and under: % of target" in text and "Re-referrals of continuing caseload" in text
    csv_rows = list(csv.reader(io.StringIO(text)))
    custody_rows = [r for r in csv_rows if r and r[0] == "Custody Coaches"]
    assert any("33.3%" in r or "0.3333" in r for r in custody_rows)

    book = load_workbook(io.BytesIO(render(report, "xlsx")[0]))
    cells = [[c.value for c in r] for ws in book.worksheets for r in ws.iter_rows()]
    assert any(r and r[0] == "Custody Coaches" and r[1:4] == [2, 6, Decimal("0.3333")] or
               (r and r[0] == "Custody Coaches" and r[1] == 2 and r[2] == 6) for r in cells)

    pdf = PdfReader(io.BytesIO(render(report, "pdf")[0]))
    pdf_text = " ".join(page.extract_text() for page in pdf.pages)
    assert "by age band, against target" in pdf_text and "33.3%" in pdf_text

    sign_in(client, world.programme_office)
    page = client.get("/reports/returns/2024/2").get_data(as_text=True)
    assert "D3. New people year to date by age band, against target" in page
    assert "24 and under: % of target" in page and "33.3%" in page


def test_professionals_trained_far_over_target_get_a_data_quality_note(world):
    from tests.factories import TrainingEventFactory

    p = ProgrammeFactory(name="Blue Light Mentoring")
    TargetFactory(programme=p, fy=2024, measure=TargetMeasure.PROFESSIONALS_TRAINED, value=3)
    TrainingEventFactory(programme=p, held_on=date(2024, 8, 5), anonymous_count=55)
    d4 = table(build_quarterly_return(2024, 2), "D", "D4")
    assert row(d4, "Blue Light Mentoring")["pct"] == Decimal("18.3333")
    assert "Data quality: Blue Light Mentoring shows 55 professionals trained against a target of 3" in d4.note


def test_an_unsubmitted_return_is_a_draft_and_the_public_version_carries_no_marking(custody, world):
    from app.reports import services

    report = build_quarterly_return(2024, 2)
    assert report.draft and report.classification == "OFFICIAL-SENSITIVE"
    public = build_quarterly_return(2024, 2, suppressed=True)
    assert public.classification is None and public.suppressed
    pdf = PdfReader(io.BytesIO(render(public, "pdf")[0]))
    assert not any("OFFICIAL" in page.extract_text() for page in pdf.pages)
    assert all("DRAFT" in page.extract_text() for page in PdfReader(io.BytesIO(render(report, "pdf")[0])).pages)
    period = services.period_for(2024, 2, create=True)
    services.save_draft(world.programme_office, period, narrative="", sro_name="X", grant_reference="Y",
                        due_on=date(2024, 10, 31))
    assert build_quarterly_return(2024, 2).draft
    services.submit(world.programme_office, period)
    submitted = build_quarterly_return(2024, 2)
    assert not submitted.draft
    assert not any("DRAFT" in page.extract_text() for page in PdfReader(io.BytesIO(render(submitted, "pdf")[0])).pages)
