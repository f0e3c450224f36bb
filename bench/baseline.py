"""The baseline: ONE hand-written SQL query computing the delivery figures of section D2 (per programme:
referrals received, new people this quarter by age band) and D3 (new people year to date by age band and
in total; re-referrals of continuing caseload are not new, case H), with continuing caseload and contacts
delivered, written directly for each database."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from app.periods import fy_bounds, quarter_bounds

AGE = {
    "postgresql": """
      CASE WHEN s.date_of_birth IS NOT NULL THEN EXTRACT(YEAR FROM age(f.reached_on, s.date_of_birth))::int
           WHEN s.estimated_age IS NOT NULL THEN GREATEST(0, s.estimated_age + CASE
                WHEN s.estimated_on IS NULL THEN 0
                WHEN f.reached_on >= s.estimated_on THEN EXTRACT(YEAR FROM age(f.reached_on, s.estimated_on))::int
                ELSE -EXTRACT(YEAR FROM age(s.estimated_on, f.reached_on))::int END) END""",
    "sqlite": """
      CASE WHEN s.date_of_birth IS NOT NULL THEN
                (strftime('%Y', f.reached_on) - strftime('%Y', s.date_of_birth))
                - (strftime('%m-%d', f.reached_on) < strftime('%m-%d', s.date_of_birth))
           WHEN s.estimated_age IS NOT NULL THEN max(0, s.estimated_age + CASE
                WHEN s.estimated_on IS NULL THEN 0
                WHEN f.reached_on >= s.estimated_on THEN
                    (strftime('%Y', f.reached_on) - strftime('%Y', s.estimated_on))
                    - (strftime('%m-%d', f.reached_on) < strftime('%m-%d', s.estimated_on))
                ELSE -((strftime('%Y', s.estimated_on) - strftime('%Y', f.reached_on))
                    - (strftime('%m-%d', s.estimated_on) < strftime('%m-%d', f.reached_on))) END) END""",
}

SQL = """
WITH w AS (
  SELECT p.id AS programme_id, COALESCE(cw.starts_on, :fy_start) AS s, COALESCE(cw.ends_on, :fy_end) AS e
  FROM programmes p LEFT JOIN counting_windows cw ON cw.programme_id = p.id AND cw.fy = :fy
), ranked AS (
  SELECT r.programme_id, r.reached_on, COALESCE(pe.merged_into_id, pe.id) AS person,
         ROW_NUMBER() OVER (PARTITION BY COALESCE(pe.merged_into_id, pe.id), r.programme_id
                            ORDER BY r.reached_on, r.id) AS rn
  FROM referrals r JOIN people pe ON pe.id = r.person_id JOIN w ON w.programme_id = r.programme_id
  WHERE r.reached_on >= w.s AND r.reached_on <= w.e AND r.reached_on <= :q_end AND r.trial_arm <> 'control'
    AND NOT EXISTS (  -- case H: a re-referral while still continuing caseload is not new
      SELECT 1 FROM referrals e
      WHERE e.programme_id = r.programme_id AND e.reached_on < w.s AND e.trial_arm <> 'control'
        AND (e.closed_on IS NULL OR e.closed_on >= r.reached_on)
        AND (e.person_id = COALESCE(pe.merged_into_id, pe.id)
             OR e.person_id IN (SELECT m.id FROM people m WHERE m.merged_into_id = COALESCE(pe.merged_into_id, pe.id))))
), aged AS (
  SELECT f.programme_id, f.reached_on, {age} AS age
  FROM ranked f JOIN people s ON s.id = f.person WHERE f.rn = 1
), reach AS (
  SELECT programme_id,
         SUM(CASE WHEN reached_on >= :q_start AND age <= 24 THEN 1 ELSE 0 END) AS q_young,
         SUM(CASE WHEN reached_on >= :q_start AND age >= 25 THEN 1 ELSE 0 END) AS q_old,
         SUM(CASE WHEN reached_on >= :q_start AND age IS NULL THEN 1 ELSE 0 END) AS q_unknown,
         SUM(CASE WHEN age <= 24 THEN 1 ELSE 0 END) AS ytd_young,
         SUM(CASE WHEN age >= 25 THEN 1 ELSE 0 END) AS ytd_old,
         SUM(CASE WHEN age IS NULL THEN 1 ELSE 0 END) AS ytd_unknown,
         COUNT(*) AS ytd
  FROM aged GROUP BY programme_id
), recv AS (
  SELECT programme_id, COUNT(*) AS n FROM referrals
  WHERE referred_on >= :q_start AND referred_on <= :q_end GROUP BY programme_id
), cont AS (
  SELECT r.programme_id, COUNT(*) AS n FROM contacts c JOIN referrals r ON r.id = c.referral_id
  WHERE c.attended AND r.trial_arm <> 'control' AND c.occurred_at >= :q_start_ts AND c.occurred_at < :q_next_ts
  GROUP BY r.programme_id
), cc AS (
  SELECT r.programme_id, COUNT(DISTINCT COALESCE(pe.merged_into_id, pe.id)) AS n
  FROM referrals r JOIN people pe ON pe.id = r.person_id JOIN w ON w.programme_id = r.programme_id
  WHERE r.reached_on < w.s AND r.trial_arm <> 'control' AND (r.closed_on IS NULL OR r.closed_on >= :q_start)
    AND w.s <= :q_end
  GROUP BY r.programme_id
)
SELECT p.name, COALESCE(recv.n, 0) AS referrals, COALESCE(reach.q_young, 0) AS q_young,
       COALESCE(reach.q_old, 0) AS q_old, COALESCE(reach.q_unknown, 0) AS q_unknown,
       COALESCE(reach.ytd_young, 0) AS ytd_young, COALESCE(reach.ytd_old, 0) AS ytd_old,
       COALESCE(reach.ytd_unknown, 0) AS ytd_unknown,
       COALESCE(reach.ytd, 0) AS ytd, COALESCE(cc.n, 0) AS continuing, COALESCE(cont.n, 0) AS contacts
