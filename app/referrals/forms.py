"""Casework forms: they check shape (dates, numbers, lengths); the services check meaning."""
from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount, GovCheckboxInput, GovRadioInput, GovSelect, GovSubmitInput, GovTextInput,
)
from wtforms import BooleanField, Field, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import GovDateField, Required, VersionField, WholeNumberField, enum_select
from app.idempotency import IdempotencyTokenField
from app.referrals.ethnicity import Ethnicity
from app.referrals.models import ContactMode, LawfulBasis, ReferralSource, Sex, TimePoint
from app.referrals.transitions import ReferralStatus

EARLIEST = date(1900, 1, 1)
NOTE_MAX = 5000


def _one_newline(text):
    """Browsers send a line break as CR LF but count it as one character: count as the worker sees it."""
    return text.replace("\r\n", "\n") if isinstance(text, str) else text


class NoteField(TextAreaField):
    """Free text with its limit stated under the box and counted down as the worker types
    (GOV.UK character count; the counting script is the external module app.js, so CSP holds)."""

    widget = GovCharacterCount()

    def __init__(self, label=None, validators=None, max_length: int = NOTE_MAX, rows: int = 4, **kwargs):
        name = (label or "Notes").replace(" (optional)", "")
        kwargs["filters"] = [*kwargs.get("filters", ()), _one_newline]
        super().__init__(label, validators=[*(validators or []), Length(
            max=max_length, message=f"{name} must be {max_length:,} characters or fewer")], **kwargs)
        self.max_length, self.rows = max_length, rows

    def __call__(self, **kwargs):
        params = {"maxlength": self.max_length, "rows": self.rows,
                  "textareaDescriptionText": f"You can enter up to {self.max_length:,} characters"}
        params.update(kwargs.pop("params", {}))
        return super().__call__(params=params, **kwargs)


AGE_CHOICES = [("dob", "I know their date of birth"), ("estimate", "I can estimate their age"),
               ("not_known", "Their age is not known")]

CLOSURE_REASONS = ["Support plan completed", "Referred on to specialist service", "Moved out of area",
                   "Disengaged", "Declined further support", "Other"]


