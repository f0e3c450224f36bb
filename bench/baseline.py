"""The baseline: the quarterly return's figures (sections D to G, and T) in hand-written SQL, written directly for
each database, to time the builder against (``bench/run.py``) and to check it cell by cell (``bench/agree.py``).

* ``delivery_figures``: ONE statement over the counted people (materialised once), per programme: referrals
  received this quarter, new people this quarter and year to date by age band (D2, D3), continuing caseload and
  contacts delivered (D2), returning new people and re-referrals of continuing caseload (D3; case H: re-referrals
  of continuing caseload are not new), targets (D3), intervention- and control-arm referrals (G1), counted people
  with no sex or ethnicity (G2); and, in the same statement, unique people across programmes by fine age band x
  sex and by ethnic group (E1, E2).
* ``return_figures``: that, plus professionals trained (D4), outcomes (F1), measure changes (F2), reached before
  referral (G2) and the timeliness figures (T, below), each one short statement.
"""
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
# ONS group of an ethnicity value: the word before its first underscore ("asian_indian" is asian).
ETHNIC_GROUP = {
    "postgresql": "CASE WHEN ethnicity IS NULL OR ethnicity = 'not_stated' THEN 'not_stated' "
                  "ELSE split_part(ethnicity, '_', 1) END",
    "sqlite": "CASE WHEN ethnicity IS NULL OR ethnicity = 'not_stated' THEN 'not_stated' "
              "ELSE substr(ethnicity, 1, instr(ethnicity, '_') - 1) END",
}

