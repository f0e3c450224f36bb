from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import GovDateField


class DraftForm(FlaskForm):
    sro_name = StringField("Senior responsible officer", widget=GovTextInput(),
                           validators=[Optional(), Length(max=200, message="Use 200 characters or fewer: shorten what you typed and try again")])
    grant_reference = StringField("Grant reference", widget=GovTextInput(), validators=[Optional(), Length(max=100, message="Use 100 characters or fewer: shorten what you typed and try again")])
    due_on = GovDateField("Due date", validators=[Optional()])
    narrative = TextAreaField("Narrative", widget=GovTextArea(), validators=[Optional(), Length(max=20000, message="The narrative must be 20,000 characters or fewer (about 8 pages): shorten it and save again")],
                              description="Progress, risks and changes this quarter. Leave a blank line between "
                                          "paragraphs. Do not name young people.")
    submit = SubmitField("Save draft", widget=GovSubmitInput())


class AcceptForm(FlaskForm):
    reason = TextAreaField("Why can these not be fixed?", widget=GovTextArea(),
                           validators=[Optional(), Length(max=2000, message="Use 2,000 characters or fewer: shorten what you typed and try again")],
                           description="For example: the young person chose not to give their ethnicity.")
    submit = SubmitField("Accept selected exceptions", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """CSRF only: submit and lock are a single button."""
