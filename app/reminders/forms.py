from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput
from wtforms import BooleanField, SubmitField


class ReminderForm(FlaskForm):
    daily_digest = BooleanField("A daily e-mail with how many things are on my to-do list",
                                widget=GovCheckboxInput())
    on_assignment = BooleanField("An e-mail as soon as a referral is assigned to me", widget=GovCheckboxInput())
    clock_warning = BooleanField("An e-mail when a first-contact clock of mine is about to run out",
                                 widget=GovCheckboxInput())
    breaches = BooleanField("An e-mail when a first-contact clock in my organisation has run out",
                            widget=GovCheckboxInput())
    show_initials = BooleanField("Include the young person's initials (never their name)",
                                 widget=GovCheckboxInput(),
                                 description="Otherwise an e-mail says only the site and programme, with a link.")
    submit = SubmitField("Save e-mail choices", widget=GovSubmitInput())
