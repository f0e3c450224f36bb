"""A mapping in use: the file's headings → Waypoint's fields, the file's words → categories, and turning one row
of the file into typed values with a plain-words problem for each cell that cannot be read."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from app.auth.models import Organisation
from app.db import db
from app.imports import fields as F
from app.imports.models import ImportMapping
from app.programmes.models import Programme, Site
from app.referrals.names import fold

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d/%m/%Y %H:%M",
                "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
TEXT_LIMITS = {"given_name": 100, "family_name": 100, "gender_identity": 100, "home_area": 100,
               "police_reference": 50, "person_ref": 200, "referral_ref": 200, "allocation_note": 150}


@dataclass
class Setup:
    """What an organisation's file can refer to: the sites it delivers and their programmes."""

    organisation: Organisation
    sites: dict[int, Site]
    programmes: dict[int, Programme]

    @classmethod
    def load(cls, organisation: Organisation) -> Setup:
        sites = list(db.session.execute(sa.select(Site).where(Site.provider_id == organisation.id)
                                        .order_by(Site.name)).scalars())
        programmes = {s.programme_id: s.programme for s in sites}
        return cls(organisation, {s.id: s for s in sites}, programmes)

    def choices(self, key: str) -> list[tuple[str, str]]:
        fixed = F.fixed_choices(key)
        if fixed is not None:
            return fixed
        if key == "site":
            return [(str(s.id), f"{s.name} ({self.programmes[s.programme_id].name})") for s in self.sites.values()]
        if key == "programme":
            return [(str(p.id), p.name) for p in sorted(self.programmes.values(), key=lambda p: p.name)]
        if key == "outcome_type":
            seen = dict.fromkeys(t for p in self.programmes.values() for t in (p.outcome_types or []))
            return [(t, t) for t in seen]
        return []

    def recognise(self, key: str, raw: str) -> str | None:
        if key == "site":
            word = fold(raw)
            hits = [str(s.id) for s in self.sites.values() if word in (fold(s.name), fold(
                f"{self.programmes[s.programme_id].name} {s.name}"))]
            return hits[0] if len(hits) == 1 else None
        return F.recognise(key, raw, self.choices(key))


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, saved: ImportMapping | None) -> Mapping:
        if saved is None:
            return cls()
        return cls(dict(saved.columns or {}), {k: dict(v) for k, v in (saved.values or {}).items()},
                   dict(saved.defaults or {}))

    @classmethod
    def guess(cls, headers: list[str]) -> Mapping:
        columns: dict[str, str] = {}
        for f in F.FIELDS:
            hit = F.guess_column(f, [h for h in headers if h not in columns.values()])
            if hit:
                columns[f.key] = hit
        return cls(columns)

    def missing_required(self) -> list[F.Field]:
        return [f for f in F.FIELDS if f.required and f.key not in self.columns and f.key not in self.defaults]


class CellProblem(ValueError):
    pass


_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(value, *, with_time: bool = False):
    if isinstance(value, datetime):
        return value if with_time else value.date()
    if isinstance(value, date):
        return datetime.combine(value, time()) if with_time else value
    text = str(value).strip()
    quick = _UK_DATE.fullmatch(text)
    if quick:  # the common case, without strptime's cost
        try:
            day = date(int(quick[3]), int(quick[2]), int(quick[1]))
        except ValueError:
            raise CellProblem(f'"{text}" is not a real date (check the day and month; dates are day/month/year)') \
                from None
        return datetime.combine(day, time()) if with_time else day
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if with_time else parsed.date()
    if re.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$", text):
        raise CellProblem(f'"{text}" has a two-figure year: write the year in full, like 15/06/2024')
    if re.match(r"^\d{1,2}/\d{1,2}/\d{4}$", text):
        raise CellProblem(f'"{text}" is not a real date (check the day and month; dates are day/month/year)')
    raise CellProblem(f'"{text}" is not a date: write it like 15/06/2024')


