"""The match-funding report: every contribution and secondment, the in-kind working, and the
match rule with pledges at risk (DOMAIN.md §4)."""
from __future__ import annotations

from decimal import Decimal

from app.finance import rules
from app.finance.models import MatchStatus
from app.periods import days_in_fy, quarter_label
from app.finance.report_sections import (
    _in_kind_note, header_for, load_figures, match_summary_table, match_table, rules_tables,
)
from app.documents import Column, Report, Section, Table

ZERO = Decimal(0)


def _secondment_table(f) -> Table:
    rows = []
    for m in f.match_lines:
        s = m.secondment
        if s is None:
            continue
        days = rules.seconded_days_in_fy(s.starts_on, s.ends_on, f.grant.fy)
        rows.append({"contributor": s.contributor, "role": s.role, "fte": f"{s.fte.normalize():f}",
                     "starts": s.starts_on, "ends": s.ends_on, "cost": s.annual_loaded_cost,
                     "days": days, "value": m.year, "status": s.status.label})
    total = {"contributor": "Total", "value": sum((r["value"] for r in rows), ZERO)}
    return Table(
        title="Secondments: in-kind value in the year",
        columns=[Column("contributor", "Seconded by"), Column("role", "Role"), Column("fte", "FTE"),
                 Column("starts", "Starts", "date"), Column("ends", "Ends", "date"),
                 Column("cost", "Annual loaded cost", "money"), Column("days", "Days in year", "int"),
                 Column("value", "In-kind value", "money"), Column("status", "Evidence status")],
        rows=rows, total_row=total,
        note=f"Value = annual loaded cost × FTE × days seconded ÷ {days_in_fy(f.grant.fy)} days in {f.label}.")


def build_match_funding(fy: int, quarter: int | None = None) -> Report:
    f = load_figures(fy, quarter)
    pair = f.check("match_funding")
    at_risk = [m for m in f.match_lines if m.status is not MatchStatus.ACCEPTED]
    paragraphs = []
    if at_risk:
        paragraphs.append("Not yet accepted, so at risk and not counted: " + "; ".join(
            f"{m.contributor} ({m.status.label.lower()}, {rules.format_money(m.year)})" for m in at_risk) + ".")
    match_rules = [t for t in rules_tables(f)]
    for table in match_rules:
        table.rows = [r for r in table.rows if r["rule"].startswith("Match")]
        table.note = None
    sections = [
        Section(key="summary", title="Match funding against the requirement",
                tables=[match_summary_table(f)] + match_rules, paragraphs=paragraphs),
        Section(key="detail", title="Contributions", tables=[match_table(f, f.as_at)]),
        Section(key="secondments", title="Secondments", tables=[_secondment_table(f)], paragraphs=_in_kind_note(f)),
    ]
    warnings = [pair.outturn.message] if pair.outturn.status.value in ("at_risk", "fail") else []
    return Report(title="Match funding", subtitle=f"{f.grant.funder} grant {f.label}",
                  period_label=quarter_label(fy, f.as_at), header=header_for(f), sections=sections,
                  warnings=warnings, classification="OFFICIAL",
                  notes=["Only accepted contributions count towards the requirement; pledged and evidenced "
                         "amounts are shown at risk."])
