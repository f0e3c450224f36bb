"""`flask audit checkpoint` can also e-mail the chain's head (issue 10, item 4: "optionally sent by email"), through
the app's mail set-up, to a real SMTP server (aiosmtpd) started here. A failure to send is reported plainly and the
checkpoint file is written all the same."""
from __future__ import annotations

import json
from contextlib import contextmanager

from tests.reminders.smtp import free_port, smtp_server
from tests.security.real_db import committing_app


@contextmanager
def _app(tmp_path, port: int, **overrides):
    with committing_app(tmp_path, "audit_mail", AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
                        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5, **overrides) as app:
        with app.app_context():
            from app import audit
            from app.db import db

            for i in range(7):
                audit.record(None, "test.event", detail={"n": i})
            db.session.commit()
            db.session.remove()
        yield app


def _checkpoint(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["audit", "checkpoint", *args])


def _lines(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "checkpoints.jsonl").read_text().splitlines()]


def test_the_checkpoint_is_emailed_to_the_configured_address(tmp_path):
    with smtp_server() as (handler, port), _app(tmp_path, port, AUDIT_CHECKPOINT_EMAIL="dpo@example.org") as app:
        result = _checkpoint(app)
    assert result.exit_code == 0, result.output
    [entry] = _lines(tmp_path)
    assert entry["seq"] == 7
    [message] = handler.messages
    assert message["to"] == ["dpo@example.org"]
    assert "event number 7" in message["subject"]
    body = message["body"]
    assert f"Event number (seq): {entry['seq']}" in body and entry["hash"] in body and entry["at"] in body
    assert str(tmp_path / "checkpoints.jsonl") in body
    assert "Checkpoint e-mailed to dpo@example.org." in result.output


def test_the_email_option_overrides_the_setting_and_no_email_turns_it_off(tmp_path):
    with smtp_server() as (handler, port), _app(tmp_path, port, AUDIT_CHECKPOINT_EMAIL="dpo@example.org") as app:
        first = _checkpoint(app, "--email", "ops@example.org", "--email", "auditor@example.org")
        second = _checkpoint(app, "--no-email")
    assert first.exit_code == second.exit_code == 0
    assert [m["to"] for m in handler.messages] == [["ops@example.org", "auditor@example.org"]]
    assert len(_lines(tmp_path)) == 2


def test_without_an_address_nothing_is_sent(tmp_path):
    with smtp_server() as (handler, port), _app(tmp_path, port) as app:
        result = _checkpoint(app)
    assert result.exit_code == 0 and handler.messages == [] and len(_lines(tmp_path)) == 1
    assert "e-mailed" not in result.output


def test_a_failure_to_send_is_reported_and_the_file_is_still_written(tmp_path):
    port = free_port()  # nothing listens here: the connection is refused
    with _app(tmp_path, port, AUDIT_CHECKPOINT_EMAIL="dpo@example.org") as app:
        result = _checkpoint(app)
        with app.app_context():  # ... and verify takes it as the last checkpoint
            verify = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "The checkpoint e-mail to dpo@example.org was NOT sent" in result.output
    assert f"127.0.0.1:{port}" in result.output and "written to the file above" in result.output
    [entry] = _lines(tmp_path)
    assert entry["seq"] == 7
    assert f"event number 7, HMAC {entry['hash']}" in result.output
    assert verify.exit_code == 0 and "reaches the checkpoint" in verify.output
