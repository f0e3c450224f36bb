"""argon2id password hashing and the password policy (SECURITY.md §4)."""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

MIN_LENGTH = 12

# A short shipped list; app/auth/common_passwords.txt extends it when present.
_BUILTIN_COMMON = {
    "password1234", "123456789012", "qwertyuiop12", "passwordpassword", "iloveyou1234",
    "letmein12345", "welcome12345", "changeme1234", "administrator", "password123!",
}


def _hasher() -> PasswordHasher:
    if current_app and current_app.config.get("ARGON2_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # argon2id with the library's recommended parameters


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    # Always do an argon2 verification so unknown users take as long as wrong passwords.
    target = password_hash or _DUMMY_HASH()
    try:
        ok = _hasher().verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    return ok and password_hash is not None


_dummy_cache: dict[bool, str] = {}


def _DUMMY_HASH() -> str:  # noqa: N802 - reads like a constant at the call site
    fast = bool(current_app.config.get("ARGON2_FAST"))
    if fast not in _dummy_cache:
        _dummy_cache[fast] = _hasher().hash("not-a-real-password-just-timing")
    return _dummy_cache[fast]


@functools.cache
def common_passwords() -> frozenset[str]:
    from pathlib import Path

    path = Path(__file__).with_name("common_passwords.txt")
    words = set(_BUILTIN_COMMON)
    if path.exists():
        words |= {w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines()
                  if w.strip() and not w.startswith("#")}
    return frozenset(words)


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """A message saying what is wrong with a proposed password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters long"
    if password.lower() in common_passwords():
        return "That password is too common. Choose a different one"
    if email and (password.lower() == email.lower() or password.lower() == email.split("@")[0].lower()):
        return "Password must not be your email address"
    return None
