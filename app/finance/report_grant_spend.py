"""The grant-spend report: spend by line and quarter against allocation, and every grant rule on
plan and on outturn (DOMAIN.md §4). Finance's evidence to the Home Office that the 30% and 10%
rules are met."""
from __future__ import annotations

from decimal import Decimal

from app.finance.models import LineType
from app.periods import quarter_label
from app.finance.report_sections import finance_table, header_for, load_figures, rules_tables
from app.documents import Chart, Column, Report, Section, Table

ZERO = Decimal(0)


def _summary(f) -> Table:
    total_ytd = sum((line.ytd(f.as_at) for line in f.lines), ZERO)
    total_outturn = sum((line.outturn(f.as_at) for line in f.lines), ZERO)
    rows = [
        {"item": "Grant allocation", "amount": f.grant.allocation},
        {"item": "Budget lines (plan)", "amount": sum((line.planned for line in f.lines), ZERO)},
        {"item": "Unallocated", "amount": f.unallocated},
        {"item": f"Actual spend to the end of Q{f.as_at}", "amount": total_ytd},
        {"item": "Forecast outturn", "amount": total_outturn},
        {"item": "Underspend on outturn (allocation − outturn)", "amount": f.grant.allocation - total_outturn},
    ]
    return Table(title="Summary", columns=[Column("item", "Figure"), Column("amount", "£", "money")], rows=rows)


def _chart(f) -> Chart:
    categories = [f"Q{q}" for q in (1, 2, 3, 4)]
    interventions = [sum((ln.shown(q, f.as_at) for ln in f.lines if ln.line_type is LineType.INTERVENTION), ZERO)
                     for q in (1, 2, 3, 4)]
    other = [f.quarter_total(q) - interventions[q - 1] for q in (1, 2, 3, 4)]
    return Chart(title="Spend by quarter (actual to date, then forecast)", categories=categories,
                 series=[("Interventions", interventions), ("Everything else", other)], kind="vbar",
                 value_kind="money")


def build_grant_spend(fy: int, quarter: int | None = None) -> Report:
    f = load_figures(fy, quarter)
    sections = [
        Section(key="summary", title="Summary", tables=[_summary(f)], charts=[_chart(f)]),
        Section(key="spend", title="Spend by budget line and quarter",
                tables=[finance_table(f, forecast_quarters=True)], paragraphs=list(f.notes)),
        Section(key="rules", title="Grant rules", tables=rules_tables(f)),
    ]
    warnings = [f"{c.title}: {c.outturn.message}" for c in f.checks
                if c.decides and c.outturn.status.value in ("at_risk", "fail")]
    return Report(title="Grant spend", subtitle=f"{f.grant.funder} grant {f.label}",
                  period_label=quarter_label(fy, f.as_at), header=header_for(f), sections=sections,
                  warnings=warnings, classification="OFFICIAL",
                  notes=["Money is exact to the penny. Percentages are worked out from exact amounts and shown to "
                         "one decimal place (more where rounding would put a figure on its threshold).",
                         "Spend counts in the year of the grant that funded it."])
