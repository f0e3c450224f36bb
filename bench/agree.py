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
