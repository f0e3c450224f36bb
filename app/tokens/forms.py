from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Regexp

from app.idempotency import IdempotencyTokenField

# A name is shown on pages and in the audit: control characters (a NUL byte cannot even be stored in PostgreSQL)
# get a message, not an error page.
PRINTABLE = Regexp(r"^[^\x00-\x1f\x7f]*$", message="Use letters, numbers, spaces and punctuation only")


class PersonalTokenForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(),
                       description="What will use it, so you can tell your tokens apart. For example ‘Laptop sync’.",
                       validators=[InputRequired(message="Give the token a name"), Length(max=100), PRINTABLE])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Make a token", widget=GovSubmitInput())


class ServiceTokenForm(FlaskForm):
    name = StringField("System name", widget=GovTextInput(),
                       description="For example ‘Royal Berkshire A&E referrals’. Work the system does is shown under "
                                   "this name.",
                       validators=[InputRequired(message="Give the system a name"), Length(max=100), PRINTABLE])
    organisation_id = SelectField("Organisation", coerce=int, widget=GovSelect(),
                                  validators=[InputRequired(message="Choose the organisation whose system this is")])
    role = SelectField("Acts as", widget=GovSelect(),
                       description="A youth worker's system records referrals and sessions; a provider manager's can "
                                   "also reassign cases.",
                       validators=[InputRequired(message="Choose a role")])
    idempotency_token = IdempotencyTokenField()  # a double tap or a retry saves once
    submit = SubmitField("Make a service token", widget=GovSubmitInput())


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke", widget=GovSubmitInput())
