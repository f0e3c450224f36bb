"""The quarterly Home Office return (DOMAIN.md §5) as a plain Report.

Sections A–C (finance) come from ``app.finance.report_sections`` when the finance domain is
installed; D (delivery), E (demographics), F (outcomes) and G (narrative and exceptions) are built
here. Every figure is a SQL aggregate (``app.reports.queries`` / ``app.reports.counting``); the
Python here only arranges grouped rows into tables. No names or dates of birth ever enter the return.

With ``suppressed=True`` every count goes through the disclosure-control rules (DOMAIN.md §7) for
public outputs; returns to the Home Office use exact counts.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import Organisation, OrganisationKind
from app.db import db
from app.documents import Column, Report, Section, Table
from app.finance.models import GrantYear
from app.finance.report_sections import NoGrantYear, finance_sections
from app.offline.queries import offline_note
from app.periods import fy_bounds, fy_label, quarter_bounds, quarter_label
from app.periods.models import PeriodStatus, ReportingPeriod
from app.programmes.age_bands import FineBand
from app.referrals.ethnicity import EthnicGroup
from app.referrals.models import Sex
from app.reports import queries
from app.reports.builders.delivery import D2_TITLE, D3_TITLE, D4_TITLE, build_delivery
from app.reports.models import latest_snapshot
from app.reports.suppression import suppress_count, suppress_percentage
from app.reports.builders.timeliness import PUBLIC_RULES as TIMELINESS_PUBLIC_RULES, timeliness_section

TITLE = "Violence Reduction Unit quarterly return"
_FRACTION = Decimal("0.0001")


class _Cells:
    """Counts and percentages as they may be shown: exact, or suppressed for publication."""

    def __init__(self, suppressed: bool):
        self.suppressed = suppressed

    def n(self, value: int | None):
        if value is None:
            return None
        return suppress_count(int(value)) if self.suppressed else int(value)

    def pct(self, numerator: int, denominator: int | None):
        if not denominator:
            return None
        if self.suppressed:
            points = suppress_percentage(int(numerator), int(denominator))
            return points if isinstance(points, str) else (points / 100).quantize(_FRACTION)
        return (Decimal(numerator) / Decimal(denominator)).quantize(_FRACTION)


def quarter_figures(fy: int, quarter: int) -> dict:
    """New people in ``quarter`` per programme and band, as stored with a locked snapshot."""
    _, end = quarter_bounds(fy, quarter)
    people = queries.new_people(fy, end)
    return {"new_people": {str(pid): {band: int(n) for band, n in by_q.get(quarter, {}).items()}
                           for pid, by_q in people.items() if by_q.get(quarter)}}


def _vru_name() -> str:

    name = db.session.execute(sa.select(Organisation.name).where(Organisation.kind == OrganisationKind.VRU)
                              .order_by(Organisation.id).limit(1)).scalar_one_or_none()
    return name or "Not recorded"


def _finance_sections(fy: int, quarter: int) -> tuple[list[Section], str | None]:
    """Sections A–C, or why they are missing (shown as a warning on the return)."""
    try:
        return list(finance_sections(fy, quarter)), None
    except NoGrantYear:
        return [], f"no grant year is set up for {fy_label(fy)} (Finance → set up a grant year)"


def _grant_year(fy: int):

    return db.session.execute(sa.select(GrantYear).where(GrantYear.fy == fy)).scalar_one_or_none()


def build_quarterly_return(fy: int, quarter: int, *, period=None, suppressed: bool = False,
                           version: int | None = None, approved_by: str | None = None,
                           locked_at: datetime | None = None) -> Report:

    q_start, q_end = quarter_bounds(fy, quarter)
    fy_start, _ = fy_bounds(fy)
    if period is None:
        period = db.session.execute(sa.select(ReportingPeriod).where(
            ReportingPeriod.fy == fy, ReportingPeriod.quarter == quarter)).scalar_one_or_none()
    # Always built exact; the public version is the exact one put through publish(), the same function
    # that publishes a locked quarter's snapshot, so the two can never disagree.
    cells = _Cells(False)
    cube = queries.ReachCube(fy, q_end)  # the counting query runs once for D, E and G

    sections, finance_missing = _finance_sections(fy, quarter)
    delivery, chart_data = build_delivery(fy, quarter, q_start, q_end, cells, cube)
    sections.append(delivery)
    sections.append(timeliness_section(q_start, q_end, cells))  # T, after D
    sections.append(_demographics(cube, cells))
    names = {p.id: p.name for p in chart_data["programmes"]}
    sections.append(_outcomes(q_start, q_end, fy_start, cells, names))
    sections.append(_narrative(fy, quarter, period, fy_start, q_end, cells, cube, chart_data, names))

    status = period.status.label if period is not None else "Open"
    if version is None:
        version = (len(period.snapshots) + (0 if period.locked else 1)) if period is not None else 1
    grant = _grant_year(fy)
    header = [
        ("Violence Reduction Unit", _vru_name()),
        # The period's own entry wins; otherwise what finance recorded when setting up the grant year.
        ("Senior responsible officer", (period.sro_name if period else None)
         or (grant.sro_name if grant else None) or "Not recorded"),
        ("Grant reference", (period.grant_reference if period else None)
         or (grant.grant_reference if grant else None) or "Not recorded"),
        ("Financial year", fy_label(fy)),
        ("Quarter", f"Q{quarter}"),
        ("Period", f"{q_start:%-d %B %Y} to {q_end:%-d %B %Y}"),
        ("Version", f"{version} ({status.lower()})"),
        ("Prepared by", period.prepared_by.full_name if period is not None and period.prepared_by else None),
        ("Approved by", approved_by),
        ("Date", (locked_at or datetime.now()).date()),
    ]
    notes = [
        "New people are counted once per person per programme and financial year, in the quarter of their "
        "first attended contact inside the programme's counting window; people carried over from before the "
        "window are continuing caseload, not new; control-arm referrals are never counted.",
        "Age band is fixed on the date of that first counted contact. \"Age not known\" people count as reached "
        "but are credited to no age band and are listed as data-quality exceptions.",
    ]
    offline = offline_note(q_start, q_end)  # contacts written down offline count when they happened (issue 14)
    if offline:
        notes.append(offline)
    report = Report(
        title=TITLE, subtitle=_vru_name(), period_label=quarter_label(fy, quarter), header=header,
        sections=sections, notes=notes, suppressed=False, classification="OFFICIAL-SENSITIVE",
        # Not yet submitted: every page of the PDF says DRAFT.
        draft=period is None or period.status not in (PeriodStatus.SUBMITTED, PeriodStatus.LOCKED),
    )
    if finance_missing:
        report.warnings.append(f"Finance sections A to C are not included: {finance_missing}.")
    if chart_data["unknown"]:
        report.warnings.append(NO_AGE_WARNING.format(n=chart_data["unknown"]))
    report.validate()
    return publish(report) if suppressed else report


# ------------------------------------------------------------------ the public version

NO_AGE_WARNING = "{n} people reached this year have no age recorded (see section G)."
_NO_AGE_RE = re.compile(r"^(\d+)( people reached this year have no age recorded)")
DISCLOSURE_NOTE = ("Disclosure control: 0 stays 0; 1 to 7 shown as *; 8 and above rounded to the nearest 5; "
                   "totals rounded independently; percentages with a denominator under 8 suppressed.")

# Per table (by the number its title starts with): the columns that count people or events, which are
# suppressed; the percentages, with the columns of their exact numerator and denominator ("total:" = the
# table's total row); the columns that are left out of a public output. Targets are plans, not counts, and
# money is not a count of people: both stay as they are.
_PUBLIC_RULES: dict[str, dict] = {
    # Section D by full title: snapshots locked before D was laid out by age band keep their own rules.
    "D2. New people reached": {"counts": ("referrals", "q_young", "q_old", "q_unknown", "q_total", "ytd",
                                          "continuing", "contacts"), "percents": {"pct": ("ytd", "target")}},
    "D3. Professionals trained": {"counts": ("quarter", "ytd"), "percents": {"pct": ("ytd", "target")}},
    D2_TITLE: {"counts": ("referrals", "q_young", "q_old", "q_unknown", "q_total", "continuing", "contacts")},
    D3_TITLE: {"counts": ("ytd_young", "ytd_old", "ytd_unknown", "ytd", "returning", "re_referrals"),
               "percents": {"pct_young": ("ytd_young", "target_young"), "pct_old": ("ytd_old", "target_old")}},
    D4_TITLE: {"counts": ("quarter", "ytd"), "percents": {"pct": ("ytd", "target")}},
    "E1": {"counts": ("female", "male", "not_known", "prefer_not_to_say", "total")},
    "E2": {"counts": ("people",), "percents": {"share": ("people", "total:people")}},
    "F1": {"counts": ("quarter", "ytd")},
    "F2": {"counts": ("people", "improved"), "percents": {"improved_pct": ("improved", "people")}},
    "G1": {"counts": ("intervention", "control")},
    "G2": {"counts": ("found", "accepted", "open")},
    "G3": {"counts": ("locked", "now"), "blank": ("change",)},
    **TIMELINESS_PUBLIC_RULES,
}


def publish(report: Report) -> Report:
    """The public version of an exact return (DOMAIN.md §7): every count suppressed from its exact value,
    every percentage worked out from exact counts and suppressed when its denominator is under 8, the
    chart left out (its bars would show exact figures). Works on a Report built live or read back from a
    locked quarter's snapshot, so a locked quarter is published from exactly the figures submitted."""
    if report.suppressed:
        return report
    public = Report.from_dict(report.to_dict())  # a deep copy; the exact report is not touched
    cells = _Cells(True)
    for section in public.sections:
        if section.key in ("D", "E", "F", "G"):
            section.charts = []
        for t in section.tables:
            rules = _PUBLIC_RULES.get(t.title) or (
                None if t.title.startswith("D") else _PUBLIC_RULES.get(t.title.split(".", 1)[0]))
            if not rules:
                continue
            exact_total = dict(t.total_row) if t.total_row else {}
            for row in [*t.rows, *([t.total_row] if t.total_row else [])]:
                exact = dict(row)
                for key, (num_key, den_key) in rules.get("percents", {}).items():
                    if row.get(key) is None:
                        continue
                    numerator = exact.get(num_key)
                    denominator = exact_total.get(den_key[6:]) if den_key.startswith("total:") else exact.get(den_key)
                    row[key] = (cells.pct(numerator, denominator)
                                if isinstance(numerator, int) and isinstance(denominator, int) else None)
                for key in rules.get("counts", ()):
                    if isinstance(row.get(key), int) and not isinstance(row.get(key), bool):
                        row[key] = cells.n(row[key])
                for key in rules.get("blank", ()):
                    if key in row:
                        row[key] = None
                small = rules.get("small")  # (count column, figures withheld when it is under 8)
                if small and isinstance(exact.get(small[0]), int) and exact[small[0]] < 8:
                    row.update({key: "*" for key in small[1] if row.get(key) is not None})
    public.warnings = [_NO_AGE_RE.sub(lambda m: f"{suppress_count(int(m.group(1)))}{m.group(2)}", w)
                       for w in public.warnings]
    public.notes = [*public.notes, DISCLOSURE_NOTE]
    public.suppressed = True
    public.classification = None  # meant for publication: no protective marking
    return public.validate()


