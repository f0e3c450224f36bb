from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from app.auth.models import OrganisationKind
from app.auth.roles import Role
from app.forms import enum_select
from app.idempotency import IdempotencyTokenField


class UserForm(FlaskForm):
    full_name = StringField("Full name", widget=GovTextInput(),
                            validators=[InputRequired(message="Enter the person's full name"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    email = EmailField("Email address", widget=GovTextInput(), validators=[
        InputRequired(message="Enter an email address"), Length(max=254, message="Use 254 characters or fewer: shorten what you typed and try again"),
        Email(message="Enter an email address in the correct format, like name@example.org")])
    role = enum_select(Role, "Role", blank="Choose a role",
                       validators=[InputRequired(message="Choose a role")])
    organisation_id = SelectField("Organisation", coerce=str, widget=GovSelect(),
                                  validators=[InputRequired(message="Choose an organisation")])
    password = PasswordField("First password", widget=GovPasswordInput(),
                             description="At least 12 characters. Give it to the person securely; they can change it.",
                             validators=[InputRequired(message="Enter a first password"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Create account", widget=GovSubmitInput())


class OrganisationForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the organisation's name"), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    kind = enum_select(OrganisationKind, "Kind of organisation", blank="Choose a kind",
                       validators=[InputRequired(message="Choose what kind of organisation this is")])
    consortium = StringField("Consortium (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Add organisation", widget=GovSubmitInput())


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", widget=GovTextArea(),
                           description="For example the request reference and who made it. This goes in the audit log.",
                           validators=[InputRequired(message="Enter a reason"), Length(max=500, message="Use 500 characters or fewer: shorten what you typed and try again")])
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class ButtonForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())