FROM programmes p
LEFT JOIN recv ON recv.programme_id = p.id LEFT JOIN reach ON reach.programme_id = p.id
LEFT JOIN cont ON cont.programme_id = p.id LEFT JOIN cc ON cc.programme_id = p.id
ORDER BY p.name
"""


def delivery_figures(conn, fy: int, quarter: int) -> dict[str, dict]:
    fy_start, fy_end = fy_bounds(fy)
    q_start, q_end = quarter_bounds(fy, quarter)
    params = {"fy": fy, "fy_start": fy_start, "fy_end": fy_end, "q_start": q_start, "q_end": q_end,
              "q_start_ts": datetime.combine(q_start, time(0)),
              "q_next_ts": datetime.combine(q_end + timedelta(days=1), time(0))}
    if conn.dialect.name == "sqlite":
        params = {k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat() if hasattr(v, "isoformat")
                      else v) for k, v in params.items()}
    sql = SQL.format(age=AGE[conn.dialect.name])
    return {row.name: dict(row._mapping) for row in conn.execute(sa.text(sql), params)}


# ------------------------------------------------------------------ section T (timeliness), issue 13
# The same referrals, hours and clock judgements as the builder (the `timed` rows: correlated look-ups of each
# referral's first attempt, first attended contact and first mode, and a working-day calendar), aggregated the
# way each database does it best by hand: on PostgreSQL ordered-set aggregates (percentile_cont) over GROUPING
# SETS; SQLite has no percentile function, so there the hand-written form is the ranks-and-windows one the
# builder uses everywhere.

TIMELINESS_PG = """
SELECT programme_id, COALESCE(site_id, 0) AS site_id,
       CASE WHEN daytype IS NOT NULL THEN daytype WHEN GROUPING(mode_key) = 0 THEN 'mode:' || mode_key ELSE 'all' END
         AS split,
       COUNT(*) AS referrals, SUM(reached) AS reached, SUM(CASE WHEN within IS NOT NULL THEN 1 ELSE 0 END) AS on_clock,
       SUM(COALESCE(in_clock, 0)) AS in_clock,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY h_attempt) AS med_attempt,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY h_attempt) AS p90_attempt,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY h_attended) AS med_attended,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY h_attended) AS p90_attended
FROM (SELECT timed.*, COALESCE(mode, 'none') AS mode_key FROM timed) t
GROUP BY GROUPING SETS ((programme_id, site_id), (programme_id), (programme_id, site_id, daytype),
                        (programme_id, daytype), (programme_id, site_id, mode_key), (programme_id, mode_key))
"""


def timeliness_figures(conn, fy: int, quarter: int) -> dict[tuple[int, int, str], dict]:
    """{(programme id, site id or 0, split): figures} for referrals received in the quarter."""
    from app.reports.builders import timeliness

    start, end = quarter_bounds(fy, quarter)
    dialect = conn.dialect.name
    holidays = timeliness.holidays_between(start, end)
    params = {"start": start, "end": end, "cal_start": start, "cal_end": end + timeliness.CALENDAR_AFTER, "yes": True,
              **{f"hol{i}": d for i, d in enumerate(holidays)}}
    if dialect == "sqlite":
        params = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()}
        sql = timeliness._sql(dialect, holidays, False)
    else:
        sql = timeliness.prefix_sql(dialect, holidays) + TIMELINESS_PG
    return {(r["programme_id"], r["site_id"], r["split"]): dict(r) for r in conn.execute(sa.text(sql), params).mappings()}