# ------------------------------------------------------------------ D. Delivery


# ------------------------------------------------------------------ E. Demographics


SEX_COLUMNS = [(Sex.FEMALE.value, "Female"), (Sex.MALE.value, "Male"), (Sex.NOT_KNOWN.value, "Not known"),
               (Sex.PREFER_NOT_TO_SAY.value, "Prefer not to say")]


def _demographics(cube, cells):
    grid_rows, ethnic_rows = cube.demographics()
    grid = defaultdict(int)
    for band, sex, n in grid_rows:
        grid[(band, sex)] += n
    cols = [Column("band", "Age band")] + [Column(k, label, "int") for k, label in SEX_COLUMNS] + [
        Column("total", "Total", "int")]
    age_sex = Table("E1. Age band by sex", cols, note="Unique people reached this year to date, across all "
                    "programmes, at the age of their first counted contact.")
    col_totals = defaultdict(int)
    for band in FineBand:
        exact = {k: grid[(band.value, k)] for k, _ in SEX_COLUMNS}
        age_sex.rows.append({"band": band.label, **{k: cells.n(v) for k, v in exact.items()},
                             "total": cells.n(sum(exact.values()))})
        for k, v in exact.items():
            col_totals[k] += v
    grand = sum(col_totals.values())
    age_sex.total_row = {"band": "Total", **{k: cells.n(v) for k, v in col_totals.items()}, "total": cells.n(grand)}
    ethnic = dict(ethnic_rows)
    eth = Table("E2. Ethnicity", [Column("group", "Ethnic group"), Column("people", "People", "int"),
                                  Column("share", "% of people", "percent")],
                note="ONS 2021 categories rolled up to five groups; police code O1 (Chinese) is Asian.")
    for group in EthnicGroup:
        n = ethnic.get(group.value, 0)
        eth.rows.append({"group": group.label, "people": cells.n(n), "share": cells.pct(n, grand)})
    eth.total_row = {"group": "Total", "people": cells.n(grand), "share": cells.pct(grand, grand)}
    return Section("E", "E. Demographics", tables=[age_sex, eth])


