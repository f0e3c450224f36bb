"""Finance forms: shape only (services check meaning)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput, GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput,
)
from wtforms import Field, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.finance.models import LineType, MatchKind, MatchStatus, SpendKind
from app.forms import GovDateField, Required, VersionField
from app.idempotency import IdempotencyTokenField

_NUMBER = re.compile(r"^\d+(\.\d+)?$")


class DecimalTextField(Field):
    """A text box read as an exact Decimal; "£1,510,000" and "1510000.00" both work."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, example: str = "1,234.50", prefix: str | None = "£",
                 suffix: str | None = None, width: str = "govuk-input--width-10", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.example, self.prefix, self.suffix, self.width = example, prefix, suffix, width

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:,.2f}" if self.prefix == "£" else f"{self.data.normalize():f}"

    def __call__(self, **kwargs):
        params = {"classes": self.width, "inputmode": "decimal", "spellcheck": False}
        if self.prefix:
            params["prefix"] = {"text": self.prefix}
        if self.suffix:
            params["suffix"] = {"text": self.suffix}
        params.update(kwargs.pop("params", {}))
        return super().__call__(params=params, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not (valuelist[0] or "").strip():
            return
        text = valuelist[0].strip().replace(",", "").replace(" ", "")
        if self.prefix and text.startswith(self.prefix):
            text = text[len(self.prefix):]
        if self.suffix and text.endswith(self.suffix):
            text = text[: -len(self.suffix)]
        if text.startswith("-"):
            raise ValueError(f"{self.label.text} cannot be negative")
        if not _NUMBER.match(text) or len(text) > 16:
            raise ValueError(f"{self.label.text} must be a number, like {self.example}")
        try:
            self.data = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{self.label.text} must be a number, like {self.example}") from None


def _radios(enum_cls, label: str, **kwargs) -> RadioField:
    return RadioField(label, choices=enum_cls.choices(), widget=GovRadioInput(), **kwargs)


class GrantYearForm(FlaskForm):
    fy = SelectField("Financial year", coerce=int, widget=GovSelect(), validators=[InputRequired()])
    funder = StringField("Funder", widget=GovTextInput(), default="Home Office",
                         validators=[InputRequired(message="Enter the funder, for example Home Office"),
                                     Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    allocation = DecimalTextField("Grant allocation", example="1,510,000",
                                  validators=[Required(message="Enter the grant allocation, like 1,510,000")])
    match_pct = DecimalTextField("Match funding required", prefix=None, suffix="%", example="20",
                                 width="govuk-input--width-4",
                                 description="Leave blank to use the Home Office rate for the year "
                                             "(10% in 2022-23, 15% in 2023-24, 20% in 2024-25)",
                                 validators=[Optional()])
    grant_reference = StringField("Grant reference", widget=GovTextInput(), validators=[Optional(), Length(max=100, message="Use 100 characters or fewer: shorten what you typed and try again")])
    sro_name = StringField("Senior responsible officer", widget=GovTextInput(),
                           description="Printed in the header of the quarterly return",
                           validators=[Optional(), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Save grant year", widget=GovSubmitInput())


class LineForm(FlaskForm):
    name = StringField("Line name", widget=GovTextInput(), description="For example Hospital Navigators",
                       validators=[InputRequired(message="Enter a name for the budget line"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    line_type = _radios(LineType, "Type of spend", validators=[InputRequired(message="Choose the type of spend")])
    programme_id = SelectField("Programme", coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                               widget=GovSelect(),
                               description="Intervention and evaluation lines can name the programme they fund",
                               validators=[Optional()])
    planned = DecimalTextField("Planned amount", example="125,000",
                               validators=[Required(message="Enter the planned amount, like 125,000")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Save line", widget=GovSubmitInput())


class SpendForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    line_id = SelectField("Budget line", coerce=int, widget=GovSelect(),
                          validators=[InputRequired(message="Choose the budget line")])
    incurred_on = GovDateField("Date incurred", validators=[Required(message="Enter the date the spend was incurred")])
    amount = DecimalTextField("Amount", validators=[Required(message="Enter the amount, like 1,234.50")])
    kind = _radios(SpendKind, "Actual or forecast", default=SpendKind.ACTUAL.value,
                   validators=[InputRequired(message="Choose actual or forecast")])
    funded_by = SelectField("Funded by", coerce=int, widget=GovSelect(),
                            description="Spend paid for by an earlier year's grant counts in that year",
                            validators=[InputRequired()])
    description = StringField("Description", widget=GovTextInput(),
                              description="Supplier and invoice, for example. Do not enter young people's names.",
                              validators=[Optional(), Length(max=300, message="Use 300 characters or fewer: shorten what you typed and try again")])
    version = VersionField()
    submit = SubmitField("Save spend", widget=GovSubmitInput())


class LedgerForm(FlaskForm):
    quarter = RadioField("Quarter", coerce=int, widget=GovRadioInput(),
                         validators=[InputRequired(message="Choose the quarter this ledger covers")])
    file = FileField("Ledger file (CSV or Excel .xlsx)", widget=GovFileInput(),
                     validators=[FileRequired(message="Choose the ledger file to upload")])
    submit = SubmitField("Check and upload", widget=GovSubmitInput())


class ContributionForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    contributor = StringField("Contributing organisation", widget=GovTextInput(),
                              validators=[InputRequired(message="Enter the contributing organisation"),
                                          Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    kind = _radios(MatchKind, "Cash or in kind", validators=[InputRequired(message="Choose cash or in kind")])
    basis = StringField("Basis", widget=GovTextInput(),
                        description="What the contribution is, for example 'grant to Sports and Inclusion'",
                        validators=[InputRequired(message="Enter the basis of the contribution"), Length(max=300, message="Use 300 characters or fewer: shorten what you typed and try again")])
    amount = DecimalTextField("Amount", validators=[Required(message="Enter the amount, like 50,000")])
    received_on = GovDateField("Date made or committed",
                               validators=[Required(message="Enter the date the contribution was made or committed")])
    status = _radios(MatchStatus, "Evidence status", default=MatchStatus.PLEDGED.value,
                     validators=[InputRequired(message="Choose the evidence status")])
    evidence_note = TextAreaField("Evidence", widget=GovTextArea(),
                                  description="Letter, invoice or agreement reference; needed once evidenced",
                                  validators=[Optional(), Length(max=2000, message="Use 2,000 characters or fewer: shorten what you typed and try again")])
    version = VersionField()
    submit = SubmitField("Save contribution", widget=GovSubmitInput())


class SecondmentForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    contributor = StringField("Seconding organisation", widget=GovTextInput(),
                              validators=[InputRequired(message="Enter the seconding organisation"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    role = StringField("Role", widget=GovTextInput(), description="For example Police sergeant. Not the person's name.",
                       validators=[InputRequired(message="Enter the role"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    fte = DecimalTextField("Full-time equivalent (FTE)", prefix=None, example="0.5", width="govuk-input--width-4",
                           validators=[Required(message="Enter the FTE, like 1 or 0.5")])
    starts_on = GovDateField("Secondment starts", validators=[Required(message="Enter the date the secondment starts")])
    ends_on = GovDateField("Secondment ends", description="Leave blank if it has no end date yet",
                           validators=[Optional()])
    annual_loaded_cost = DecimalTextField("Annual loaded cost", example="72,000",
                                          description="Salary plus on-costs for a full year at 1 FTE",
                                          validators=[Required(message="Enter the annual loaded cost, like 72,000")])
    status = _radios(MatchStatus, "Evidence status", default=MatchStatus.PLEDGED.value,
                     validators=[InputRequired(message="Choose the evidence status")])
    evidence_note = TextAreaField("Evidence", widget=GovTextArea(),
                                  description="Secondment agreement or invoice reference; needed once evidenced",
                                  validators=[Optional(), Length(max=2000, message="Use 2,000 characters or fewer: shorten what you typed and try again")])
    version = VersionField()
    submit = SubmitField("Save secondment", widget=GovSubmitInput())
