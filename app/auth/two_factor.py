"""TOTP second factor (RFC 6238; SECURITY.md §4). The QR code is drawn here, never by a third party."""
from __future__ import annotations

import time

import pyotp
import segno

ISSUER = "Waypoint"
STEP = 30
# Accept the previous and next 30-second step too: phone clocks drift and people type slowly.
WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """An inline SVG image (CSP allows img-src data:), so the secret never leaves the server."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#0b0c0c")


def grouped(secret: str) -> str:
    """The key in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


def matching_step(secret: str, code: str | None, *, after: int | None = None, now: float | None = None) -> int | None:
    """The time step whose code matches, or None. Steps at or before `after` were already used (no replay)."""
    code = normalise_code(code)
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // STEP)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if after is not None and step <= after:
            continue
        if totp.at(step * STEP) == code:
            return step
    return None
