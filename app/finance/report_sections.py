"""Sections A (Finance), B (Rule checks) and C (Match detail) of the quarterly return (DOMAIN.md §5).

``finance_sections(fy, quarter)`` is what the quarterly-return builder calls. The figures come
from app.finance.figures (SQL sums + the pure rules), the same as the finance dashboard.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from app.db import db
from app.documents.formatting import format_points
from app.finance import figures as fig
from app.finance import rules
from app.finance.models import GrantYear, LineType
from app.periods import fy_label, quarter_bounds, quarter_label
from app.documents import SUBTOTAL, Column, Report, Section, Table
from app.auth.models import Organisation, OrganisationKind

ZERO = Decimal(0)


class NoGrantYear(LookupError):
    """No grant year is set up for the FY asked for."""


def load_figures(fy: int, quarter: int | None) -> fig.YearFigures:
    grant = db.session.execute(sa.select(GrantYear).where(GrantYear.fy == fy)).scalar_one_or_none()
    if grant is None:
        raise NoGrantYear(f"No grant year is set up for {fy_label(fy)}")
    return fig.year_figures(grant, quarter)


def _pct(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if not denominator else numerator / denominator


# --- A. Finance ---------------------------------------------------------------------------------


def _line_row(f: fig.YearFigures, line: fig.LineFigures, *, forecast_quarters: bool) -> dict:
    row: dict = {"line": line.name + (f" ({line.foreign_label} line)" if line.foreign_label else ""),
                 "allocation": line.planned}
    for q in fig.QUARTERS:
        if q <= f.as_at:
            row[f"q{q}"] = line.actual[q]
        else:
            row[f"q{q}"] = line.forecast[q] if forecast_quarters else None
    row["ytd"] = line.ytd(f.as_at)
    row["outturn"] = line.outturn(f.as_at)
    row["variance"] = line.underspend(f.as_at)
    row["pct_spent"] = _pct(row["ytd"], line.planned)
    return row


def _sum_rows(rows: list[dict], label: str, keys: list[str]) -> dict:
    out: dict = {"line": label}
    for key in keys:
        values = [r[key] for r in rows if r.get(key) is not None]
        out[key] = sum(values, ZERO) if values else None
    out["pct_spent"] = _pct(out["ytd"], out["allocation"])
    return out


def finance_table(f: fig.YearFigures, *, forecast_quarters: bool = False) -> Table:
    """Rows: programme team, evaluation, training, interventions (+ subtotal), data sharing, other,
    unallocated, total; columns: allocation, Q1–Q4, YTD, forecast outturn, variance, % spent."""
    later_q = " (forecast)" if forecast_quarters else ""
    columns = [Column("line", "Budget line"), Column("allocation", "Allocation", "money")]
    for q in fig.QUARTERS:
        columns.append(Column(f"q{q}", f"Q{q}" + (later_q if q > f.as_at else ""), "money"))
    columns += [Column("ytd", "Year to date", "money"), Column("outturn", "Forecast outturn", "money"),
                Column("variance", "Variance (under / -over)", "money"), Column("pct_spent", "% spent", "percent")]
    keys = ["allocation", "q1", "q2", "q3", "q4", "ytd", "outturn", "variance"]
    rows: list[dict] = []
    all_rows: list[dict] = []
    for line_type in (LineType.PROGRAMME_TEAM, LineType.EVALUATION, LineType.TRAINING, LineType.INTERVENTION,
                      LineType.DATA_SHARING, LineType.OTHER):
        group = [_line_row(f, line, forecast_quarters=forecast_quarters)
                 for line in f.lines if line.line_type is line_type]
        if line_type is LineType.INTERVENTION:
            for r in group:
                r["line"] = f"Intervention: {r['line']}"
            rows += group
            subtotal = _sum_rows(group, "Interventions subtotal", keys)
            subtotal["_style"] = SUBTOTAL
            rows.append(subtotal)
        else:
            rows += group
        all_rows += group
    rows.append({"line": "Unallocated", "allocation": f.unallocated, "variance": f.unallocated})
    total = _sum_rows(all_rows, "Total", keys)
    total["allocation"] = f.grant.allocation
    total["variance"] = rules.underspend(f.grant.allocation, total["ytd"], total["outturn"] - total["ytd"])
    total["pct_spent"] = _pct(total["ytd"], f.grant.allocation)
    note = (f"Actual spend to the end of Q{f.as_at}; "
            + ("later quarters are forecasts. " if forecast_quarters and f.as_at < 4 else "")
            + "Forecast outturn = actual to date + forecast for the rest of the year. "
            "Variance = allocation − forecast outturn.")
    return Table(title=f"Spend against allocation, {quarter_label(f.grant.fy, f.as_at)}", columns=columns,
                 rows=rows, total_row=total, note=note)


# --- B. Rule checks -----------------------------------------------------------------------------


RULE_COLUMNS = [
    Column("rule", "Rule"), Column("threshold", "Threshold", "percent"),
    Column("numerator", "Numerator", "money"), Column("denominator", "Denominator", "money"),
    Column("result", "Result"), Column("status", "Status", "status"), Column("detail", "Detail"),
]


def _rule_row(title: str, result: rules.RuleResult) -> dict:
    return {"rule": title, "threshold": result.threshold, "numerator": result.numerator,
            "denominator": result.denominator, "result": result.percentage_text, "status": result.status.value,
            "detail": result.message}


def _title(check: fig.RulePair) -> str:
    return check.title if check.decides else f"{check.title} (for information)"


def rules_tables(f: fig.YearFigures) -> list[Table]:
    basis = "year-end outturn" if f.final else f"outturn as at {quarter_label(f.grant.fy, f.as_at)}"
    outturn = Table(title=f"Rule checks on {basis} (actual + forecast)", columns=RULE_COLUMNS,
                    rows=[_rule_row(_title(c), c.outturn) for c in f.checks],
                    note="In-year shortfalls are 'at risk'; compliance is judged at year end on outturn. "
                         "The stricter 10% measure is shown for information; the other decides. Settings: "
                         + "; ".join(f"{label}: {value}" for label, value in f.settings.rows) + ".")
    plan = Table(title="Rule checks on plan (budget lines; match counting every pledge)", columns=RULE_COLUMNS,
                 rows=[_rule_row(_title(c), c.plan) for c in f.checks])
    return [outturn, plan]


# --- C. Match detail ----------------------------------------------------------------------------


def match_table(f: fig.YearFigures, quarter: int) -> Table:
    columns = [Column("contributor", "Contributor"), Column("kind", "Cash / in kind"), Column("basis", "Basis"),
               Column("quarter", f"Q{quarter} £", "money"), Column("ytd", "Year to date £", "money"),
               Column("year", "Full year £", "money"), Column("status", "Evidence status"),
               Column("evidence", "Evidence")]
    rows = [{"contributor": m.contributor, "kind": m.kind.label, "basis": m.basis, "quarter": m.by_quarter[quarter],
             "ytd": m.ytd(quarter), "year": m.year, "status": m.status.label, "evidence": m.evidence_note}
            for m in f.match_lines]
    total = {"contributor": "Total", "quarter": sum((r["quarter"] for r in rows), ZERO),
             "ytd": sum((r["ytd"] for r in rows), ZERO), "year": sum((r["year"] for r in rows), ZERO)}
    return Table(title="Match contributions", columns=columns, rows=rows, total_row=total)


def match_summary_table(f: fig.YearFigures) -> Table:
    result = f.check("match_funding").outturn
    d = result.details
    accepted_cash = d.get("accepted_cash", ZERO)
    accepted_in_kind = d.get("accepted_in_kind", ZERO)
    rows = [
        {"item": f"Required: {format_points(f.grant.match_pct)} of the {rules.format_money(f.grant.allocation)} grant",
         "amount": f.match_required},
        {"item": "Accepted cash", "amount": accepted_cash},
        {"item": "Accepted in kind", "amount": accepted_in_kind},
        {"item": "Accepted in total (counts towards the rule)", "amount": d.get("accepted_total", ZERO),
         "_style": SUBTOTAL},
        {"item": "Pledged or evidenced but not yet accepted (at risk, not counted)", "amount": d.get("at_risk", ZERO)},
        {"item": "Shortfall against the requirement", "amount": result.shortfall},
    ]
    return Table(title="Match funding against the requirement",
                 columns=[Column("item", "Match funding"), Column("amount", "£", "money")], rows=rows,
                 note=result.message)


def _in_kind_note(f: fig.YearFigures) -> list[str]:
    if not any(m.secondment for m in f.match_lines):
        return []
    return ["Secondment in-kind value = annual loaded cost × FTE × days seconded in the year ÷ days in the year "
            "(both ends counted, rounded to the penny). Quarterly amounts are differences of rounded year-to-date "
            "values, so they add up to the year."]


def finance_sections(fy: int, quarter: int) -> list[Section]:
    """Sections A–C of the quarterly return for (fy, quarter)."""
    f = load_figures(fy, quarter)
    a = Section(key="A", title="A. Finance", tables=[finance_table(f)], paragraphs=list(f.notes))
    b = Section(key="B", title="B. Rule checks", tables=rules_tables(f))
    c = Section(key="C", title="C. Match detail", tables=[match_table(f, quarter), match_summary_table(f)],
                paragraphs=_in_kind_note(f))
    return [a, b, c]


def header_for(f: fig.YearFigures) -> list[tuple[str, object]]:

    vru = db.session.execute(sa.select(Organisation.name).where(Organisation.kind == OrganisationKind.VRU)
                             .order_by(Organisation.id).limit(1)).scalar_one_or_none()
    _, end = quarter_bounds(f.grant.fy, f.as_at)
    return [("VRU", vru), ("Funder", f.grant.funder), ("Grant reference", f.grant.grant_reference),
            ("Senior responsible officer", f.grant.sro_name), ("Financial year", f.label),
            ("Figures as at", f"Q{f.as_at} (to {end.day} {end:%b %Y})")]


def build_return_finance(fy: int, quarter: int | None = None) -> Report:
    """Finance's own copy of sections A–C, for checking before the programme office compiles the return."""
    f = load_figures(fy, quarter)
    return Report(title="Quarterly return: finance sections", subtitle="Sections A to C",
                  period_label=quarter_label(fy, f.as_at), header=header_for(f),
                  sections=finance_sections(fy, f.as_at), classification="OFFICIAL")