SQL = """
WITH w AS (
  SELECT p.id AS programme_id, COALESCE(cw.starts_on, :fy_start) AS s, COALESCE(cw.ends_on, :fy_end) AS e
  FROM programmes p LEFT JOIN counting_windows cw ON cw.programme_id = p.id AND cw.fy = :fy
), reached AS (
  SELECT r.id, r.programme_id, r.reached_on, COALESCE(pe.merged_into_id, pe.id) AS person,
         CASE WHEN EXISTS (  -- case H: reached while still continuing caseload (the person's own referrals...
           SELECT 1 FROM referrals e
           WHERE e.person_id = COALESCE(pe.merged_into_id, pe.id)
             AND e.programme_id = r.programme_id AND e.reached_on < w.s AND e.trial_arm <> 'control'
             AND (e.closed_on IS NULL OR e.closed_on >= r.reached_on))
         OR EXISTS (  -- ...or those of a person merged into them; two EXISTS, so each reads the person index: one
           SELECT 1 FROM referrals e  -- with an OR inside read every referral of the programme for each row)
           WHERE e.person_id IN (SELECT m.id FROM people m WHERE m.merged_into_id = COALESCE(pe.merged_into_id, pe.id))
             AND e.programme_id = r.programme_id AND e.reached_on < w.s AND e.trial_arm <> 'control'
             AND (e.closed_on IS NULL OR e.closed_on >= r.reached_on))
         THEN 1 ELSE 0 END AS carried
  FROM referrals r JOIN people pe ON pe.id = r.person_id JOIN w ON w.programme_id = r.programme_id
  WHERE r.reached_on >= w.s AND r.reached_on <= w.e AND r.reached_on <= :q_end AND r.trial_arm <> 'control'
), ranked AS (
  SELECT programme_id, id, reached_on, person,
         ROW_NUMBER() OVER (PARTITION BY person, programme_id ORDER BY reached_on, id) AS rn
  FROM reached WHERE carried = 0
), counted AS MATERIALIZED (
  SELECT f.programme_id, f.reached_on, {age} AS age, s.sex, s.ethnicity,
         ROW_NUMBER() OVER (PARTITION BY f.person ORDER BY f.reached_on, f.programme_id, f.id) AS pn,
         CASE WHEN EXISTS (  -- returning: an earlier referral of theirs to the programme had closed
           SELECT 1 FROM referrals e
           WHERE e.person_id = f.person
             AND e.programme_id = f.programme_id AND e.id <> f.id AND e.closed_on < f.reached_on)
         OR EXISTS (  -- (or of a person merged into them: as for case H, two EXISTS, each on the person index)
           SELECT 1 FROM referrals e
           WHERE e.person_id IN (SELECT m.id FROM people m WHERE m.merged_into_id = f.person)
             AND e.programme_id = f.programme_id AND e.id <> f.id AND e.closed_on < f.reached_on)
         THEN 1 ELSE 0 END AS is_returning
  FROM ranked f JOIN people s ON s.id = f.person WHERE f.rn = 1
), reach AS (
  SELECT programme_id,
         SUM(CASE WHEN reached_on >= :q_start AND age <= 24 THEN 1 ELSE 0 END) AS q_young,
         SUM(CASE WHEN reached_on >= :q_start AND age >= 25 THEN 1 ELSE 0 END) AS q_old,
         SUM(CASE WHEN reached_on >= :q_start AND age IS NULL THEN 1 ELSE 0 END) AS q_unknown,
         SUM(CASE WHEN age <= 24 THEN 1 ELSE 0 END) AS ytd_young,
         SUM(CASE WHEN age >= 25 THEN 1 ELSE 0 END) AS ytd_old,
         SUM(CASE WHEN age IS NULL THEN 1 ELSE 0 END) AS ytd_unknown,
         COUNT(*) AS ytd, SUM(is_returning) AS returning_n,
         SUM(CASE WHEN sex IS NULL THEN 1 ELSE 0 END) AS no_sex,
         SUM(CASE WHEN ethnicity IS NULL THEN 1 ELSE 0 END) AS no_ethnicity
  FROM counted GROUP BY programme_id
), rr AS (
  SELECT programme_id, COUNT(*) AS n FROM reached WHERE carried = 1 GROUP BY programme_id
), recv AS (
  SELECT programme_id, SUM(CASE WHEN referred_on >= :q_start THEN 1 ELSE 0 END) AS n,
         SUM(CASE WHEN trial_arm = 'intervention' THEN 1 ELSE 0 END) AS intervention,
         SUM(CASE WHEN trial_arm = 'control' THEN 1 ELSE 0 END) AS control
  FROM referrals WHERE referred_on >= :fy_start AND referred_on <= :q_end GROUP BY programme_id
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
), tg AS (
  SELECT programme_id, MAX(CASE WHEN measure = 'new_24_and_under' THEN value END) AS target_young,
         MAX(CASE WHEN measure = 'new_25_and_over' THEN value END) AS target_old,
         MAX(CASE WHEN measure = 'professionals_trained' THEN value END) AS target_trained
  FROM targets WHERE fy = :fy GROUP BY programme_id
)
SELECT 'programme' AS kind, p.name, NULL AS band, NULL AS sex, NULL AS ethnic_group,
       COALESCE(recv.n, 0) AS referrals, COALESCE(reach.q_young, 0) AS q_young,
       COALESCE(reach.q_old, 0) AS q_old, COALESCE(reach.q_unknown, 0) AS q_unknown,
       COALESCE(reach.ytd_young, 0) AS ytd_young, COALESCE(reach.ytd_old, 0) AS ytd_old,
       COALESCE(reach.ytd_unknown, 0) AS ytd_unknown,
       COALESCE(reach.ytd, 0) AS ytd, COALESCE(cc.n, 0) AS continuing, COALESCE(cont.n, 0) AS contacts,
       COALESCE(reach.returning_n, 0) AS returning_n, COALESCE(rr.n, 0) AS re_referrals,
       COALESCE(recv.intervention, 0) AS intervention, COALESCE(recv.control, 0) AS control,
       COALESCE(reach.no_sex, 0) AS no_sex, COALESCE(reach.no_ethnicity, 0) AS no_ethnicity,
       tg.target_young, tg.target_old, tg.target_trained
FROM programmes p
LEFT JOIN recv ON recv.programme_id = p.id LEFT JOIN reach ON reach.programme_id = p.id
LEFT JOIN cont ON cont.programme_id = p.id LEFT JOIN cc ON cc.programme_id = p.id
LEFT JOIN rr ON rr.programme_id = p.id LEFT JOIN tg ON tg.programme_id = p.id
UNION ALL
SELECT 'people', NULL,
       CASE WHEN age IS NULL THEN 'not_known' WHEN age < 10 THEN 'under_10' WHEN age < 15 THEN '10_to_14'
            WHEN age < 18 THEN '15_to_17' WHEN age < 25 THEN '18_to_24' ELSE '25_and_over' END,
       COALESCE(sex, 'not_known'), {ethnic_group}, COUNT(*),
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM counted WHERE pn = 1 GROUP BY 3, 4, 5
"""