class TimeOfDayField(Field):
    """A 24-hour time like 14:30 (also 1430 or 2.30pm), with a message that says what to type."""

    widget = GovTextInput()
    _PATTERN = re.compile(r"^(\d{1,2})[:.]?(\d{2})\s*(am|pm)?$", re.I)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""

    def __call__(self, **kwargs):
        params = {"classes": "govuk-input--width-5", "inputmode": "numeric", "spellcheck": False}
        params.update(kwargs.pop("params", {}))
        return super().__call__(params=params, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().lower()
        if not text:
            return
        match = self._PATTERN.match(text)
        if not match:
            raise ValueError(f"{self.label.text} must be a time like 14:30")
        hour, minute, half = int(match.group(1)), int(match.group(2)), match.group(3)
        if half == "pm" and hour < 12:
            hour += 12
        if half == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            raise ValueError(f"{self.label.text} must be a real time, like 14:30")
        self.data = time(hour, minute)


class ScoreField(Field):
    """A score with up to two decimal places."""

    widget = GovTextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def __call__(self, **kwargs):
        params = {"classes": "govuk-input--width-5", "inputmode": "decimal", "spellcheck": False}
        params.update(kwargs.pop("params", {}))
        return super().__call__(params=params, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{self.label.text} must be a number, like 7 or 6.5") from None
        if not value.is_finite() or abs(value) >= Decimal("100000000") or value != value.quantize(Decimal("0.01")):
            raise ValueError(f"{self.label.text} must be a number with up to 2 decimal places, like 6.5")
        self.data = value


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Name, NHS number or police reference", widget=GovTextInput(),
                    validators=[Optional(), Length(max=200, message="Search for 200 characters or fewer")])
    dob = GovDateField("Date of birth", validators=[Optional()], earliest=EARLIEST, latest_today=True)
    submit = SubmitField("Search", widget=GovSubmitInput())


class PersonForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    version = VersionField()
    given_name = StringField("First name", widget=GovTextInput(),
                             validators=[InputRequired(message="Enter their first name"),
                                         Length(max=100, message="First name must be 100 characters or fewer")])
    family_name = StringField("Last name", widget=GovTextInput(),
                              validators=[InputRequired(message="Enter their last name"),
                                          Length(max=100, message="Last name must be 100 characters or fewer")])
    age_known = RadioField("What do you know about their age?", widget=GovRadioInput(), validators=[Optional()],
                           choices=AGE_CHOICES, description="Their age decides which programmes they can join and "
                                                            "how they are counted in the return.")
    date_of_birth = GovDateField("Date of birth", description="For example, 27 3 2008", earliest=EARLIEST,
                                 latest_today=True, validators=[Optional()])
    estimated_age = WholeNumberField("Estimated age", example=15,
                                     validators=[Optional(), NumberRange(min=0, max=120, message="Enter an age from 0 to 120")])
    estimated_on = GovDateField("Date the age was estimated", earliest=EARLIEST, latest_today=True,
                                validators=[Optional()],
                                description="The estimate is as at this date. Leave blank to use the referral "
                                            "date (or today, if no referral is being recorded).")
    age_not_known_reason = StringField("Why is their age not known?", widget=GovTextInput(),
                                       description="For example: they would not say, and no ID was seen",
                                       validators=[Optional(), Length(max=200, message="Say why their age is not "
                                                                      "known in 200 characters or fewer")])
    sex = enum_select(Sex, "Sex", blank="Not recorded yet", validators=[Optional()])
    gender_identity = StringField("Gender identity (optional)", widget=GovTextInput(),
                                  validators=[Optional(), Length(max=100, message="Use 100 characters or fewer: shorten what you typed and try again")])
    ethnicity = enum_select(Ethnicity, "Ethnicity", blank="Not recorded yet", validators=[Optional()])
    home_area = StringField("Home area (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=100, message="Use 100 characters or fewer: shorten what you typed and try again")])
    nhs_number = StringField("NHS number (optional)", widget=GovTextInput(),
                             validators=[Optional(), Length(max=20, message="An NHS number has 10 digits")])
    police_reference = StringField("Police reference (optional)", widget=GovTextInput(),
                                   validators=[Optional(), Length(max=50, message="Use 50 characters or fewer")])
    confirm_different = BooleanField("I have checked: this is a different person", widget=GovCheckboxInput())
    submit = SubmitField("Save", widget=GovSubmitInput())

    AGE_FIELDS = {"dob": ("date_of_birth",), "estimate": ("estimated_age", "estimated_on"),
                  "not_known": ("age_not_known_reason",)}

    def age_choice(self) -> str | None:
        """Which of the three answers about age was given: the radio, or (a client that sends no radio) the
        first of date of birth, estimate, reason that was filled in. None is silence, which is refused."""
        if self.age_known.data in self.AGE_FIELDS:
            return self.age_known.data
        if self.date_of_birth.data is not None or self.date_of_birth.errors:
            return "dob"
        if self.estimated_age.data is not None or self.estimated_age.errors:
            return "estimate"
        if (self.age_not_known_reason.data or "").strip():
            return "not_known"
        return None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        choice = self.age_choice()
        for other, names in self.AGE_FIELDS.items():
            if other != choice:  # what was typed under an answer not chosen is not saved, so not checked
                for name in names:
                    getattr(self, name).errors = []
        ok = not any(f.errors for f in self) and not self.form_errors
        missing = {None: ("age_known", "Say whether you know their date of birth, can estimate their age, or "
                                       "do not know their age"),
                   "dob": ("date_of_birth", "Enter their date of birth"),
                   "estimate": ("estimated_age", "Enter their estimated age, like 15"),
                   "not_known": ("age_not_known_reason", "Say why their age is not known")}
        name, message = missing[choice]
        field = getattr(self, name)
        empty = not (field.data or "").strip() if name == "age_not_known_reason" else field.data is None
        if empty and not field.errors:
            field.errors = [message]
            ok = False
        return ok

    def age_values(self) -> dict:
        """The age the worker chose to give, and nothing typed under the other answers."""
        chosen = self.AGE_FIELDS.get(self.age_choice(), ())
        return {name: getattr(self, name).data if name in chosen else None
                for names in self.AGE_FIELDS.values() for name in names}

    def show_age(self, person) -> None:
        """Select the answer a saved record holds (for the edit page)."""
        self.age_known.data = ("dob" if person.date_of_birth else "estimate" if person.estimated_age is not None
                               else "not_known" if person.age_not_known_reason else None)


class ReferralForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    site_id = SelectField("Programme and site", coerce=int, widget=GovSelect(),
                          validators=[InputRequired(message="Choose the programme and site")])
    referred_on = GovDateField("Referral date", validators=[Required(message="Enter the referral date")],
                               earliest=EARLIEST, latest_today=True)
    referred_time = TimeOfDayField("Time of referral", description="24-hour clock, like 14:30. Leave blank for now.",
                                   validators=[Optional()])
    source = enum_select(ReferralSource, "Referred by", validators=[InputRequired(message="Choose who referred them")])
    reason = NoteField("Reason for referral", rows=3, validators=[InputRequired(message="Enter the reason for the referral")])
    lawful_basis = RadioField("Lawful basis", choices=LawfulBasis.choices(), widget=GovRadioInput(),
                              validators=[InputRequired(message="Choose the lawful basis")])
    consent_recorded = BooleanField("Consent has been given and recorded", widget=GovCheckboxInput())
    override_reason = NoteField("Reason to refer outside the eligible ages", rows=2,
                                description="Only needed when they are outside the programme's age range",
                                validators=[Optional()])
    assigned_worker_id = SelectField("Assigned to", coerce=int, widget=GovSelect(), validators=[Optional()])
    submit = SubmitField("Record referral", widget=GovSubmitInput())


class ReferralEditForm(FlaskForm):
    version = VersionField()
    source = enum_select(ReferralSource, "Referred by", validators=[InputRequired()])
    reason = NoteField("Reason for referral", rows=3, validators=[Optional()])
    lawful_basis = RadioField("Lawful basis", choices=LawfulBasis.choices(), widget=GovRadioInput(),
                              validators=[InputRequired(message="Choose the lawful basis")])
    consent_recorded = BooleanField("Consent has been given and recorded", widget=GovCheckboxInput())
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class ContactForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    attended = RadioField("Did they attend?", choices=[("yes", "Yes, they attended"), ("no", "No, they did not attend")],
                          widget=GovRadioInput(), validators=[InputRequired(message="Say whether they attended")])
    mode = RadioField("How", choices=ContactMode.choices(), widget=GovRadioInput(),
                      validators=[InputRequired(message="Choose how the contact happened")])
    occurred_on = GovDateField("Date", validators=[Required(message="Enter the date of the contact")],
                               earliest=EARLIEST, latest_today=True)
    occurred_time = TimeOfDayField("Time", description="24-hour clock, like 14:30", validators=[Optional()])
    duration_minutes = WholeNumberField("Duration in minutes", example=20,
                                        description="A number already here is the length of your last session: "
                                                    "change it if this one was different. Leave it empty if they "
                                                    "did not attend.",
                                        validators=[
        Optional(), NumberRange(min=0, max=720, message="Duration must be between 0 and 720 minutes")])
    notes = NoteField("Notes", validators=[Optional()])
    submit = SubmitField("Save contact", widget=GovSubmitInput())


class StatusForm(FlaskForm):
    version = VersionField()
    to_status = RadioField("New status", widget=GovRadioInput(), validators=[InputRequired(message="Choose the new status")])
    note = NoteField("Note (optional)", rows=3, validators=[Optional()])
    submit = SubmitField("Change status", widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    outcome_type = RadioField("Outcome", widget=GovRadioInput(), validators=[InputRequired(message="Choose the outcome")])
    achieved_on = GovDateField("Date achieved", validators=[Required(message="Enter the date")], earliest=EARLIEST,
                               latest_today=True)
    notes = NoteField("Notes (optional)", validators=[Optional()])
    submit = SubmitField("Save outcome", widget=GovSubmitInput())


class MeasureForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    instrument = StringField("Measure", widget=GovTextInput(), description="For example, Distress (0–10)",
                             validators=[InputRequired(message="Enter the measure"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    time_point = RadioField("Time point", choices=TimePoint.choices(), widget=GovRadioInput(),
                            validators=[InputRequired(message="Choose baseline, review or exit")])
    value = ScoreField("Score", validators=[InputRequired(message="Enter the score, like 7")])
    measured_on = GovDateField("Date measured", validators=[Required(message="Enter the date")], earliest=EARLIEST,
                               latest_today=True)
    higher_is_better = BooleanField("A higher score is better on this measure", widget=GovCheckboxInput())
    submit = SubmitField("Save measure", widget=GovSubmitInput())


class CloseForm(FlaskForm):
    version = VersionField()
    ending = RadioField("Why is the case ending before they engaged?", widget=GovRadioInput(), validators=[Optional()],
                        description="They have not attended a session yet, so say which of these applies",
                        choices=[(s.value, s.label) for s in (ReferralStatus.DECLINED, ReferralStatus.NOT_ELIGIBLE,
                                                              ReferralStatus.UNABLE_TO_CONTACT)])
    reason = RadioField("Reason for closing", choices=[(r, r) for r in CLOSURE_REASONS], widget=GovRadioInput(),
                        validators=[InputRequired(message="Choose the reason for closing")])
    other_reason = StringField("If you chose other, say why", widget=GovTextInput(),
                               validators=[Optional(), Length(max=150, message="Use 150 characters or fewer")])
    closed_on = GovDateField("Date closed", validators=[Required(message="Enter the date the case closed")],
                             earliest=EARLIEST, latest_today=True)
    submit = SubmitField("Close the case", widget=GovSubmitInput())


class ReopenForm(FlaskForm):
    version = VersionField()
    reason = NoteField("Why is the case being reopened?", rows=3,
                       description="This goes in the case's history. For example: they came back to us after two "
                                   "weeks and want to carry on.",
                       validators=[InputRequired(message="Say why the case is being reopened")])
    submit = SubmitField("Reopen the case", widget=GovSubmitInput())


class AssignForm(FlaskForm):
    version = VersionField()
    worker_id = SelectField("Assign to", coerce=int, widget=GovSelect(),
                            validators=[InputRequired(message="Choose who to assign it to")])
    submit = SubmitField("Reassign", widget=GovSubmitInput())


class MergeForm(FlaskForm):
    keep = RadioField("Which record should be kept?", widget=GovRadioInput(),
                      validators=[InputRequired(message="Choose the record to keep")])
    submit = SubmitField("Continue: check what will be kept", widget=GovSubmitInput())


class NewPersonReferralForm(PersonForm, ReferralForm):
    """One page for someone not yet recorded: who they are, then the referral. The duplicate check still
    runs before anything is saved, and a worker can pick an existing record without retyping the referral."""

    version = None
    confirm_different = None  # asked as "is this one of these people?" when the duplicate check finds someone
    submit = SubmitField("Record referral", widget=GovSubmitInput())

    PERSON_FIELDS = ("given_name", "family_name", "age_known", "date_of_birth", "estimated_age", "estimated_on",
                     "age_not_known_reason", "sex", "ethnicity", "gender_identity", "home_area", "nhs_number",
                     "police_reference")
