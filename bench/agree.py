"""Do the hand-written baseline (``bench/baseline.py``) and the return builder give the same section D?

One comparison, used by the benchmark (``bench/run.py``: its "agree" figure) and by tests/bench. D2 carries
the quarter (referrals, new people by age band, continuing caseload, contacts); D3 the year to date by age
band and in total (case H: re-referrals of continuing caseload are not new, in both)."""
from __future__ import annotations

D2_KEYS = ("referrals", "q_young", "q_old", "q_unknown", "continuing", "contacts")
D3_KEYS = ("ytd_young", "ytd_old", "ytd_unknown", "ytd")


def _table(report, number: str):
    return next(t for s in report.sections for t in s.tables if t.title.startswith(number + "."))


def disagreements(baseline: dict[str, dict], report) -> list[str]:
    """Every figure where the two differ, as "programme: key builder≠baseline" (empty when they agree)."""
    d2 = {r["programme"]: r for r in _table(report, "D2").rows if r.get("_style") != "subtotal"}
    d3 = {r["programme"]: r for r in _table(report, "D3").rows if r.get("_style") != "subtotal"}
    out = []
    if set(d2) != set(d3):
        out.append(f"D2 and D3 list different programmes: {sorted(set(d2) ^ set(d3))}")
    for name, row in d2.items():
        base = baseline.get(name)
        if base is None:
            out.append(f"{name}: not in the baseline")
            continue
        for table, keys in ((row, D2_KEYS), (d3.get(name, {}), D3_KEYS)):
            for key in keys:
                if table.get(key) != base[key]:
                    out.append(f"{name}: {key} {table.get(key)}≠{base[key]}")
    return out


def programmes_compared(report) -> int:
    return sum(1 for r in _table(report, "D2").rows if r.get("_style") != "subtotal")


# ------------------------------------------------------------------ the whole return (sections D to G)

def _pct(numerator, denominator):
    from decimal import Decimal

    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


def _mean(total, n):
    from decimal import Decimal

    if not n or total is None:
        return None
    return str((Decimal(str(total)) / Decimal(n)).quantize(Decimal("0.1")))


def _rows(report, number: str, key: str) -> dict:
    return {r[key]: r for r in _table(report, number).rows if r.get("_style") != "subtotal"}


def _compare(out: list, where: str, got: dict, expected: dict) -> None:
    for key, value in expected.items():
        if got.get(key) != value:
            out.append(f"{where}: {key} {got.get(key)!r}≠{value!r}")


def return_disagreements(figures: dict, report) -> list[str]:
    """Every cell of D2, D3, D4, E1, E2, F1, F2, G1 and G2 where the builder and the hand-written baseline
    (``bench.baseline.return_figures``) differ, plus the section T check; empty when they agree."""
    from app.programmes.age_bands import FineBand
    from app.referrals.ethnicity import EthnicGroup
    from app.reports.queries import EXCEPTION_KINDS

    programmes = figures["programmes"]
    out = disagreements(programmes, report)
    d3 = _rows(report, "D3", "programme")
    for name, row in d3.items():
        base = programmes.get(name, {})
        _compare(out, f"D3 {name}", row, {
            "returning": base.get("returning"), "re_referrals": base.get("re_referrals"),
            "target_young": base.get("target_young"), "target_old": base.get("target_old"),
            "pct_young": _pct(base.get("ytd_young"), base.get("target_young")),
            "pct_old": _pct(base.get("ytd_old"), base.get("target_old"))})
    listed = set(_rows(report, "D2", "programme"))
    for name, base in programmes.items():  # a programme with figures must be listed
        if name not in listed and any(base[k] for k in ("referrals", "ytd", "continuing", "contacts")):
            out.append(f"D2: {name} has figures but is not listed")
    d4 = _rows(report, "D4", "programme")
    for name, base in programmes.items():
        quarter, ytd = figures["trained"].get(name, (0, 0))
        target = base.get("target_trained")
        if target is None and not ytd:
            if name in d4:
                out.append(f"D4: {name} listed with nothing trained and no target")
            continue
        _compare(out, f"D4 {name}", d4.get(name, {}),
                 {"quarter": quarter, "ytd": ytd, "target": target, "pct": _pct(ytd, target)})
    people = figures["people"]
    grand = sum(n for k, n in people.items() if k[0] == "group")
    e1 = _rows(report, "E1", "band")
    for band in FineBand:
        expected = {sex: people.get(("band", band.value, sex), 0)
                    for sex in ("female", "male", "not_known", "prefer_not_to_say")}
        expected["total"] = sum(expected.values())
        _compare(out, f"E1 {band.label}", e1.get(band.label, {}), expected)
    e2 = _rows(report, "E2", "group")
    for group in EthnicGroup:
        n = people.get(("group", group.value), 0)
        _compare(out, f"E2 {group.label}", e2.get(group.label, {}), {"people": n, "share": _pct(n, grand)})
    f1 = {(r["programme"], r["outcome"]): r for r in _table(report, "F1").rows}
    if set(f1) != set(figures["outcomes"]):
        out.append(f"F1 lists different rows: {sorted(set(f1) ^ set(figures['outcomes']))[:5]}")
    for key, (quarter, ytd) in figures["outcomes"].items():
        _compare(out, f"F1 {key}", f1.get(key, {}), {"quarter": quarter, "ytd": ytd})
    f2 = {(r["programme"], r["instrument"]): r for r in _table(report, "F2").rows}
    if set(f2) != set(figures["measures"]):
        out.append(f"F2 lists different rows: {sorted(set(f2) ^ set(figures['measures']))[:5]}")
    for key, (n, base_sum, late_sum, improved) in figures["measures"].items():
        _compare(out, f"F2 {key}", f2.get(key, {}), {
            "people": n, "baseline": _mean(base_sum, n), "latest": _mean(late_sum, n), "improved": improved,
            "improved_pct": _pct(improved, n)})
    g1 = _rows(report, "G1", "programme")
    for name, base in programmes.items():
        if name in g1 or base["control"]:  # control-arm referrals exist only in trials, which G1 lists
            _compare(out, f"G1 {name}", g1.get(name, {}),
                     {"intervention": base["intervention"], "control": base["control"]})
    g2 = {r["kind"]: r for r in _table(report, "G2").rows}
    found = {"age_not_known": sum(b["ytd_unknown"] for b in programmes.values()),
             "no_sex": sum(b["no_sex"] for b in programmes.values()),
             "no_ethnicity": sum(b["no_ethnicity"] for b in programmes.values()),
             "reached_before_referral": int(figures["reached_before_referral"])}
    for kind, n in found.items():
        _compare(out, f"G2 {kind}", g2.get(EXCEPTION_KINDS[kind], {}), {"found": n})
    return out


def cells_compared(figures: dict, report) -> int:
    """How many table cells of sections D to G the comparison covered (for the benchmark's report)."""
    return sum(len(t.rows) * len(t.columns) for s in report.sections if s.key in ("D", "E", "F", "G")
               for t in s.tables if not t.title.startswith(("D1", "G3")))