PROGRAMME_KEYS = ("referrals", "q_young", "q_old", "q_unknown", "ytd_young", "ytd_old", "ytd_unknown", "ytd",
                  "continuing", "contacts", "returning_n", "re_referrals", "intervention", "control", "no_sex",
                  "no_ethnicity", "target_young", "target_old", "target_trained")

TRAINED = """
WITH w AS (
  SELECT p.id AS programme_id, COALESCE(cw.starts_on, :fy_start) AS s, COALESCE(cw.ends_on, :fy_end) AS e
  FROM programmes p LEFT JOIN counting_windows cw ON cw.programme_id = p.id AND cw.fy = :fy
), firsts AS (
  SELECT ev.programme_id, a.professional_key, MIN(ev.held_on) AS first_on
  FROM training_events ev JOIN training_attendees a ON a.event_id = ev.id JOIN w ON w.programme_id = ev.programme_id
  WHERE a.attended AND ev.held_on >= w.s AND ev.held_on <= w.e AND ev.held_on <= :q_end
  GROUP BY ev.programme_id, a.professional_key
)
SELECT p.name, SUM(CASE WHEN x.on_ >= :q_start THEN x.n ELSE 0 END) AS quarter, SUM(x.n) AS ytd
FROM (SELECT programme_id, first_on AS on_, 1 AS n FROM firsts
      UNION ALL
      SELECT ev.programme_id, ev.held_on, ev.anonymous_count FROM training_events ev
      JOIN w ON w.programme_id = ev.programme_id
      WHERE ev.anonymous_count IS NOT NULL AND ev.held_on >= w.s AND ev.held_on <= w.e AND ev.held_on <= :q_end) x
JOIN programmes p ON p.id = x.programme_id GROUP BY p.name
"""

OUTCOMES = """
SELECT p.name, o.outcome_type, SUM(CASE WHEN o.achieved_on >= :q_start THEN 1 ELSE 0 END) AS quarter, COUNT(*) AS ytd
FROM outcomes o JOIN referrals r ON r.id = o.referral_id JOIN programmes p ON p.id = r.programme_id
WHERE o.achieved_on >= :fy_start AND o.achieved_on <= :q_end
GROUP BY p.name, o.outcome_type
"""

