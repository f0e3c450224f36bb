"""The target dashboard: new people year to date against target, pro-rata expected figure and status.

Status rule (shown on the page): green when year to date is at or above the pro-rata expected figure for
the as-at date; amber from 85% of it; red below that. Before the window opens everything is green.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.periods import Window, fy_bounds, pro_rata_fraction, quarters_in_window
from app.programmes.models import TargetMeasure
from app.programmes.services import window_for
from app.reports import queries

AMBER_FROM = Decimal("0.85")
BANDS = (("24_and_under", "24 and under", TargetMeasure.NEW_24_AND_UNDER),
         ("25_and_over", "25 and over", TargetMeasure.NEW_25_AND_OVER),
         ("not_known", "Age not known", None))


@dataclass
class BandLine:
    band: str
    label: str
    target: int | None
    ytd: int
    by_quarter: dict[int, int]
    expected: int | None = None
    status: str | None = None
    bar: int = 0          # 0–100, width of the bar in percent of the target
    marker: int | None = None  # 0–100, where the expected figure sits


@dataclass
class ProgrammeLine:
    id: int
    name: str
    window: Window
    fraction: Decimal
    lines: list[BandLine] = field(default_factory=list)
    quarters: list[int] = field(default_factory=list)


def rag(ytd: int, expected: Decimal) -> str:
    if expected <= 0 or ytd >= expected:
        return "green"
    if ytd >= expected * AMBER_FROM:
        return "amber"
    return "red"


def _pct(part, whole) -> int:
    if not whole:
        return 0
    return int(min(Decimal(100), Decimal(part) * 100 / Decimal(whole)).to_integral_value(ROUND_HALF_UP))


PROFESSIONALS = "professionals"


def _progress(bl: BandLine, fraction: Decimal) -> BandLine:
    if bl.target is not None:
        expected = Decimal(bl.target) * fraction
        bl.expected = int(expected.to_integral_value(ROUND_HALF_UP))
        # Judged against the expected figure as shown: "3 of an expected 3" must not read amber because the
        # unrounded figure was 3.01.
        bl.status = rag(bl.ytd, Decimal(bl.expected))
        bl.bar = _pct(bl.ytd, bl.target)
        bl.marker = _pct(expected, bl.target)
    return bl


def build(fy: int, as_at: date, organisation_ids=None) -> list[ProgrammeLine]:
    programmes, _, _ = queries.programmes_with_sites(fy)
    targets = queries.targets_for(fy)
    people = queries.new_people(fy, as_at, organisation_ids)
    trained = queries.professionals_trained(fy, as_at)
    out = []
    for p in sorted(programmes, key=lambda p: p.name):
        band_targets = {band: targets.get((p.id, m)) for band, _, m in BANDS if m}
        reached = people.get(p.id, {})
        prof_target = targets.get((p.id, TargetMeasure.PROFESSIONALS_TRAINED))
        prof = trained.get(p.id, {})
        if (not any(v is not None for v in band_targets.values()) and not reached and prof_target is None
                and not any(prof.values())):
            continue
        window = Window(*window_for(p.id, fy))
        fraction = pro_rata_fraction(window, as_at)
        line = ProgrammeLine(p.id, p.name, window, fraction,
                             quarters=sorted({q for _, q in quarters_in_window(window)}))
        for band, label, measure in BANDS:
            by_q = {q: reached.get(q, {}).get(band, 0) for q in range(1, 5)}
            ytd = sum(by_q.values())
            target = band_targets.get(band) if measure else None
            if measure and target is None and not ytd:
                continue
            if band == "not_known" and not ytd:
                continue
            line.lines.append(_progress(BandLine(band, label, target, ytd, by_q), fraction))
        # Professionals trained (DOMAIN.md §3.8): unique professionals in the window, each in the quarter of
        # their first event; the same progress and status rule as new people.
        by_q = {q: prof.get(q, 0) for q in range(1, 5)}
        if prof_target is not None or any(by_q.values()):
            line.lines.append(_progress(BandLine(PROFESSIONALS, "Professionals trained", prof_target,
                                                 sum(by_q.values()), by_q), fraction))
        out.append(line)
    return out


def default_as_at(fy: int, today: date) -> date:
    start, end = fy_bounds(fy)
    return min(max(today, start), end)
