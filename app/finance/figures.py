"""A grant year's figures and rule checks, on plan and on outturn, as at a quarter (DOMAIN.md §4).

Sums come from SQL (queries.spend_totals); this module only arranges them and asks the pure
rules in rules.py for every judgement, so the dashboard, the reports and the quarterly return
all show the same figures.

Outturn as at quarter q = actual spend in quarters 1..q + forecast spend in quarters q+1..4 (+ any
spend the grant funds after its year ends). Forecasts for quarters already closed are superseded
by the actuals, so nobody has to delete them. The plan is the budget lines; the planned spend
profile (for the Q4 check) is the year's forecasts as entered.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from flask import current_app

from app.finance import queries, rules
from app.finance.models import LINE_ORDER, GrantYear, LineType, MatchKind, MatchStatus, Secondment, SpendKind
from app.periods import fy_bounds, fy_label, quarter_bounds, quarter_of

ZERO = Decimal(0)
QUARTERS = (1, 2, 3, 4)


def evaluation_basis() -> str:
    """Which 10% measure decides (setting FINANCE_EVALUATION_BASIS, read in config.py)."""
    return current_app.config["FINANCE_EVALUATION_BASIS"]


def q4_threshold() -> Decimal:
    return Decimal(current_app.config["FINANCE_Q4_THRESHOLD"])


def intervention_types() -> tuple[LineType, ...]:
    """Line types whose spend counts as intervention spend (setting FINANCE_INTERVENTION_LINE_TYPES)."""
    return tuple(LineType(t) for t in current_app.config["FINANCE_INTERVENTION_LINE_TYPES"])


EVALUATION_BASIS_TEXT = {
    "of_interventions": "evaluation ÷ interventions",
    "of_interventions_plus_evaluation": "evaluation ÷ (interventions + evaluation)",
}


@dataclass(frozen=True)
class Settings:
    """The rule settings in force, as shown on the dashboard and in the reports."""

    evaluation_basis: str
    q4_threshold: Decimal
    intervention_types: tuple[LineType, ...]

    @property
    def rows(self) -> list[tuple[str, str]]:
        return [
            ("Line types counted as intervention spend (30% rule)",
             ", ".join(t.label for t in self.intervention_types)),
            ("10% rule decided by", EVALUATION_BASIS_TEXT[self.evaluation_basis]),
            ("Q4 spend warning above", f"{(self.q4_threshold * 100).normalize():f}%"),
        ]


def settings() -> Settings:
    return Settings(evaluation_basis(), q4_threshold(), intervention_types())


@dataclass
class LineFigures:
    key: str  # "line-<id>"; foreign lines keep their own id
    name: str
    line_type: LineType
    programme: str | None
    planned: Decimal
    actual: dict[int, Decimal] = field(default_factory=lambda: {q: ZERO for q in QUARTERS})
    forecast: dict[int, Decimal] = field(default_factory=lambda: {q: ZERO for q in QUARTERS})
    later_actual: Decimal = ZERO  # funded by this grant, incurred after its year ended
    later_forecast: Decimal = ZERO
    funded_elsewhere: list[tuple[str, Decimal]] = field(default_factory=list)
    foreign_label: str | None = None

    def shown(self, quarter: int, as_at: int) -> Decimal:
        return self.actual[quarter] if quarter <= as_at else self.forecast[quarter]

    def ytd(self, as_at: int) -> Decimal:
        return sum((self.actual[q] for q in QUARTERS if q <= as_at), ZERO)

    def outturn(self, as_at: int) -> Decimal:
        return self.ytd(as_at) + self.remaining_forecast(as_at) + self.later()

    def remaining_forecast(self, as_at: int) -> Decimal:
        return sum((self.forecast[q] for q in QUARTERS if q > as_at), ZERO)

    def later(self) -> Decimal:
        return self.later_actual + self.later_forecast

    def underspend(self, as_at: int) -> Decimal:
        return rules.underspend(self.planned, self.ytd(as_at) + self.later_actual,
                                self.remaining_forecast(as_at) + self.later_forecast)


@dataclass
class MatchLine:
    contributor: str
    kind: MatchKind
    basis: str
    status: MatchStatus
    year: Decimal
    by_quarter: dict[int, Decimal]
    evidence_note: str | None
    secondment: Secondment | None = None
    contribution_id: int | None = None

    def ytd(self, as_at: int) -> Decimal:
        return sum((self.by_quarter[q] for q in QUARTERS if q <= as_at), ZERO)


@dataclass
class RulePair:
    title: str
    plan: rules.RuleResult
    outturn: rules.RuleResult
    decides: bool = True


@dataclass
class YearFigures:
    grant: GrantYear
    as_at: int
    final: bool
    lines: list[LineFigures]
    match_lines: list[MatchLine]
    checks: list[RulePair]
    unallocated: Decimal
    match_required: Decimal
    notes: list[str]
    settings: Settings | None = None

    @property
    def label(self) -> str:
        return fy_label(self.grant.fy)

    def total(self, attr: str, *args) -> Decimal:
        values = (getattr(line, attr) for line in self.lines)
        return sum((v(*args) if callable(v) else v for v in values), ZERO)

    def quarter_total(self, quarter: int) -> Decimal:
        return sum((line.shown(quarter, self.as_at) for line in self.lines), ZERO)

    def has_later(self) -> bool:
        return any(line.later() for line in self.lines)

    def check(self, name: str) -> RulePair:
        return next(c for c in self.checks if c.plan.name == name and c.decides)


def secondment_by_quarter(s: Secondment, fy: int) -> tuple[Decimal, dict[int, Decimal]]:
    """In-kind value in the year and in each quarter; the quarters add up to the year exactly,
    because each is the difference of rounded year-to-date values."""
    year = rules.secondment_in_kind(s.annual_loaded_cost, s.fte, s.starts_on, s.ends_on, fy)
    out: dict[int, Decimal] = {}
    previous = ZERO
    for q in QUARTERS:
        _, q_end = quarter_bounds(fy, q)
        if s.starts_on > q_end:
            to_date = ZERO
        else:
            end = q_end if s.ends_on is None else min(s.ends_on, q_end)
            to_date = rules.secondment_in_kind(s.annual_loaded_cost, s.fte, s.starts_on, end, fy)
        out[q] = to_date - previous
        previous = to_date
    return year, out


def _secondment_basis(s: Secondment) -> str:
    ends = s.ends_on.strftime("%-d %b %Y") if s.ends_on else "ongoing"
    return (f"Secondment: {s.role}, {s.fte.normalize():f} FTE, {s.starts_on:%-d %b %Y} to {ends}, "
            f"{rules.format_money(s.annual_loaded_cost)} a year loaded cost")


def latest_actual_quarter(grant: GrantYear, today: date | None = None) -> int:
    """The quarter figures are shown as at by default: Q4 once the year is over (its figures are final, so a
    shortfall is a fail, not "at risk"), otherwise the latest quarter with actual spend."""
    _, year_end = fy_bounds(grant.fy)
    if (today or date.today()) > year_end:
        return 4
    quarters = [row.quarter for row in queries.spend_totals(grant)
                if row.kind is SpendKind.ACTUAL and row.fy == grant.fy]
    return max(quarters, default=1)


def year_figures(grant: GrantYear, as_at: int | None = None) -> YearFigures:
    as_at = as_at or latest_actual_quarter(grant)
    final = as_at == 4
    lines: dict[int, LineFigures] = {}
    own = queries.lines_of(grant)
    for line in own:
        lines[line.id] = LineFigures(
            key=f"line-{line.id}", name=line.name, line_type=line.line_type,
            programme=line.programme.name if line.programme else None, planned=line.planned)

    totals = queries.spend_totals(grant)
    foreign_ids = {row.line_id for row in totals if row.line_id not in lines}
    alias: dict[int, int] = {}
    for line in queries.foreign_lines(foreign_ids):
        # Spend on a later year's line that this grant paid for goes on this year's matching line.
        match = next((o for o in own if o.line_type == line.line_type and (
            (line.programme_id and o.programme_id == line.programme_id) or o.name.lower() == line.name.lower())), None)
        if match is not None:
            alias[line.id] = match.id
        else:
            lines[line.id] = LineFigures(
                key=f"line-{line.id}", name=line.name, line_type=line.line_type,
                programme=line.programme.name if line.programme else None, planned=ZERO,
                foreign_label=fy_label(line.grant_year.fy))
    for row in totals:
        figures = lines[alias.get(row.line_id, row.line_id)]
        amount = Decimal(row.total)
        if row.fy == grant.fy:
            target = figures.actual if row.kind is SpendKind.ACTUAL else figures.forecast
            target[row.quarter] += amount
        elif row.kind is SpendKind.ACTUAL:
            figures.later_actual += amount
        else:
            figures.later_forecast += amount
    notes: list[str] = []
    for row in queries.spend_funded_elsewhere(grant):
        figures = lines[row.line_id]
        figures.funded_elsewhere.append((fy_label(row.fy), Decimal(row.total)))
    for figures in lines.values():
        if figures.funded_elsewhere:
            parts = ", ".join(f"{rules.format_money(v)} by the {y} grant" for y, v in figures.funded_elsewhere)
            notes.append(f"{figures.name}: spend in {fy_label(grant.fy)} funded {parts} counts in that grant's "
                         "year, not here.")
        if figures.foreign_label:
            notes.append(f"{figures.name}: a {figures.foreign_label} line paid for by the {fy_label(grant.fy)} grant.")
        if figures.later():
            notes.append(f"{figures.name}: {rules.format_money(figures.later())} incurred after 31 March "
                         f"{grant.fy + 1} is funded by this grant and counts in its outturn.")

    ordered = sorted(lines.values(), key=lambda f: (LINE_ORDER.index(f.line_type), f.foreign_label or "",
                                                    f.key if f.line_type is not LineType.INTERVENTION else f.name))
    match_lines = _match_lines(grant)
    figures = YearFigures(
        grant=grant, as_at=as_at, final=final, lines=ordered, match_lines=match_lines, checks=[],
        unallocated=rules.unallocated(grant.allocation, [line.planned for line in own]),
        match_required=rules.match_required(grant.allocation, grant.match_pct), notes=notes,
        settings=settings())
    figures.checks = _checks(figures)
    return figures


def _match_lines(grant: GrantYear) -> list[MatchLine]:
    out: list[MatchLine] = []
    for c in queries.contributions(grant):
        by_q = {q: ZERO for q in QUARTERS}
        # Received outside the year (a late cheque) it still belongs to the nearest quarter of this year.
        start, end = fy_bounds(grant.fy)
        quarter = 1 if c.received_on < start else 4 if c.received_on > end else quarter_of(c.received_on)
        by_q[quarter] += c.amount
        out.append(MatchLine(c.contributor, c.kind, c.basis, c.status, c.amount, by_q, c.evidence_note,
                             contribution_id=c.id))
    for s in queries.secondments_overlapping(grant.fy):
        year, by_q = secondment_by_quarter(s, grant.fy)
        out.append(MatchLine(s.contributor, MatchKind.IN_KIND, _secondment_basis(s), s.status, year, by_q,
                             s.evidence_note, secondment=s))
    return out


def _sum(items, kinds: tuple[LineType, ...], fn) -> Decimal:
    return sum((fn(line) for line in items if line.line_type in kinds), ZERO)


def _checks(f: YearFigures) -> list[RulePair]:
    grant = f.grant.allocation
    final = f.final
    counted = intervention_types()
    plan_i = _sum(f.lines, counted, lambda x: x.planned)
    plan_e = _sum(f.lines, (LineType.EVALUATION,), lambda x: x.planned)
    out_i = _sum(f.lines, counted, lambda x: x.outturn(f.as_at))
    out_e = _sum(f.lines, (LineType.EVALUATION,), lambda x: x.outturn(f.as_at))
    basis = evaluation_basis()
    other = "of_interventions_plus_evaluation" if basis == "of_interventions" else "of_interventions"
    ev_titles = {"of_interventions": "10% rule: evaluation ÷ interventions",
                 "of_interventions_plus_evaluation": "10% rule, stricter: evaluation ÷ (interventions + evaluation)"}

    def match(plan: bool) -> rules.RuleResult:
        # Judged the same way on plan and outturn (DOMAIN.md §4, decided): accepted counts; pledged and
        # evidenced amounts are what would cover a shortfall ("at risk"), never counted.
        cash = in_kind = at_risk = ZERO
        for m in f.match_lines:
            if m.status is MatchStatus.ACCEPTED and m.kind is MatchKind.CASH:
                cash += m.year
            elif m.status is MatchStatus.ACCEPTED:
                in_kind += m.year
            else:
                at_risk += m.year
        return rules.match_funding(cash, in_kind, at_risk, grant, f.grant.match_pct, final=final and not plan)

    plan_profile = {q: sum((line.forecast[q] for line in f.lines), ZERO) for q in QUARTERS}
    out_profile = {q: f.quarter_total(q) for q in QUARTERS}
    q4_plan = rules.q4_share(plan_profile, q4_threshold())
    if q4_plan.status is rules.RuleStatus.NOT_APPLICABLE:
        q4_plan = replace(q4_plan, message="No forecast profile is recorded for the year, so the planned "
                                           "Q4 share cannot be checked.")
    return [
        RulePair("30% rule: interventions ÷ grant",
                 rules.intervention_share(plan_i, grant, final=False),
                 rules.intervention_share(out_i, grant, final=final)),
        RulePair(ev_titles[basis],
                 rules.evaluation_share(plan_e, plan_i, variant=basis, final=False),
                 rules.evaluation_share(out_e, out_i, variant=basis, final=final)),
        RulePair(ev_titles[other],
                 rules.evaluation_share(plan_e, plan_i, variant=other, final=False),
                 rules.evaluation_share(out_e, out_i, variant=other, final=final), decides=False),
        RulePair(f"Match funding: {f.grant.match_pct.normalize():f}% of the grant", match(True), match(False)),
        RulePair(f"Q4 share of spend (warning above {rules.format_percentage(q4_threshold(), 0)})",
                 q4_plan, rules.q4_share(out_profile, q4_threshold())),
    ]

