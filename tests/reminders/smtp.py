"""A real SMTP server (aiosmtpd) for the tests, collecting what it is sent."""
from __future__ import annotations

import asyncio
import email
import socket
from contextlib import contextmanager
from email import policy

from aiosmtpd.controller import Controller


class Collector:
    def __init__(self, delay: float = 0.0):
        self.messages: list[dict] = []
        self.delay = delay  # a slow server keeps each message in hand longer, so concurrent runs overlap

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "subject": str(msg["subject"]),
                              "body": msg.get_content()})
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(delay: float = 0.0):
    handler = Collector(delay)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()