def parse_time(value) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    text = str(value).strip().lower().replace(".", ":")
    for fmt in ("%H:%M", "%H:%M:%S", "%I:%M%p", "%I:%M %p", "%I%p"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise CellProblem(f'"{value}" is not a time: write it like 14:30')


def parse_int(value) -> int:
    if isinstance(value, bool):
        raise CellProblem(f'"{value}" is not a whole number')
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+(\.0+)?", text):
        return int(float(text))
    raise CellProblem(f'"{text}" is not a whole number')


def parse_decimal(value) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CellProblem(f'"{value}" is not a number') from None
    if not number.is_finite():
        raise CellProblem(f'"{value}" is not a number')
    return number


class RowReader:
    """Turns a row's cells into {field: value} and a list of (heading, message) problems."""

    def __init__(self, mapping: Mapping, setup: Setup, only: frozenset[str] | None = None):
        """`only`: read just these fields (the import's second reading needs only the events' columns)."""
        self.mapping = mapping
        self.setup = setup
        self.mapped = [(F.BY_KEY[k], h) for k, h in mapping.columns.items()
                       if k in F.BY_KEY and (only is None or k in only)]
        self.defaults = {k: v for k, v in mapping.defaults.items() if k in F.BY_KEY and k not in mapping.columns
                         and (only is None or k in only)}
        self._known: dict[tuple[str, str], str | None] = {}
        self._plan = [(f.key, heading, self._converter(f)) for f, heading in self.mapped]

    def category(self, key: str, raw) -> str | None:
        cache_key = (key, raw)  # a file uses few distinct words: fold and look each up once
        if cache_key not in self._known:
            word = fold(str(raw))
            chosen = self.mapping.values.get(key, {}).get(word)
            valid = {v for v, _ in self.setup.choices(key)}
            self._known[cache_key] = chosen if chosen in valid else self.setup.recognise(key, str(raw))
        return self._known[cache_key]

    def read(self, cells: dict) -> tuple[dict, list[tuple[str, str]]]:
        values: dict = dict(self.defaults)
        problems: list[tuple[str, str]] = []
        if "" in cells:
            problems.append(("", f"The row has {len(cells['']) } more cell(s) than there are column headings"))
        blank_defaults = self.mapping.defaults
        get = cells.get
        for key, heading, convert in self._plan:
            raw = get(heading)
            if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
                if key in blank_defaults:
                    values[key] = blank_defaults[key]
                continue
            try:
                values[key] = convert(raw)
            except CellProblem as exc:
                problems.append((heading, str(exc)))
        return values, problems

    def _converter(self, f: F.Field):
        """The function that reads one cell of field `f` (chosen once per field, not once per cell)."""
        if f.kind == F.CATEGORY:
            known: dict = {}

            def category(raw, key=f.key, label=f.label.lower()):
                try:
                    chosen = known[raw]
                except (KeyError, TypeError):
                    chosen = self.category(key, raw)
                    try:
                        known[raw] = chosen
                    except TypeError:
                        pass
                if chosen is None:
                    raise CellProblem(f'"{str(raw).strip()}" is not one of the {label} choices Waypoint '
                                      "knows: choose what it means on the ‘Match the values’ page")
                return chosen
            return category
        if f.kind == F.TEXT:
            limit, label = TEXT_LIMITS.get(f.key), f.label

            def text(raw):
                if raw.__class__ is str:
                    value = raw.strip()
                else:
                    value = str(raw).strip() if not isinstance(raw, float) or not raw.is_integer() else str(int(raw))
                if limit and len(value) > limit:
                    raise CellProblem(f"{label} is longer than {limit} characters")
                return value
            return text
        parse = {F.DATE: parse_date, F.DATETIME: _parse_datetime, F.TIME: parse_time, F.INT: parse_int}.get(
            f.kind, parse_decimal)
        return _remembered(parse)

    def _convert(self, f: F.Field, raw):
        if f.kind == F.CATEGORY:
            chosen = self.category(f.key, raw)
            if chosen is None:
                raise CellProblem(f'"{str(raw).strip()}" is not one of the {f.label.lower()} choices Waypoint '
                                  "knows: choose what it means on the ‘Match the values’ page")
            return chosen
        if f.kind == F.TEXT:
            text = str(raw).strip() if not isinstance(raw, float) or not raw.is_integer() else str(int(raw))
            limit = TEXT_LIMITS.get(f.key)
            if limit and len(text) > limit:
                raise CellProblem(f"{f.label} is longer than {limit} characters")
            return text
        if f.kind == F.DATE:
            return parse_date(raw)
        if f.kind == F.DATETIME:
            return parse_date(raw, with_time=True)
        if f.kind == F.TIME:
            return parse_time(raw)
        if f.kind == F.INT:
            return parse_int(raw)
        return parse_decimal(raw)


def _parse_datetime(value):
    return parse_date(value, with_time=True)


REMEMBERED = 5_000


def _remembered(parse):
    """`parse`, remembering its answers (and refusals) for the cells seen: a file repeats the same dates, ages and
    durations on row after row. Bounded, so memory does not grow with the file."""
    known: dict = {}

    def convert(raw):
        try:
            hit = known[raw]
        except KeyError:
            try:
                hit = parse(raw)
            except CellProblem as exc:
                hit = exc
            if len(known) >= REMEMBERED:
                known.clear()
            known[raw] = hit
        except TypeError:  # an unhashable cell: just read it
            return parse(raw)
        if hit.__class__ is CellProblem:
            raise CellProblem(str(hit))
        return hit
    return convert


def distinct_values(rows, mapping: Mapping, setup: Setup, limit: int = 200) -> dict[str, dict[str, int]]:
    """For each mapped category field, the words the file uses that Waypoint cannot recognise on its own
    (with how many rows use each), for a person to match once."""
    reader = RowReader(mapping, setup)
    found: dict[str, dict[str, int]] = {}
    headings = [(f, h) for f, h in reader.mapped if f.kind == F.CATEGORY]
    for _number, cells in rows:
        for f, heading in headings:
            raw = cells.get(heading)
            if raw is None or not str(raw).strip():
                continue
            word = str(raw).strip()
            if setup.recognise(f.key, word) is not None and fold(word) not in mapping.values.get(f.key, {}):
                continue
            bucket = found.setdefault(f.key, {})
            if word in bucket or len(bucket) < limit:
                bucket[word] = bucket.get(word, 0) + 1
    return found
