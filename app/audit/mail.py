"""E-mailing an audit checkpoint (docs/security.md "Audit"): a second copy of the chain's head, somewhere neither the
database nor the app server can rewrite — an operator's mailbox.

Sent through the app's one mail set-up (flask-mailman, MAIL_* settings, as the reminder e-mails are). The
checkpoint file is written *before* the e-mail is tried, so a mail failure never loses the checkpoint; the caller
reports the failure plainly.
"""
from __future__ import annotations

from flask import current_app
from flask_mailman import EmailMessage

from app.extensions import mail


def recipients(option: tuple[str, ...] | list[str] | None) -> list[str]:
    """Who gets the checkpoint: the ``--email`` addresses if given, else AUDIT_CHECKPOINT_EMAIL (comma-separated),
    else nobody."""
    raw = list(option or []) or [current_app.config.get("AUDIT_CHECKPOINT_EMAIL") or ""]
    return [address.strip() for item in raw for address in item.split(",") if address.strip()]


def message_for(entry: dict, path: str) -> tuple[str, str]:
    subject = f"Waypoint audit checkpoint: event number {entry['seq']} at {entry['at']}"
    body = (f"The audit chain's head was checkpointed.\n\n"
            f"Event number (seq): {entry['seq']}\n"
            f"HMAC:               {entry['hash']}\n"
            f"Time (UTC):         {entry['at']}\n"
            f"Written to:         {path}\n"
            f"Environment:        {current_app.config.get('ENV_NAME')}\n\n"
            "Keep this e-mail. `flask audit verify` compares the log with the last checkpoint in the file; if that file "
            "is ever lost or doubted, compare the chain's event with this number against the HMAC above.\n\n"
            f"Checkpoint line: {{\"at\": \"{entry['at']}\", \"hash\": \"{entry['hash']}\", \"seq\": {entry['seq']}}}\n")
    return subject, body


def send_checkpoint(entry: dict, path: str, to: list[str], connection=None) -> None:
    """Send the checkpoint to ``to``. Raises (OSError, smtplib.SMTPException) when it cannot be sent."""
    subject, body = message_for(entry, path)
    conn = connection or mail.get_connection(fail_silently=False)
    EmailMessage(subject, body, current_app.config["MAIL_DEFAULT_SENDER"], to, connection=conn).send(
        fail_silently=False)
