from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovRadioInput, GovSubmitInput
from wtforms import BooleanField, RadioField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.clocks.rules import ClockUnit
from app.forms import WholeNumberField


class ClockForm(FlaskForm):
    first_contact_within = WholeNumberField(
        "First contact attempt due within", example=24,
        description="For A&E, 24 hours; for custody, 48 hours; for schools, 5 working days. Leave blank for a "
                    "programme without a reachable moment: no clock is shown.",
        validators=[Optional(), NumberRange(min=1, max=2000, message="Enter a number from 1 to 2,000")])
    first_contact_unit = RadioField("Counted in", choices=ClockUnit.choices(), default=ClockUnit.HOURS.value,
                                    widget=GovRadioInput(), validators=[InputRequired(message="Choose hours or working days")],
                                    description="Hours run round the clock. Working days skip weekends and bank "
                                                "holidays in England.")
    amber_hours = WholeNumberField(
        "Warn when this many hours are left", example=4, description="The clock turns amber; 4 is usual",
        validators=[InputRequired(message="Enter the number of hours, like 4"),
                    NumberRange(min=0, max=500, message="Enter a number from 0 to 500")])
    baseline_within_days = WholeNumberField(
        "Baseline measure due within (days of the first attended session)", example=14,
        description="Leave blank if this programme takes no baseline measure",
        validators=[Optional(), NumberRange(min=1, max=365, message="Enter a number of days from 1 to 365")])
    review_at_weeks = WholeNumberField(
        "Review measure due at (weeks after the first attended session)", example=12,
        description="Leave blank for no review",
        validators=[Optional(), NumberRange(min=1, max=104, message="Enter a number of weeks from 1 to 104")])
    exit_at_close = BooleanField("An exit measure is due when a case that engaged is closed",
                                 widget=GovCheckboxInput())
    submit = SubmitField("Save clock settings", widget=GovSubmitInput())
