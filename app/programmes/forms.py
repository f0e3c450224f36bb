from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput, GovCheckboxInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput,
)
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import GovDateField, Required, WholeNumberField, enum_select
from app.idempotency import IdempotencyTokenField
from app.programmes.models import (
    Cohort, EvaluationStage, HomeOfficeCategory, ProgrammeKind, ReachUnit, SiteSetting, TargetMeasure, Tier,
)

WHOLE = "must be a whole number, like 6"


class ProgrammeForm(FlaskForm):
    name = StringField("Programme name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the programme name"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    kind = enum_select(ProgrammeKind, "Kind of programme", validators=[InputRequired()])
    ho_category = enum_select(HomeOfficeCategory, "Home Office category (primary)", validators=[InputRequired()])
    ho_category_secondary = enum_select(HomeOfficeCategory, "Secondary Home Office category", blank="None",
                                        validators=[Optional()])
    tiers = SelectMultipleField("Tiers", choices=Tier.choices(), widget=GovCheckboxesInput(),
                                validators=[Optional()])
    cohort = enum_select(Cohort, "Cohort", validators=[InputRequired()])
    min_age = WholeNumberField("Youngest eligible age on the referral date",
                           validators=[Optional(), NumberRange(min=0, max=120, message="Enter an age from 0 to 120")])
    max_age = WholeNumberField("Oldest eligible age on the referral date",
                           validators=[Optional(), NumberRange(min=0, max=120, message="Enter an age from 0 to 120")])
    referral_trigger = TextAreaField("Referral trigger", widget=GovTextArea(),
                                     description="The reachable moment, for example: attends A&E with a violent injury",
                                     validators=[Optional(), Length(max=2000, message="Use 2,000 characters or fewer: shorten what you typed and try again")])
    session_cap = WholeNumberField("Session cap", description="Leave blank for no cap",
                               validators=[Optional(), NumberRange(min=1, max=500, message="Enter a number from 1 to 500")])
    cadence_days = WholeNumberField("Days between sessions", description="For weekly sessions, 7",
                                validators=[Optional(), NumberRange(min=1, max=365, message="Enter a number from 1 to 365")])
    reach_unit = enum_select(ReachUnit, "Reach is counted as", validators=[InputRequired()])
    evaluation_stage = enum_select(EvaluationStage, "Evaluation stage", validators=[InputRequired()])
    trial_enabled = BooleanField("This programme runs a randomised trial", widget=GovCheckboxInput())
    trial_stratify_by_site = BooleanField("Stratify the trial draw by site", widget=GovCheckboxInput())
    trial_seed = WholeNumberField(
        "Trial seed (optional)", example=20240917,
        description="The number the trial's random draws start from, as agreed with the evaluator. Anyone with it "
                    "can re-run every draw. Leave blank and Waypoint picks one. It cannot change once people have "
                    "been allocated.",
        validators=[Optional(), NumberRange(min=0, max=2**31 - 1, message="Enter a whole number from 0 to 2147483647")])
    outcome_types = TextAreaField("Outcome types", widget=GovTextArea(), description="One per line",
                                  validators=[Optional(), Length(max=4000, message="Use 4,000 characters or fewer: shorten what you typed and try again")])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional(), Length(max=4000, message="Use 4,000 characters or fewer: shorten what you typed and try again")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Save programme", widget=GovSubmitInput())


class SiteForm(FlaskForm):
    name = StringField("Site name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the site name"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    setting = enum_select(SiteSetting, "Setting", validators=[InputRequired()])
    provider_id = SelectField("Delivered by", coerce=int, widget=GovSelect(),
                              validators=[InputRequired(message="Choose the organisation that delivers here")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Save site", widget=GovSubmitInput())


class WindowForm(FlaskForm):
    fy = SelectField("Financial year", coerce=int, widget=GovSelect(), validators=[InputRequired()])
    starts_on = GovDateField("Counting starts", validators=[Required(message="Enter the date counting starts")])
    ends_on = GovDateField("Counting ends", validators=[Required(message="Enter the date counting ends")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Save counting window", widget=GovSubmitInput())


class TargetForm(FlaskForm):
    fy = SelectField("Financial year", coerce=int, widget=GovSelect(), validators=[InputRequired()])
    measure = enum_select(TargetMeasure, "Measure", validators=[InputRequired()])
    value = WholeNumberField("Target",
                         validators=[InputRequired(message="Enter the target as a whole number, like 120"),
                                     NumberRange(min=0, max=1_000_000, message="Enter a target from 0 to 1,000,000")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Save target", widget=GovSubmitInput())


class TrainingForm(FlaskForm):
    title = StringField("Name of the training", widget=GovTextInput(),
                        validators=[InputRequired(message="Enter the name of the training"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    held_on = GovDateField("Date held", validators=[Required("Enter the date the training was held")])
    attendees = TextAreaField("People trained", widget=GovTextArea(), validators=[Optional(), Length(max=50000, message="Use 50,000 characters or fewer: shorten what you typed and try again")],
                              description="One per line: name, e-mail, role, organisation. The same person at "
                                          "several events counts once a year.")
    anonymous_count = WholeNumberField("Or, if names were not taken, the number trained",
                                       validators=[Optional(), NumberRange(min=1, max=10000,
                                                                           message="Enter a number from 1 to 10,000")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Record training", widget=GovSubmitInput())
