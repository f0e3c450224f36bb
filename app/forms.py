"""Form pieces shared by every domain: GOV.UK date input with plain-English errors, enum choices."""
from __future__ import annotations

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import Field, SelectField
from wtforms.validators import ValidationError


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
            value = date(int(year), int(month), int(day))
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
