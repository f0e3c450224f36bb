"""Input shapes shared by every domain, each checked in one place (SECURITY.md "Bad input"):

* ids — ``IdConverter`` (every ``<int:…>`` in a URL) and ``id_arg`` / ``page_arg`` (query parameters) accept only
  what the database's integer columns can hold (1 … 2**31 - 1), so a hostile id is a 404 or "not given", never an
  overflow in the database;
* dates — ``GovDateField`` (day / month / year boxes) with plain-English errors, any size of number included;
* versions — ``VersionField``, the hidden optimistic-locking version a form was loaded at;
* plus enum choices and whole numbers.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import request
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from werkzeug.routing import IntegerConverter
from wtforms import Field, HiddenField, SelectField
from wtforms.validators import ValidationError

# The largest value an INTEGER column holds on PostgreSQL (SQLite's is larger; the smaller one rules both).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: 1 … MAX_ID. Anything else does not match, so the answer is a plain 404."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def local_path(target) -> str | None:
    """A ``next`` address is followed only when it is a path on this site ("/referrals/7?page=2"). Anything that
    could leave it — "//evil.example/x", "https://…", "/\\evil.example", control characters — is None."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//") or any(ch in target for ch in "\\\r\n\t\x00"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def parse_id(value) -> int | None:
    """A record id from untrusted text: a whole number 1 … MAX_ID, else None."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def id_arg(name: str) -> int | None:
    """An id from the query string (``?programme_id=3``); anything unusable is treated as not given."""
    return parse_id(request.args.get(name))


def page_arg(name: str = "page", most: int = 100_000) -> int:
    """A page number from the query string: 1 … ``most``; anything else is page 1."""
    number = parse_id(request.args.get(name))
    return min(number, most) if number else 1


class VersionField(HiddenField):
    """The version a record was loaded at (optimistic locking). ``data`` is an int, or None when the form carried
    none; a tampered value is an error on the form ("reload the page"), never a crash."""

    def _value(self):
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "") or ""
        if not text.strip():
            return
        number = parse_id(text)
        if number is None:
            raise ValueError("This page was out of date or changed. Reload the page and try again")
        self.data = number


def date_from_parts(day, month, year) -> date:
    """A real date from day / month / year text, or ValueError — whatever the size of the numbers (a part of 2**31
    or more is an OverflowError inside ``date()``, turned into the same plain ValueError here)."""
    parts = [str(p if p is not None else "").strip() for p in (day, month, year)]
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError("not a date")
    day, month, year = parts
    if len(day.lstrip("0")) > 2 or len(month.lstrip("0")) > 2 or len(year.lstrip("0")) > 4:
        raise ValueError("not a date")
    try:
        return date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        raise ValueError("not a date") from None


class GovDateField(Field):
    """Day / month / year boxes. Errors name the problem: missing part, letters, 31 February, range."""

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, *, earliest: date | None = None,
                 latest_today: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.earliest = earliest
        self.latest_today = latest_today

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        # The widget redisplays exactly three boxes; a tampered post may send fewer or more.
        parts = ([(v or "").strip()[:10] for v in valuelist] + ["", "", ""])[:3]
        self.raw_data = parts
        if not any(parts):
            return
        label = self.label.text
        day, month, year = parts[:3]
        missing = [name for name, v in (("day", day), ("month", month), ("year", year)) if not v]
        if missing:
            raise ValueError(f"{label} must include a {' and '.join(missing)}")
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise ValueError(f"{label} must be a real date, using numbers only")
        if len(year) != 4:
            raise ValueError("Year must include 4 numbers")
        try:
            value = date_from_parts(day, month, year)
        except ValueError:
            raise ValueError(f"{label} must be a real date") from None
        if self.earliest and value < self.earliest:
            raise ValueError(f"{label} must be on or after {self.earliest.strftime('%-d %B %Y')}")
        if self.latest_today and value > date.today():
            raise ValueError(f"{label} must be today or in the past")
        self.data = value


def enum_select(enum_cls, label: str, *, blank: str | None = None, **kwargs) -> SelectField:
    from govuk_frontend_wtf.wtforms_widgets import GovSelect

    choices = ([("", blank)] if blank is not None else []) + enum_cls.choices()
    return SelectField(label, choices=choices, widget=GovSelect(), **kwargs)


def enum_or_none(enum_cls, value):
    return enum_cls(value) if value else None


def required_choice(message: str):
    def _check(form, field):
        if not field.data:
            raise ValidationError(message)

    return _check


class WholeNumberField(Field):
    """An integer box whose error says what to type ("must be a whole number, like 6")."""

    from govuk_frontend_wtf.wtforms_widgets import GovTextInput as _W

    widget = _W()

    def __init__(self, label=None, validators=None, example: int = 6, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.example = example

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def __call__(self, **kwargs):
        params = {"classes": "govuk-input--width-5", "inputmode": "numeric", "spellcheck": False}
        params.update(kwargs.pop("params", {}))
        return super().__call__(params=params, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not (valuelist[0] or "").strip():
            return
        text = valuelist[0].strip().replace(",", "")
        if not text.lstrip("-").isdigit() or len(text) > 9:
            raise ValueError(f"{self.label.text} must be a whole number, like {self.example}")
        self.data = int(text)


def attach_error(form, exc) -> None:
    """Show a service's DomainError next to its field (or at the top of the form)."""
    field = getattr(form, exc.field, None) if getattr(exc, "field", None) else None
    if field is not None:
        field.errors = list(field.errors or []) + [exc.message]
    else:
        form.form_errors.append(exc.message)


class Required:
    """Like InputRequired, but for composite inputs (date boxes): only when nothing at all was entered,
    so a half-typed date shows its own, more useful, message."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        from wtforms.validators import StopValidation

        if field.data is None and not field.process_errors:
            raise StopValidation(self.message)
        if field.process_errors:
            raise StopValidation()