# ------------------------------------------------------------------ F. Outcomes


def _mean(total, n) -> str | None:
    if not n or total is None:
        return None
    return str((Decimal(str(total)) / Decimal(n)).quantize(Decimal("0.1")))


def _outcomes(q_start, q_end, fy_start, cells, names):
    quarter_counts, ytd_counts = {}, {}
    for pid, outcome, in_quarter, ytd in queries.outcome_counts(fy_start, q_start, q_end):
        quarter_counts[(pid, outcome)] = int(in_quarter or 0)
        ytd_counts[(pid, outcome)] = int(ytd)
    outcomes = Table("F1. Outcomes recorded", [
        Column("programme", "Programme"), Column("outcome", "Outcome"),
        Column("quarter", "This quarter", "int"), Column("ytd", "Year to date", "int")])
    for pid, outcome in sorted(ytd_counts, key=lambda k: (names.get(k[0], ""), k[1])):
        outcomes.rows.append({"programme": names.get(pid), "outcome": outcome,
                              "quarter": cells.n(quarter_counts.get((pid, outcome), 0)),
                              "ytd": cells.n(ytd_counts[(pid, outcome)])})
    measures = Table("F2. Measure changes, baseline to latest", [
        Column("programme", "Programme"), Column("instrument", "Measure"),
        Column("people", "People measured", "int"), Column("baseline", "Mean at baseline"),
        Column("latest", "Mean at latest"), Column("improved", "Number improved", "int"),
        Column("improved_pct", "% improved", "percent")],
        note="Referrals with a baseline and a later measure, whose latest measure was taken this year to date.")
    for pid, instrument, n, base_sum, late_sum, improved in sorted(
            queries.measure_changes(fy_start, q_end), key=lambda r: (names.get(r[0], ""), r[1])):
        measures.rows.append({"programme": names.get(pid), "instrument": instrument, "people": cells.n(n),
                              "baseline": _mean(base_sum, n), "latest": _mean(late_sum, n),
                              "improved": cells.n(int(improved or 0)), "improved_pct": cells.pct(int(improved or 0), n)})
    return Section("F", "F. Outcomes", tables=[outcomes, measures])