MEASURES = """
WITH later AS (
  SELECT DISTINCT referral_id FROM outcome_measures
  WHERE measured_on >= :fy_start AND measured_on <= :q_end AND time_point <> 'baseline'
), m AS (
  SELECT m.referral_id, m.instrument, m.value, m.measured_on, CAST(m.higher_is_better AS INTEGER) AS hib,
         CASE WHEN m.time_point = 'baseline' THEN 1 ELSE 0 END AS is_base,
         ROW_NUMBER() OVER (PARTITION BY m.referral_id, m.instrument, m.time_point = 'baseline'
                            ORDER BY m.measured_on, m.id) AS first_n,
         ROW_NUMBER() OVER (PARTITION BY m.referral_id, m.instrument, m.time_point = 'baseline'
                            ORDER BY m.measured_on DESC, m.id DESC) AS last_n
  FROM outcome_measures m JOIN later ON later.referral_id = m.referral_id
  WHERE m.measured_on <= :q_end
), per AS (
  SELECT referral_id, instrument,
         MAX(CASE WHEN is_base = 1 AND first_n = 1 THEN value END) AS base,
         MAX(CASE WHEN is_base = 0 AND last_n = 1 THEN value END) AS late,
         MAX(CASE WHEN is_base = 0 THEN measured_on END) AS late_on,
         MAX(CASE WHEN is_base = 0 AND last_n = 1 THEN hib END) AS hib
  FROM m GROUP BY referral_id, instrument
)
SELECT p.name, per.instrument, COUNT(*) AS people, SUM(per.base) AS base_sum, SUM(per.late) AS late_sum,
       SUM(CASE WHEN (per.hib = 1 AND per.late > per.base) OR (per.hib = 0 AND per.late < per.base) THEN 1 ELSE 0 END)
         AS improved
FROM per JOIN referrals r ON r.id = per.referral_id JOIN programmes p ON p.id = r.programme_id
WHERE per.base IS NOT NULL AND per.late IS NOT NULL AND per.late_on >= :fy_start
GROUP BY p.name, per.instrument
"""

REACHED_BEFORE_REFERRAL = """
SELECT COUNT(*) FROM referrals WHERE reached_on >= :fy_start AND reached_on <= :q_end AND reached_on < referred_on
"""


def _params(conn, fy: int, quarter: int) -> dict:
    fy_start, fy_end = fy_bounds(fy)
    q_start, q_end = quarter_bounds(fy, quarter)
    params = {"fy": fy, "fy_start": fy_start, "fy_end": fy_end, "q_start": q_start, "q_end": q_end,
              "q_start_ts": datetime.combine(q_start, time(0)),
              "q_next_ts": datetime.combine(q_end + timedelta(days=1), time(0))}
    if conn.dialect.name == "sqlite":
        params = {k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat() if hasattr(v, "isoformat")
                      else v) for k, v in params.items()}
    return params


def delivery_figures(conn, fy: int, quarter: int, people: dict | None = None) -> dict[str, dict]:
    """{programme name: figures} (see ``PROGRAMME_KEYS``); ``people``, when given, receives the unique people
    of the year to date as {("band", fine band, sex): n, ("group", ethnic group): n}."""
    dialect = conn.dialect.name
    sql = SQL.format(age=AGE[dialect], ethnic_group=ETHNIC_GROUP[dialect])
    out = {}
    for row in conn.execute(sa.text(sql), _params(conn, fy, quarter)):
        if row.kind == "programme":
            figures = {k: (None if getattr(row, k) is None else int(getattr(row, k))) for k in PROGRAMME_KEYS}
            figures["returning"] = figures.pop("returning_n")  # RETURNING is a keyword in SQLite
            out[row.name] = figures
        elif people is not None:
            n = int(row.referrals)
            people[("band", row.band, row.sex)] = people.get(("band", row.band, row.sex), 0) + n
            people[("group", row.ethnic_group)] = people.get(("group", row.ethnic_group), 0) + n
    return out


def return_figures(conn, fy: int, quarter: int) -> dict:
    """Every figure of sections D to G and T, by hand (see the module's docstring)."""
    params = _params(conn, fy, quarter)
    people: dict = {}
    figures = {"programmes": delivery_figures(conn, fy, quarter, people), "people": people}
    figures["trained"] = {r.name: (int(r.quarter or 0), int(r.ytd or 0))
                          for r in conn.execute(sa.text(TRAINED), params)}
    figures["outcomes"] = {(r.name, r.outcome_type): (int(r.quarter), int(r.ytd))
                           for r in conn.execute(sa.text(OUTCOMES), params)}
    figures["measures"] = {(r.name, r.instrument): (int(r.people), r.base_sum, r.late_sum, int(r.improved))
                           for r in conn.execute(sa.text(MEASURES), params)}
    figures["reached_before_referral"] = conn.execute(sa.text(REACHED_BEFORE_REFERRAL), params).scalar_one()
    figures["timeliness"] = timeliness_figures(conn, fy, quarter)
    return figures


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
