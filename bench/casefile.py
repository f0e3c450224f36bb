"""A provider's casework spreadsheet, synthetic and deterministic: years of people, referrals, sessions,
closures, outcomes and measures under the provider's own headings, in the national dataset's shape
(per person 1.5 referrals and 10 sessions). Used by the import benchmark and the import acceptance tests.
All names are synthetic.
"""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from app.referrals.eligibility import age_for_referral

HEADERS = ["Client ID", "Forename", "Surname", "DOB", "Approx age", "Gender", "Ethnicity", "Area", "Case No",
           "Site", "Date referred", "Referrer", "Basis", "Override reason", "Contact date", "Contact type",
           "Attendance", "Mins", "Closed", "Reason closed", "Exit status", "Outcome", "Outcome date", "Tool",
           "Stage", "Score", "Score date"]
GIVEN = ["Aaliyah", "Ben", "Caleb", "Dami", "Ellie", "Femi", "Grace", "Harvey", "Imran", "Jade", "Kai", "Leah",
         "Musa", "Nia", "Ollie", "Priya", "Quinn", "Rhys", "Sana", "Tyler", "Uma", "Vince", "Wren", "Yusuf", "Zara"]
FAMILY = ["Abara", "Bennett", "Chowdhury", "Da Silva", "Evans", "Fofana", "Green", "Hussain", "Ibrahim", "Jones",
          "Khan", "Lewis", "Mensah", "Nowak", "O'Neill", "Patel", "Quayle", "Rahman", "Smith", "Taylor", "Usman",
          "Vaughan", "Walker", "Yilmaz", "Zhou"]
ETHNIC = ["White British", "W1", "Black Caribbean", "B2", "Pakistani", "Indian", "Mixed White and Black Caribbean",
          "White Irish", "Other", "Not stated", "A3", "Chinese"]
MODES = ["1:1", "Phone", "F2F", "Group", "Ward round"]  # "Ward round" is the provider's own word: mapped once
REFERRERS = ["A&E", "Police", "School", "Self referral", "Social care"]
FIRST_DAY = date(2022, 4, 1)  # three financial years: 2022-23, 2023-24, 2024-25
LAST_DAY = date(2025, 3, 31)

# The mapping a programme officer would make for this file once (everything else is recognised).
VALUES = {"mode": {"Ward round": "in_setting"}}
DEFAULTS = {"lawful_basis": "public_task"}


@dataclass
class Casefile:
    path: Path
    rows: int
    people: int
    referrals: int
    contacts: int
    bad_rows: list[int] = field(default_factory=list)
    existing: list[tuple[str, str, date]] = field(default_factory=list)


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def write_casefile(path: Path, sites: list[str], people: int = 2000, seed: int = 11, bad: int = 0,
                   existing: int = 0, outcomes: list[str] = ("Signposted to service",)) -> Casefile:
    """Write the file; `bad` rows get a mistake a person would make, `existing` people are returned (name and
    date of birth) so the caller can put them in Waypoint first, to be matched rather than duplicated."""
    rng = random.Random(seed)
    span = (LAST_DAY - FIRST_DAY).days
    out = Casefile(path, 0, people, 0, 0)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in range(people):
            given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)}{i:05d}"
            first_referral = FIRST_DAY + timedelta(days=rng.randrange(span - 30))
            age = rng.randint(11, 24) if rng.random() > 0.08 else rng.randint(25, 30)
            born = first_referral - timedelta(days=age * 365 + rng.randrange(300))
            estimated = rng.random() < 0.02
            person = {"Client ID": f"YP{i:05d}", "Forename": given, "Surname": family,
                      "DOB": "" if estimated else _d(born), "Approx age": str(age) if estimated else "",
                      "Gender": rng.choice("MF"), "Ethnicity": rng.choice(ETHNIC), "Area": "Reading"}
            if len(out.existing) < existing and not estimated:
                out.existing.append((given, family, born))
            referral_days = [first_referral]
            if i % 2 == 0:
                referral_days.append(min(first_referral + timedelta(days=rng.randint(120, 500)), LAST_DAY - timedelta(days=5)))
            for n, referred in enumerate(sorted(referral_days)):
                out.referrals += 1
                referral = {"Case No": f"CASE-{i:05d}-{n}", "Site": rng.choice(sites), "Date referred": _d(referred),
                            "Referrer": rng.choice(REFERRERS), "Basis": ""}
                now_age = age_for_referral(None if estimated else born, age if estimated else None,
                                           first_referral if estimated else None, referred)
                if now_age >= 25:
                    referral["Override reason"] = "Older sibling of a young person on the programme"
                sessions = rng.randint(0, 13)
                rows = []
                day = referred + timedelta(days=rng.randint(0, 4))
                attended_any = False
                for _ in range(sessions):
                    if day > LAST_DAY:
                        break
                    attended = rng.random() < 0.8
                    attended_any |= attended
                    rows.append({"Contact date": _d(day), "Contact type": rng.choice(MODES),
                                 "Attendance": "Attended" if attended else "DNA",
                                 "Mins": str(rng.choice((30, 45, 60))) if attended else ""})
                    day += timedelta(days=rng.randint(5, 10))
                if not rows:
                    rows.append({})
                last = day - timedelta(days=1)
                if last + timedelta(days=30) < LAST_DAY and rng.random() < 0.7:
                    rows[-1].update({"Closed": _d(last + timedelta(days=14)),
                                     "Reason closed": "Support completed" if attended_any else "Could not engage",
                                     "Exit status": "" if attended_any else "Unable to contact"})
                    if attended_any and rng.random() < 0.4:
                        rows[-1].update({"Outcome": rng.choice(outcomes), "Outcome date": _d(last + timedelta(days=7))})
                    if attended_any and rng.random() < 0.3:
                        rows[-1].update({"Tool": "Distress (0-10)", "Stage": "Exit", "Score": str(rng.randint(0, 10)),
                                         "Score date": _d(last + timedelta(days=7))})
                for extra in rows:
                    out.rows += 1
                    out.contacts += 1 if extra.get("Contact date") else 0
                    writer.writerow([{**person, **referral, **extra}.get(h, "") for h in HEADERS])
    if bad:
        _spoil(path, bad, rng, out)
    return out


def _spoil(path: Path, bad: int, rng: random.Random, out: Casefile) -> None:
    """Mistakes people make: an impossible date, a site no one set up, a session before the referral."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    picks = sorted(rng.sample(range(1, len(rows)), bad))
    for k, index in enumerate(picks):
        row = rows[index]
        if k % 3 == 0:
            row[HEADERS.index("Date referred")] = "31/02/2023"
        elif k % 3 == 1:
            row[HEADERS.index("Site")] = "St Elsewhere"
        else:
            row[HEADERS.index("Contact date")] = "01/01/2022"
            row[HEADERS.index("Contact type")] = "1:1"
            row[HEADERS.index("Attendance")] = "Attended"
        out.bad_rows.append(index + 1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
