"""The upload form's one checked field: its idempotency token (the organisation and the file are read by the view,
which gives its own messages)."""
from flask_wtf import FlaskForm

from app.idempotency import IdempotencyTokenField


class UploadForm(FlaskForm):
    idempotency_token = IdempotencyTokenField()  # a double click or a retry uploads once: one import run
