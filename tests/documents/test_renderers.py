"""The report model and its renderers (DESIGN.md §4.8, SECURITY.md §7).

A realistic quarterly return is built here by hand (no database): 60
programmes so the PDF delivery table breaks across pages, money, fractions,
None values, status columns, subtotals, a chart, and hostile text — formula
payloads and markup characters — in the places builders put free text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import socket
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from app.documents.render_csv import render_csv
from app.documents.render_json import render_json
from app.documents.pdf import markup, plain, render_pdf
from app.documents.render_xlsx import render_xlsx, sheet_name
from app.documents import RENDERERS, render
from app.documents import (
    Chart,
    Column,
    Report,
    ReportError,
    Section,
    Table,
    format_cell,
    format_money,
    report_for_html,
)
from app.documents.safe_cells import is_dangerous, neutralise

TITLE = "Quarterly return to the Home Office"
PERIOD = "Q2 2024-25 (1 Jul 2024 to 30 Sep 2024)"
MARKUP_NAME = "O'Neil & Sons <x>"
PAYLOADS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rCR"]
CATEGORIES = ("Hospital navigators", "Custody navigators", "School navigators", "Focused deterrence")
N_PROGRAMMES = 60
DELIVERY_HEADER = "Continuing caseload"


def _money(pounds: str) -> Decimal:
    return Decimal(pounds)


def _delivery_rows() -> tuple[list[dict], dict]:
    """60 programmes in 4 Home Office categories, each category followed by
    its subtotal row; the provider text of the first few carries payloads."""
    rows: list[dict] = []
    keys = ("referrals", "new_u25", "new_25", "new_unknown", "new_ytd", "target", "caseload", "contacts",
            "trained_q", "trained_ytd", "trained_target")
    grand = dict.fromkeys(keys, 0)
    per_category = N_PROGRAMMES // len(CATEGORIES)
    n = 0
    for c, category in enumerate(CATEGORIES):
        sub = dict.fromkeys(keys, 0)
        for i in range(per_category):
            n += 1
            providers = [
                "Redthread; St Giles Trust; Oasis Community Partnerships; Catch22 (joint delivery)",
                MARKUP_NAME,
                "Ériu Youth Project — Łódź partnership",
            ][i % 3]
            if n <= len(PAYLOADS):
                providers = PAYLOADS[n - 1]
            new_u25, new_25, new_unknown = 10 + (n * 7) % 40, (n * 3) % 9, n % 3
            new_ytd = 2 * (new_u25 + new_25 + new_unknown) + n
            target = None if n % 11 == 0 else 80 + (n * 13) % 120
            row = {
                "programme": f"Programme {n:02d} — {category.split()[0]} site {i + 1}",
                "category": category,
                "tier": 1 + n % 3,
                "setting": ["A&E", "Custody suite", "School", "Community"][c],
                "providers": providers,
                "referrals": 20 + (n * 17) % 90,
                "new_u25": new_u25,
                "new_25": new_25,
                "new_unknown": new_unknown,
                "new_ytd": new_ytd,
                "target": target,
                "pct_target": None if target is None else (Decimal(new_ytd) / Decimal(target)).quantize(
                    Decimal("0.0001")),
                "caseload": 15 + (n * 5) % 60,
                "contacts": 100 + (n * 37) % 900,
                "trained_q": n % 5,
                "trained_ytd": n % 5 + 3,
                "trained_target": None if n % 7 == 0 else 12,
            }
            rows.append(row)
            for k in keys:
                sub[k] += row[k] or 0
        for k in keys:
            grand[k] += sub[k]
        rows.append({"programme": f"Subtotal: {category}", **sub, "pct_target": None, "_style": "subtotal"})
    total = {"programme": "Total", **grand, "pct_target": None}
    return rows, total


def _chart_programmes(rows: list[dict]) -> Chart:
    programmes = [r for r in rows if r.get("_style") != "subtotal"]
    return Chart(
        title="Reach against target, year to date, by programme",
        categories=[r["programme"] for r in programmes],
        series=[
            ("Reach YTD", [r["new_ytd"] for r in programmes]),
            ("Target", [r["target"] for r in programmes]),
        ],
    )


def sample_report() -> Report:
    money = [
        Column("line", "Budget line"),
        Column("allocation", "Allocation", "money"),
        Column("q1", "Q1", "money"),
        Column("q2", "Q2", "money"),
        Column("q3", "Q3", "money"),
        Column("q4", "Q4", "money"),
        Column("ytd", "Year to date", "money"),
        Column("forecast", "Forecast outturn", "money"),
        Column("variance", "Variance", "money"),
        Column("pct_spent", "% spent", "percent"),
    ]

    def fin(line, alloc, q1, q2, forecast, style=None):
        alloc, q1, q2, forecast = map(Decimal, (alloc, q1, q2, forecast))
        row = {"line": line, "allocation": alloc, "q1": q1, "q2": q2, "q3": None, "q4": None,
               "ytd": q1 + q2, "forecast": forecast, "variance": alloc - forecast,
               "pct_spent": ((q1 + q2) / alloc).quantize(Decimal("0.0001")) if alloc else None}
        if style:
            row["_style"] = style
        return row

    finance_rows = [
        fin("Programme team", "180000", "41000", "44500.50", "178000"),
        fin("Evaluation", "140000", "12000", "30000", "140000"),
        fin("Training", "60000", "9000", "15250.25", "61000"),
        fin("Interventions: Hospital navigators", "300000", "70000", "75000", "300000"),
        fin("Interventions: Custody navigators", "250000", "60000", "61000", "255000"),
        fin("Interventions: School navigators", "182500", "40000", "45000", "182500"),
        fin("Interventions: Focused deterrence", "100000", "20000", "20000", "100000"),
        fin("Interventions subtotal", "832500", "190000", "201000", "837500", "subtotal"),
        fin("Data sharing", "90000", "20000", "22000", "90000"),
        fin("Other", "41500", "5000", "5000", "41500"),
        fin("Unallocated", "166000", "0", "0", "0"),
    ]
    finance_total = {"allocation": Decimal("1510000"), "q1": Decimal("277000"), "q2": Decimal("317750.75"),
                     "ytd": Decimal("594750.75"), "forecast": Decimal("1348000"), "variance": Decimal("162000"),
                     "pct_spent": Decimal("0.3939")}

    rules = Table(
        title="Rule checks",
        columns=[
            Column("rule", "Rule"),
            Column("threshold", "Threshold", "percent"),
            Column("numerator", "Numerator", "money"),
            Column("denominator", "Denominator", "money"),
            Column("pct", "%", "percent"),
            Column("status", "Status", "status"),
        ],
        rows=[
            {"rule": "Interventions at least 30% of grant", "threshold": Decimal("0.30"),
             "numerator": Decimal("832500"), "denominator": Decimal("1510000"),
             "pct": Decimal("0.5513"), "status": "pass"},
            {"rule": "Evaluation at least 10% of interventions", "threshold": Decimal("0.10"),
             "numerator": Decimal("140000"), "denominator": Decimal("832500"),
             "pct": Decimal("0.1682"), "status": "pass"},
            {"rule": "Match funding at least 20% of grant", "threshold": Decimal("0.20"),
             "numerator": Decimal("294041.10"), "denominator": Decimal("1510000"),
             "pct": Decimal("0.1947"), "status": "fail"},
            {"rule": "Q4 spend share", "threshold": Decimal("0.40"), "numerator": None,
             "denominator": Decimal("1510000"), "pct": None, "status": "at_risk"},
            {"rule": "Secondments evidenced", "threshold": None, "numerator": None, "denominator": None,
             "pct": None, "status": "not_applicable"},
        ],
        note="Match is £7,958.90 short of the £302,000 required.",
    )
    match = Table(
        title="Match contributions",
        columns=[
            Column("contributor", "Contributor"),
            Column("type", "Cash / in-kind"),
            Column("basis", "Basis"),
            Column("quarter", "Quarter £", "money"),
            Column("ytd", "YTD £", "money"),
            Column("evidence", "Evidence", "status"),
            Column("received", "Evidence received", "date"),
        ],
        rows=[
            {"contributor": "Police: inspector (seconded)", "type": "In-kind", "basis": "1.0 FTE whole year",
             "quarter": Decimal("21250"), "ytd": Decimal("42500"), "evidence": "green",
             "received": dt.date(2024, 7, 5)},
            {"contributor": "Police: constable (seconded to 30 Sep 2024)", "type": "In-kind",
             "basis": "0.5 FTE, £30,000 × 183 / 365", "quarter": Decimal("7520.55"),
             "ytd": Decimal("15041.10"), "evidence": "amber", "received": None},
            {"contributor": MARKUP_NAME, "type": "Cash", "basis": "=1+1", "quarter": Decimal("12500"),
             "ytd": Decimal("25000"), "evidence": "red", "received": dt.date(2024, 9, 30)},
        ],
        total_row={"quarter": Decimal("41270.55"), "ytd": Decimal("82541.10")},
    )
    delivery_rows, delivery_total = _delivery_rows()
    delivery = Table(
        title="Delivery by programme",
        columns=[
            Column("programme", "Programme"),
            Column("category", "Home Office category"),
            Column("tier", "Tier"),
            Column("setting", "Setting"),
            Column("providers", "Providers"),
            Column("referrals", "Referrals received", "int"),
            Column("new_u25", "New this quarter: 24 and under", "int"),
            Column("new_25", "New this quarter: 25 and over", "int"),
            Column("new_unknown", "New this quarter: age not known", "int"),
            Column("new_ytd", "New people YTD", "int"),
            Column("target", "Target", "int"),
            Column("pct_target", "% of target", "percent"),
            Column("caseload", DELIVERY_HEADER, "int"),
            Column("contacts", "Contacts delivered", "int"),
            Column("trained_q", "Professionals trained: quarter", "int"),
            Column("trained_ytd", "Professionals trained: YTD", "int"),
            Column("trained_target", "Professionals trained: target", "int"),
        ],
        rows=delivery_rows,
        total_row=delivery_total,
        note="Subtotals are by Home Office category. A person counts once per programme per year.",
    )
    demographics = Table(
        title="Age band by sex",
        columns=[Column("band", "Age band"), Column("female", "Female", "int"), Column("male", "Male", "int"),
                 Column("other", "Other / not stated", "int"), Column("total", "Total", "int")],
        rows=[
            {"band": "Under 14", "female": 12, "male": 31, "other": 1, "total": 44},
            {"band": "14 to 17", "female": 96, "male": 303, "other": 4, "total": 403},
            {"band": "18 to 24", "female": 71, "male": 420, "other": 2, "total": 493},
            {"band": "25 and over", "female": 9, "male": 58, "other": 0, "total": 67},
            {"band": "Not known", "female": None, "male": 3, "other": None, "total": 3},
        ],
        total_row={"female": 188, "male": 815, "other": 7, "total": 1010},
    )
    ethnicity = Table(
        title="Ethnicity",
        columns=[Column("group", "Ethnic group"), Column("people", "People", "int"),
                 Column("share", "Share", "percent")],
        rows=[
            {"group": "White", "people": 512, "share": Decimal("0.5069")},
            {"group": "Black, Black British, Caribbean or African", "people": 233, "share": Decimal("0.2307")},
            {"group": "Mixed or multiple ethnic groups", "people": 141, "share": Decimal("0.1396")},
            {"group": "Asian or Asian British", "people": 88, "share": Decimal("0.0871")},
            {"group": "Other ethnic group", "people": 21, "share": Decimal("0.0208")},
            {"group": "Not stated", "people": 15, "share": Decimal("0.0149")},
        ],
        total_row={"people": 1010, "share": Decimal("1")},
    )
    exceptions = Table(
        title="Data-quality exceptions",
        columns=[Column("kind", "Exception"), Column("programme", "Programme"),
                 Column("count", "Records", "int"), Column("oldest", "Oldest", "date")],
        rows=[
            {"kind": "No date of birth", "programme": "Programme 03", "count": 4, "oldest": dt.date(2024, 7, 2)},
            {"kind": "No ethnicity recorded", "programme": MARKUP_NAME, "count": 11,
             "oldest": dt.date(2024, 6, 15)},
            {"kind": "Reached without referral date", "programme": "@SUM(A1)", "count": 1,
             "oldest": dt.date(2024, 9, 29)},
        ],
    )
    return Report(
        title=TITLE,
        subtitle="Violence Reduction Unit grant: navigator programmes",
        period_label=PERIOD,
        header=[
            ("VRU", "Example Violence Reduction Unit"),
            ("Senior responsible officer", "Jane Doe, Director"),
            ("Grant reference", "HO-VRU-2024-017"),
            ("Financial year", "2024-25"),
            ("Quarter", "Q2"),
            ("Period start", dt.date(2024, 7, 1)),
            ("Period end", dt.date(2024, 9, 30)),
            ("Version", 3),
            ("Prepared by", MARKUP_NAME),
            ("Approved by", None),
            ("Date", dt.date(2024, 10, 14)),
        ],
        sections=[
            Section("A", "A. Finance", tables=[Table("Grant spend by budget line", money, finance_rows,
                                                     total_row=finance_total)]),
            Section("B", "B. Rule checks", tables=[rules]),
            Section("C", "C. Match detail", tables=[match]),
            Section("D", "D. Delivery", tables=[delivery], charts=[_chart_programmes(delivery_rows)],
                    paragraphs=["Counts are of unique people reached in the period; control-arm "
                                "participants of randomised trials are never counted as reached."]),
            Section("E", "E. Demographics", tables=[demographics, ethnicity], charts=[
                Chart("People reached by age band", categories=[r["band"] for r in demographics.rows],
                      series=[("Female", [r["female"] for r in demographics.rows]),
                              ("Male", [r["male"] for r in demographics.rows])], kind="vbar")]),
            Section("G", "G. Narrative and exceptions", tables=[exceptions], paragraphs=[
                "Delivery in the hospital programme recovered after the July staffing gap. " * 4,
                "=cmd|' /C calc'!A0 is how a spreadsheet attack looks; here it is just text.",
                MARKUP_NAME + " joined the custody programme in August.",
            ]),
        ],
        notes=["Figures are exact counts for the Home Office; they are not suppressed.",
               "In-kind match is valued pro rata by days seconded in the year."],
        warnings=["3 data-quality exceptions are open: this return can be drafted but not locked.",
                  "Match funding is below the 20% minimum."],
        generated_at=dt.datetime(2024, 10, 14, 13, 5, 30, tzinfo=dt.UTC),
        classification="OFFICIAL-SENSITIVE",
    )


@pytest.fixture(scope="module")
def report() -> Report:
    return sample_report()


@pytest.fixture(scope="module")
def report_dict(report) -> dict:
    return report.to_dict()


def _table_dict(report_dict: dict, section_key: str, title: str) -> dict:
    section = next(s for s in report_dict["sections"] if s["key"] == section_key)
    return next(t for t in section["tables"] if t["title"] == title)


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------


class TestModel:
    def test_json_round_trip_gives_an_equal_report(self, report):
        data = json.loads(render_json(report))
        again = Report.from_dict(data)
        assert again == report
        delivery = again.sections[3].tables[0]
        assert isinstance(again.sections[0].tables[0].rows[0]["allocation"], Decimal)
        assert isinstance(again.sections[2].tables[0].rows[0]["received"], dt.date)
        assert delivery.is_subtotal(15) and not delivery.is_subtotal(0)
        assert again.header[5] == ("Period start", dt.date(2024, 7, 1))
        assert again.generated_at == report.generated_at

    def test_to_dict_keeps_exact_decimals_as_strings(self, report_dict):
        row = _table_dict(report_dict, "A", "Grant spend by budget line")["rows"][0]
        assert row["q2"] == "44500.50"
        assert row["pct_spent"] == "0.4750"
        assert row["q3"] is None
        json.dumps(report_dict)  # JSON-safe throughout

    def test_format_cell(self):
        assert format_cell(Decimal("1510000"), "money") == "£1,510,000"
        assert format_cell(Decimal("1510000.00"), "money") == "£1,510,000"
        assert format_cell(Decimal("15041.1"), "money") == "£15,041.10"
        assert format_cell(Decimal("-7958.90"), "money") == "-£7,958.90"
        assert format_money(Decimal("1510000"), pence=True) == "£1,510,000.00"
        assert format_cell(Decimal("0.5513"), "percent") == "55.1%"
        assert format_cell(Decimal("0.16815"), "percent") == "16.8%"
        assert format_cell(Decimal("-0.0001"), "percent") == "0.0%"
        assert format_cell(None, "percent") == "\u2014"
        assert format_cell(1234567, "int") == "1,234,567"
        assert format_cell(dt.date(2024, 6, 15), "date") == "15 Jun 2024"
        assert format_cell(dt.date(2024, 9, 5), "date") == "5 Sep 2024"
        assert [format_cell(s, "status") for s in ("pass", "at_risk", "fail")] == ["Pass", "At risk", "Fail"]
        assert format_cell("*", "int") == "*"
        assert format_cell(2024, "text") == "2024"

    def test_validate_rejects_values_that_do_not_fit_their_column(self):
        col = [Column("amount", "Amount", "money")]
        bad_cells = [
            {"amount": 1.5},  # float money is not exact
            {"amount": "12.50"},  # a number written as text
            {"amount": Decimal("NaN")},
            {"amuont": Decimal("1")},  # a typo for a column key
        ]
        for row in bad_cells:
            with pytest.raises(ReportError):
                Report("t", sections=[Section("s", "S", tables=[Table("x", col, [row])])]).validate()
        with pytest.raises(ReportError):
            Column("x", "X", "currency")
        with pytest.raises(ReportError):
            Report("t", sections=[Section("s", "S", tables=[
                Table("x", [Column("st", "Status", "status")], [{"st": "ok"}])])]).validate()
        with pytest.raises(ReportError):
            Report("t", header=[("Grant", Decimal("1"))]).validate()

    def test_suppression_markers_are_allowed_in_numeric_columns(self):
        table = Table("x", [Column("n", "N", "int"), Column("p", "P", "percent")], [{"n": "*", "p": "*"}])
        r = Report("t", sections=[Section("s", "S", tables=[table])], suppressed=True)
        assert Report.from_dict(json.loads(render_json(r))) == r
        rows = list(csv.reader(io.StringIO(render_csv(r).decode("utf-8-sig"))))
        assert ["*", "*"] in rows

    def test_report_for_html_formats_every_cell(self, report):
        html = report_for_html(report)
        finance = html["sections"][0]["tables"][0]
        # One money format per table: pence in any money cell of the table means pence in every one.
        assert finance["rows"][0]["cells"][1]["text"] == "£180,000.00"
        assert finance["rows"][1]["cells"][3]["text"] == "£30,000.00"
        assert finance["rows"][7]["subtotal"] is True
        assert finance["total"][0]["text"] == "Total"
        rules = html["sections"][1]["tables"][0]
        assert rules["rows"][2]["cells"][5] == {
            "text": "Fail", "kind": "status", "numeric": False, "status": "fail", "tone": "bad"}
        assert html["header"][5] == ("Period start", "1 Jul 2024")


# --------------------------------------------------------------------------
# Formula injection
# --------------------------------------------------------------------------


class TestNeutralise:
    @pytest.mark.parametrize("payload", PAYLOADS + [" =1+1", "\n@x", "\uff1dSUM(A1)"])
    def test_payloads_get_an_apostrophe(self, payload):
        assert neutralise(payload) == "'" + payload

    @pytest.mark.parametrize("value", ["Programme 01", "O'Neil", "", "1-2", "a=b", 5, -2, Decimal("-7958.90"), None])
    def test_safe_values_are_unchanged(self, value):
        assert neutralise(value) is value

    @given(st.text())
    def test_no_neutralised_text_starts_a_formula(self, text):
        out = neutralise(text)
        assert not is_dangerous(out)
        assert out in (text, "'" + text)


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


class TestCsv:
    @pytest.fixture(scope="class")
    def lines(self, report):
        data = render_csv(report)
        assert data.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))

    def _table(self, lines, heading, columns):
        start = lines.index([heading])
        assert lines[start + 1] == columns
        end = start + 2
        while end < len(lines) and lines[end]:
            end += 1
        return lines[start + 2:end]

    def test_delivery_table_has_exact_values_and_neutralised_payloads(self, lines, report_dict):
        table = _table_dict(report_dict, "D", "Delivery by programme")
        labels = [c["label"] for c in table["columns"]]
        # the note follows the title line
        start = lines.index(["D. Delivery \u2014 Delivery by programme"])
        assert lines[start + 1] == [table["note"]]
        header_at = start + 2
        assert lines[header_at] == labels
        rows = lines[header_at + 1: header_at + 1 + len(table["rows"]) + 1]
        for got, want in zip(rows, table["rows"] + [table["total_row"]], strict=True):
            for col, cell in zip(table["columns"], got, strict=True):
                value = want.get(col["key"])
                if value is None:
                    assert cell == ""
                elif isinstance(value, str):
                    assert cell == neutralise(value)
                else:
                    assert cell == str(value)
        providers = [r[labels.index("Providers")] for r in rows]
        for payload in PAYLOADS:
            assert "'" + payload in providers
        assert MARKUP_NAME in providers

    def test_money_and_percent_are_exact_not_formatted(self, lines):
        body = self._table(lines, "A. Finance \u2014 Grant spend by budget line",
                           ["Budget line", "Allocation", "Q1", "Q2", "Q3", "Q4", "Year to date",
                            "Forecast outturn", "Variance", "% spent"])
        assert body[0] == ["Programme team", "180000", "41000", "44500.50", "", "", "85500.50", "178000",
                           "2000", "0.4750"]
        assert body[-1][0] == "Total"
        assert body[-1][1] == "1510000"
        assert not any("£" in cell for row in body for cell in row)

    def test_no_cell_can_start_a_formula(self, lines):
        for row in lines:
            for cell in row:
                if cell and cell[0] in "=+-@\t\r":
                    assert re.fullmatch(r"-\d+(\.\d+)?", cell), cell  # a negative number, not text

    def test_dates_and_status_codes(self, lines):
        body = self._table(lines, "C. Match detail \u2014 Match contributions",
                           ["Contributor", "Cash / in-kind", "Basis", "Quarter £", "YTD £", "Evidence",
                            "Evidence received"])
        assert body[0][5:] == ["green", "2024-07-05"]
        assert body[2][:3] == [MARKUP_NAME, "Cash", "'=1+1"]
        assert body[-1] == ["Total", "", "", "41270.55", "82541.10", "", ""]


# --------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------


class TestXlsx:
    @pytest.fixture(scope="class")
    def data(self, report):
        return render_xlsx(report)

    @pytest.fixture(scope="class")
    def wb(self, data):
        return load_workbook(io.BytesIO(data))

    def test_no_cell_is_a_formula(self, wb, data):
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert len(cells) > 1000
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
            assert len(sheets) == 9
            for name in sheets:
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)

    def test_nothing_points_outside_the_workbook(self, data, wb):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                assert b'TargetMode="External"' not in z.read(name), name
                assert b"http://x" not in z.read(name) or name.startswith("xl/worksheets/sheet"), name
        links = [c.hyperlink for row in wb["Cover"].iter_rows() for c in row if c.hyperlink]
        assert len(links) == len(wb.sheetnames) - 1
        assert all(link.location and not link.target for link in links)

    def test_payloads_are_inert_text(self, wb):
        texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str)]
        for payload in PAYLOADS + ["=1+1"]:
            payload = payload.replace("\r", "\n")  # XLSX stores line breaks as LF
            assert "'" + payload in texts
            assert payload not in texts
        assert [t for t in texts if t.startswith("'=cmd|")]
        assert MARKUP_NAME in texts
        assert not [t for t in texts if is_dangerous(t)]

    def test_sheets_cover_and_one_per_section(self, wb, report):
        assert wb.sheetnames == ["Cover", "A. Finance", "B. Rule checks", "C. Match detail", "D. Delivery",
                                 "D. Delivery (charts)", "E. Demographics", "E. Demographics (charts)",
                                 "G. Narrative and exceptions"]
        assert len(wb["D. Delivery (charts)"]._charts) == 1
        cover = [c.value for row in wb["Cover"].iter_rows() for c in row if c.value is not None]
        assert TITLE in cover and PERIOD in cover and "OFFICIAL-SENSITIVE" in cover
        assert dt.datetime(2024, 7, 1) in cover  # header dates are real dates
        assert report.warnings[0] in cover and report.notes[1] in cover

    def test_delivery_numbers_match_the_json(self, wb, report_dict):
        table = _table_dict(report_dict, "D", "Delivery by programme")
        ws = wb["D. Delivery"]
        labels = [c["label"] for c in table["columns"]]
        header_row = next(r for r in ws.iter_rows() if [c.value for c in r[:len(labels)]] == labels)
        h = header_row[0].row
        assert ws.freeze_panes == f"A{h + 1}"
        for i, want in enumerate(table["rows"] + [table["total_row"]]):
            cells = ws[h + 1 + i][: len(labels)]
            for col, cell in zip(table["columns"], cells, strict=True):
                value = want.get(col["key"])
                if value is None:
                    assert cell.value is None
                elif col["kind"] == "int":
                    assert type(cell.value) is int and cell.value == value
                    assert cell.number_format == "#,##0"
                elif col["kind"] == "percent":
                    assert isinstance(cell.value, float)
                    assert Decimal(str(cell.value)) == Decimal(value)
                    assert cell.number_format == "0.0%"
        total_cell = ws[h + 1 + len(table["rows"])][0]
        assert total_cell.value == "Total" and total_cell.font.b

    def test_money_is_numeric_with_a_pound_format(self, wb, report_dict):
        table = _table_dict(report_dict, "A", "Grant spend by budget line")
        ws = wb["A. Finance"]
        h = next(r[0].row for r in ws.iter_rows() if r[0].value == "Budget line")
        for i, want in enumerate(table["rows"] + [table["total_row"]]):
            for j, col in enumerate(table["columns"][1:9], start=1):
                cell = ws.cell(row=h + 1 + i, column=j + 1)
                value = want.get(col["key"])
                if value is None:
                    assert cell.value is None
                    continue
                assert isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
                assert Decimal(str(cell.value)) == Decimal(value)
                assert "£" in cell.number_format

    def test_dates_are_dates_and_status_is_labelled(self, wb):
        ws = wb["C. Match detail"]
        h = next(r[0].row for r in ws.iter_rows() if r[0].value == "Contributor")
        assert ws.cell(row=h + 1, column=7).value == dt.datetime(2024, 7, 5)
        assert ws.cell(row=h + 1, column=7).is_date
        assert ws.cell(row=h + 2, column=6).value == "Amber"

    def test_sheet_names_are_legal_and_unique(self):
        used: set[str] = set()
        names = [sheet_name(t, used) for t in
                 ["A/B: [draft]?", "x" * 40, "x" * 40, "'quoted'", "History", "", "cover", "Cover"]]
        assert len({n.lower() for n in names}) == len(names)
        for n in names:
            assert 0 < len(n) <= 31 and not set(n) & set("[]:*?/\\")
            assert not n.startswith("'") and not n.endswith("'")
            assert n.lower() != "history"


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------


class TestPdf:
    @pytest.fixture(scope="class")
    def data(self, report):
        # Rendering must never touch the network.
        real_connect = socket.socket.connect

        def refuse(*args, **kwargs):
            raise AssertionError("the PDF renderer tried to open a network connection")

        socket.socket.connect = refuse
        try:
            return render_pdf(report)
        finally:
            socket.socket.connect = real_connect

    @pytest.fixture(scope="class")
    def pages(self, data):
        reader = PdfReader(io.BytesIO(data))
        return [" ".join(p.extract_text().split()) for p in reader.pages]

    def test_is_a_readable_multi_page_pdf(self, data, pages):
        assert data.startswith(b"%PDF-")
        assert len(pages) > 2

    def test_every_page_has_the_footer(self, pages):
        total = len(pages)
        for n, text in enumerate(pages, start=1):
            assert f"Page {n} of {total}" in text
            assert TITLE in text
            assert "OFFICIAL-SENSITIVE" in text

    def test_title_page(self, pages):
        first = pages[0]
        for expected in ("WAYPOINT", TITLE, PERIOD, "HO-VRU-2024-017", "1 Jul 2024", MARKUP_NAME,
                         "Generated 14 Oct 2024 at 14:05 BST", "2 warnings"):
            assert expected in first, expected

    def test_delivery_header_repeats_on_each_page_of_the_table(self, pages):
        first = next(i for i, t in enumerate(pages) if "Programme 01 —" in t)
        last = next(i for i, t in enumerate(pages) if "Programme 60 —" in t)
        assert last > first, "the 60-programme table should break across pages"
        for i in range(first, last + 1):
            assert DELIVERY_HEADER in pages[i], f"header missing on page {i + 1}"
            assert "Home Office category" in pages[i]

    def test_cells_are_escaped_and_values_formatted(self, pages):
        text = " ".join(pages)
        assert MARKUP_NAME in text
        assert '=HYPERLINK("http://x")' in text  # printed as text, not acted on
        assert "£1,510,000" in text and "£317,750.75" in text and "55.1%" in text and "At risk" in text
        assert "Lodz" in text.replace("Ł", "L").replace("ó", "o").replace("ź", "z")

    def test_nothing_is_fetched_or_linked(self, data):
        reader = PdfReader(io.BytesIO(data))
        for page in reader.pages:
            assert "/Annots" not in page
            resources = page.get("/Resources") or {}
            xobjects = resources.get("/XObject") or {}
            assert not [k for k, v in xobjects.items() if v.get_object().get("/Subtype") == "/Image"]
        for marker in (b"/URI", b"/Launch", b"/GoToR", b"/JavaScript", b"/ImageMask"):
            assert marker not in data

    def test_outline_has_every_section(self, data, report):
        reader = PdfReader(io.BytesIO(data))
        titles = [o.title for o in reader.outline]
        assert titles == [s.title for s in report.sections] + ["Notes and warnings"]
        pages = [reader.get_destination_page_number(o) for o in reader.outline]
        assert pages == sorted(pages) and pages[0] == 1 and len(set(pages)) == len(pages)

    def test_chart_is_split_into_readable_parts(self, pages):
        chart_pages = [t for t in pages if "Reach against target, year to date, by programme" in t]
        assert len(chart_pages) >= 3
        assert all("Reach YTD" in t and "Target" in t for t in chart_pages)
        assert "(1 of " in chart_pages[0]

    def test_markup_helpers(self):
        assert markup("a & b <c>\nd") == "a &amp; b &lt;c&gt;<br/>d"
        assert plain("Łukasz\x00 Żółć\t€") == "Lukasz Zólc €"


# --------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------


class TestRender:
    @pytest.mark.parametrize("fmt", sorted(RENDERERS))
    def test_each_format(self, report, fmt):
        data, mimetype, extension = render(report, fmt)
        assert extension == fmt
        signature = {"pdf": b"%PDF-", "xlsx": b"PK\x03\x04", "csv": b"\xef\xbb\xbf", "json": b"{"}[fmt]
        assert data.startswith(signature)
        assert mimetype.split(";")[0] in {"application/pdf", "text/csv", "application/json",
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

    @pytest.mark.parametrize("fmt", ["html", "PDF", "", None, "../etc/passwd"])
    def test_unknown_format_is_refused(self, report, fmt):
        with pytest.raises(ValueError, match="unknown report format"):
            render(report, fmt)

    def test_an_empty_report_renders_in_every_format(self):
        empty = Report("Empty", sections=[Section("x", "X", tables=[Table("Nothing", [Column("a", "A")])])])
        for fmt in RENDERERS:
            data, _, _ = render(empty, fmt)
            assert data
        assert "No rows." in PdfReader(io.BytesIO(render_pdf(empty))).pages[1].extract_text()


# --------------------------------------------------------------------------
# Properties: any model a builder can make survives every format
# --------------------------------------------------------------------------

_money = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
_fraction = st.decimals(min_value=0, max_value=2, places=4, allow_nan=False, allow_infinity=False)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_row = st.fixed_dictionaries({
    "name": st.none() | _text,
    "n": st.none() | st.integers(-10**12, 10**12),
    "amount": st.none() | _money,
    "share": st.none() | _fraction,
    "on": st.none() | st.dates(),
    "status": st.none() | st.sampled_from(["pass", "at_risk", "fail", "not_applicable", "green", "amber", "red"]),
})
_COLUMNS = [Column("name", "Name"), Column("n", "N", "int"), Column("amount", "Amount", "money"),
            Column("share", "Share", "percent"), Column("on", "On", "date"), Column("status", "Status", "status")]


def _random_report(rows, title, chart_values):
    return Report(
        title=title,
        header=[("When", dt.date(2024, 1, 1)), ("Who", title), ("Version", 2), ("At", dt.datetime(2024, 1, 1, 9))],
        sections=[Section("s", title or "S", tables=[Table(title, _COLUMNS, rows, total_row=rows[0] if rows else None)],
                          charts=[Chart(title, ["a", "b"], [(title, chart_values)])])],
        notes=[title], warnings=[title],
        generated_at=dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC),
    )


@given(st.lists(_row, max_size=6), _text, st.lists(st.none() | _money | st.integers(0, 10**6), min_size=2, max_size=2))
def test_any_report_round_trips_through_json(rows, title, chart_values):
    r = _random_report(rows, title, chart_values)
    again = Report.from_dict(json.loads(render_json(r)))
    assert again == r
    for got, want in zip(again.sections[0].tables[0].rows, rows, strict=True):
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in want.items()}


@settings(max_examples=25, deadline=None)
@given(st.lists(_row, min_size=1, max_size=4), _text)
def test_no_text_ever_becomes_a_formula(rows, title):
    r = _random_report(rows, title, [1, 2])
    wb = load_workbook(io.BytesIO(render_xlsx(r)))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not is_dangerous(cell.value)
    for line in csv.reader(io.StringIO(render_csv(r).decode("utf-8-sig"), newline="")):
        for cell in line:
            assert not is_dangerous(cell) or re.fullmatch(r"-\d+(\.\d+)?", cell)


@settings(max_examples=10, deadline=None)
@given(st.lists(_row, min_size=1, max_size=3), _text)
def test_any_text_renders_to_pdf(rows, title):
    data = render_pdf(_random_report(rows, title, [None, 3]))
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2


def test_a_table_too_wide_for_the_page_is_squeezed_onto_it():
    columns = [Column("label", "A rather long programme label")] + [
        Column(f"c{i}", f"Measure number {i} with a long heading", "money") for i in range(30)]
    row = {"label": "x" * 300, **{f"c{i}": Decimal("123456789.12") for i in range(30)}}
    r = Report("Wide", sections=[Section("w", "Wide", tables=[Table("Wide", columns, [row] * 3)])])
    pages = PdfReader(io.BytesIO(render_pdf(r))).pages
    assert len(pages) >= 2
    for page in pages:
        assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape throughout
    from app.documents.pdf.style import FRAME_WIDTH, TABLE_FONT_SIZES
    from app.documents.pdf.tables import TableLayout
    cells = [[format_cell(row.get(c.key), c.kind) for c in columns]]
    layout = TableLayout(r.sections[0].tables[0], cells, set(), FRAME_WIDTH)
    assert sum(layout.widths) == pytest.approx(FRAME_WIDTH)
    assert layout.font_size == TABLE_FONT_SIZES[-1]


def test_duplicate_section_keys_are_refused():
    with pytest.raises(ReportError, match="used twice"):
        Report("t", sections=[Section("a", "A"), Section("a", "A again")]).validate()
