"""Section D of the quarterly return (DOMAIN.md §5 D): delivery per programme, by age band.

D1 describes each programme that ran in the year; D2 gives referrals and new people this quarter;
D3 gives new people year to date *per target band* against that band's target (a band without a target
shows "—", its people still count in the total), how many of them are returning, and re-referrals of
continuing caseload (case H); D4 gives professionals trained. Every figure is a SQL aggregate.
"""
from __future__ import annotations

from collections import defaultdict

from app.documents import Chart, Column, Section, Table
from app.programmes.models import HomeOfficeCategory, TargetMeasure
from app.reports import queries

D2_TITLE = "D2. Referrals and new people this quarter"
D3_TITLE = "D3. New people year to date by age band, against target"
D4_TITLE = "D4. Professionals trained"
# The target bands of D3: (band as counted, key suffix, label, target measure).
TARGET_BANDS = (("24_and_under", "young", "24 and under", TargetMeasure.NEW_24_AND_UNDER),
                ("25_and_over", "old", "25 and over", TargetMeasure.NEW_25_AND_OVER))


def build_delivery(fy, quarter, q_start, q_end, cells, cube):
    programmes, settings, providers = queries.programmes_with_sites(fy)
    targets = queries.targets_for(fy)
    people = cube.new_people()
    returning = cube.returning()
    re_referrals = queries.re_referrals(fy, q_end)
    aggregates = queries.delivery_aggregates(fy, quarter)
    trained = queries.professionals_trained(fy, q_end)

    about = Table("D1. Programmes", [
        Column("programme", "Programme"), Column("category", "Home Office category"), Column("tier", "Tier"),
        Column("setting", "Setting"), Column("providers", "Providers"),
    ])
    reach = Table(D2_TITLE, [
        Column("programme", "Programme"), Column("referrals", "Referrals received", "int"),
        Column("q_young", "New: 24 and under", "int"), Column("q_old", "New: 25 and over", "int"),
        Column("q_unknown", "New: age not known", "int"), Column("q_total", "New: total", "int"),
        Column("continuing", "Continuing caseload", "int"), Column("contacts", "Contacts delivered", "int"),
    ], note="Subtotals by Home Office category. New people are counted in the quarter of their first attended "
            "contact in the programme's counting window.")
    band_cols = []
    for _band, key, label, _measure in TARGET_BANDS:
        band_cols += [Column(f"ytd_{key}", f"{label}: new", "int"), Column(f"target_{key}", f"{label}: target", "int"),
                      Column(f"pct_{key}", f"{label}: % of target", "percent")]
    progress = Table(D3_TITLE, [
        Column("programme", "Programme"), *band_cols,
        Column("ytd_unknown", "Age not known: new", "int"), Column("ytd", "Total new", "int"),
        Column("returning", "Of whom returning", "int"),
        Column("re_referrals", "Re-referrals of continuing caseload", "int"),
    ], note="Targets are set per age band, so progress is shown per band: a band without a target shows \u2014 "
            "and its people still count in the total. People whose age is not known count in the total but in "
            "no band. Returning: new people whose earlier referral to the programme had closed. Re-referrals of "
            "continuing caseload: referrals reached while the person was still being supported from before the "
            "window; they are not new people.")
    train = Table(D4_TITLE, [
        Column("programme", "Programme"), Column("quarter", "This quarter", "int"),
        Column("ytd", "Year to date", "int"), Column("target", "Target", "int"),
        Column("pct", "% of target", "percent"),
    ])
    chart_categories, chart_ytd, chart_target = [], [], []
    totals, p_totals, train_totals = defaultdict(int), defaultdict(int), defaultdict(int)
    total_has = set()
    unknown_total = 0
    by_category: dict[HomeOfficeCategory, list] = defaultdict(list)
    for p in programmes:
        by_category[p.ho_category].append(p)
    high_training = []
    for category in HomeOfficeCategory:
        group = by_category.get(category)
        if not group:
            continue
        sub, p_sub, sub_has = defaultdict(int), defaultdict(int), set()
        for p in group:
            about.rows.append({
                "programme": p.name, "category": p.ho_category.label + (
                    f" (also {p.ho_category_secondary.label})" if p.ho_category_secondary else ""),
                "tier": ", ".join(t.capitalize() for t in (p.tiers or [])) or None,
                "setting": ", ".join(settings.get(p.id, [])) or None,
                "providers": ", ".join(providers.get(p.id, [])) or None,
            })
            by_q = people.get(p.id, {})
            this_q = by_q.get(quarter, {})
            agg = aggregates.get(p.id) or dict.fromkeys(("referrals", "continuing", "contacts"), 0)
            ytd_band = {b: sum(q.get(b, 0) for q in by_q.values()) for b in ("24_and_under", "25_and_over", "not_known")}
            unknown_total += ytd_band["not_known"]
            exact = {
                "referrals": agg["referrals"], "q_young": this_q.get("24_and_under", 0),
                "q_old": this_q.get("25_and_over", 0), "q_unknown": this_q.get("not_known", 0),
                "q_total": sum(this_q.values()), "continuing": agg["continuing"], "contacts": agg["contacts"],
            }
            for k, v in exact.items():
                sub[k] += v
            reach.rows.append({"programme": p.name, **{k: cells.n(v) for k, v in exact.items()}})
            p_exact = {"ytd_young": ytd_band["24_and_under"], "ytd_old": ytd_band["25_and_over"],
                       "ytd_unknown": ytd_band["not_known"], "ytd": sum(ytd_band.values()),
                       "returning": returning.get(p.id, 0), "re_referrals": re_referrals.get(p.id, 0)}
            row = {"programme": p.name, **{k: cells.n(v) for k, v in p_exact.items()}}
            for band, key, label, measure in TARGET_BANDS:
                target = targets.get((p.id, measure))
                row[f"target_{key}"] = target
                row[f"pct_{key}"] = cells.pct(ytd_band[band], target) if target is not None else None
                if target is not None:
                    p_sub[f"target_{key}"] += target
                    sub_has.add(key)
                if target is not None or ytd_band[band]:
                    chart_categories.append(f"{p.name} ({label})")
                    chart_ytd.append(ytd_band[band])
                    chart_target.append(target)
            for k, v in p_exact.items():
                p_sub[k] += v
            progress.rows.append(row)
            prof_target = targets.get((p.id, TargetMeasure.PROFESSIONALS_TRAINED))
            prof = trained.get(p.id, {})
            prof_q, prof_ytd = prof.get(quarter, 0), sum(prof.values())
            if prof_target is not None or prof_ytd:
                train.rows.append({"programme": p.name, "quarter": cells.n(prof_q), "ytd": cells.n(prof_ytd),
                                   "target": prof_target, "pct": cells.pct(prof_ytd, prof_target)})
                train_totals["quarter"] += prof_q
                train_totals["ytd"] += prof_ytd
                train_totals["target"] += prof_target or 0
                if prof_target and prof_ytd > HIGH_TRAINING_RATIO * prof_target:
                    high_training.append((p.name, prof_ytd, prof_target))
        label = f"{category.label} subtotal"
        reach.rows.append({"programme": label, "_style": "subtotal", **{k: cells.n(v) for k, v in sub.items()}})
        progress.rows.append(_progress_total(label, p_sub, sub_has, cells, style="subtotal"))
        for k, v in sub.items():
            totals[k] += v
        for k, v in p_sub.items():
            p_totals[k] += v
        total_has |= sub_has
    reach.total_row = {"programme": "Total", **{k: cells.n(v) for k, v in totals.items()}}
    progress.total_row = _progress_total("Total", p_totals, total_has, cells)
    if train.rows:
        train.total_row = {"programme": "Total", "quarter": cells.n(train_totals["quarter"]),
                           "ytd": cells.n(train_totals["ytd"]), "target": train_totals["target"],
                           "pct": cells.pct(train_totals["ytd"], train_totals["target"])}
    if high_training:
        train.note = " ".join(
            f"Data quality: {name} shows {ytd:,} professionals trained against a target of {target:,} "
            f"({ytd / target:.0%}). Check that each professional is recorded once and that anonymous counts "
            "are people, not attendances." for name, ytd, target in high_training)
    charts = []
    if chart_categories and not cells.suppressed:
        charts.append(Chart("New people year to date against target, by age band", chart_categories,
                            [("Year to date", chart_ytd), ("Target", chart_target)], kind="hbar"))
    section = Section("D", "D. Delivery", tables=[about, reach, progress, train], charts=charts)
    return section, {"unknown": unknown_total, "aggregates": aggregates, "programmes": programmes}


HIGH_TRAINING_RATIO = 3  # more than three times the target reads as a recording problem, not success


def _progress_total(label, exact, has_target, cells, style=None) -> dict:
    """A subtotal or total row of D3: a band's target and % only where some programme set one; the % is
    the new people in that band across those rows against the sum of their targets."""
    row = {"programme": label, **({"_style": style} if style else {})}
    for k in ("ytd_young", "ytd_old", "ytd_unknown", "ytd", "returning", "re_referrals"):
        row[k] = cells.n(exact.get(k, 0))
    for _band, key, _label, _measure in TARGET_BANDS:
        target = exact.get(f"target_{key}") if key in has_target else None
        row[f"target_{key}"] = target
        row[f"pct_{key}"] = cells.pct(exact.get(f"ytd_{key}", 0), target) if target is not None else None
    return row