# ------------------------------------------------------------------ G. Narrative and exceptions


def _narrative(fy, quarter, period, fy_start, q_end, cells, cube, delivery, names):

    paragraphs = [p.strip() for p in ((period.narrative if period else None) or "").split("\n\n") if p.strip()]
    if not paragraphs:
        paragraphs = ["No narrative has been written for this quarter yet."]
    trials = Table("G1. Trials", [Column("programme", "Programme"), Column("stage", "Evaluation stage"),
                                  Column("intervention", "Intervention arm referrals YTD", "int"),
                                  Column("control", "Control arm referrals YTD", "int")],
                   note="Control-arm people are followed up but never counted as reached.")
    for p in sorted(delivery["programmes"], key=lambda p: p.name):
        agg = delivery["aggregates"].get(p.id)
        if p.trial_enabled and agg and (agg["intervention"] or agg["control"]):
            trials.rows.append({"programme": p.name, "stage": p.evaluation_stage.label,
                                "intervention": cells.n(agg["intervention"]), "control": cells.n(agg["control"])})
    accepted = {a.exception_key for a in (period.acceptances if period else [])}
    dq = Table("G2. Data-quality exceptions", [Column("kind", "Exception"), Column("found", "Found", "int"),
                                               Column("accepted", "Accepted with a reason", "int"),
                                               Column("open", "Open", "int")],
               note="People counted this year to date. A quarter cannot be locked while any are open.")
    by_kind = defaultdict(lambda: [0, 0])
    if accepted:
        # Acceptances name people, so match them against the listed exceptions.
        for e in queries.data_quality_exceptions(fy, quarter):
            by_kind[e["kind"]][0] += 1
            by_kind[e["kind"]][1] += e["key"] in accepted
    else:
        for kind, n in cube.exception_counts().items():
            by_kind[kind][0] = n
        by_kind["reached_before_referral"][0] = queries.reached_before_referral_count(fy, q_end)
    for kind, label in queries.EXCEPTION_KINDS.items():
        found, acc = by_kind.get(kind, (0, 0))
        dq.rows.append({"kind": label, "found": cells.n(found), "accepted": cells.n(acc), "open": cells.n(found - acc)})
    # Restatements: earlier quarters of this year locked with figures that have since changed (late entries).
    restate = Table("G3. Restatements of earlier quarters", [
        Column("programme", "Programme"), Column("quarter", "Quarter"), Column("locked", "New people as locked", "int"),
        Column("now", "New people now", "int"), Column("change", "Change", "int")],
        note="Entries recorded after a quarter was locked. The locked return is not changed; the difference "
             "is reported here and is included in this return's year-to-date figures.")
    locked = db.session.execute(sa.select(ReportingPeriod).where(
        ReportingPeriod.fy == fy, ReportingPeriod.quarter < quarter,
        ReportingPeriod.status == PeriodStatus.LOCKED).order_by(ReportingPeriod.quarter)).scalars().all()
    if locked:
        now_people = queries.new_people(fy, q_end)
        for lp in locked:
            snap = latest_snapshot(lp)
            if snap is None:
                continue
            was = {int(pid): sum(b.values()) for pid, b in snap.figures.get("new_people", {}).items()}
            now = {pid: sum(by_q.get(lp.quarter, {}).values()) for pid, by_q in now_people.items()}
            for pid in sorted(set(was) | set(now), key=lambda i: names.get(i, "")):
                if was.get(pid, 0) != now.get(pid, 0):
                    restate.rows.append({"programme": names.get(pid), "quarter": f"Q{lp.quarter}",
                                         "locked": cells.n(was.get(pid, 0)), "now": cells.n(now.get(pid, 0)),
                                         "change": now.get(pid, 0) - was.get(pid, 0) if not cells.suppressed else None})
    if not restate.rows:
        restate.note = "No restatements: no figures of an earlier locked quarter of this year have changed."
    return Section("G", "G. Narrative and exceptions", tables=[trials, dq, restate], paragraphs=paragraphs)
