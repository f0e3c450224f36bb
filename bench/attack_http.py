"""A small HTTP client for bench/attack.py: one connection per request (gunicorn's sync workers close them anyway),
cookies kept by hand (production cookies are Secure, which a cookie jar will not send back over plain HTTP to
127.0.0.1), the CSRF token read from a page, an API token, and the client's address in X-Forwarded-For (the server
under attack trusts one proxy)."""
from __future__ import annotations

import http.client
import http.cookies
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

import pyotp

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_steps: dict[str, int] = {}
_steps_lock = threading.Lock()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    mimetype: str = ""
    _text: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.body.decode("utf-8", "replace")
        return self._text

    def get_data(self) -> bytes:  # the shape tests/security/walk.text_of reads
        return self.body


class Client:
    def __init__(self, base: str, ip: str | None = None):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.ip = ip
        self.cookies: dict[str, str] = {}
        self.api_token: str | None = None
        self.csrf_token: str | None = None
        self._lock = threading.Lock()

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                api: bool = False) -> Response:
        headers = dict(headers or {})
        if self.ip:
            headers["X-Forwarded-For"] = self.ip
        if api:
            headers["Authorization"] = f"Bearer {self.api_token or 'none'}"
            headers.setdefault("Accept", "application/json")
        elif self.cookies:
            with self._lock:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(3):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                break
            except (ConnectionError, http.client.HTTPException):
                if attempt == 2:
                    raise
                time.sleep(0.5)
            finally:
                conn.close()
        if not api:
            with self._lock:
                for value in r.msg.get_all("Set-Cookie") or []:
                    jar = http.cookies.SimpleCookie()
                    jar.load(value)
                    for name, morsel in jar.items():
                        self.cookies[name] = morsel.value
        mimetype = (r.getheader("Content-Type") or "").split(";")[0].strip().lower()
        return Response(r.status, {k: v for k, v in r.getheaders()}, data, mimetype)

    def get(self, path: str, api: bool = False) -> Response:
        return self.request("GET", path, api=api)

    def csrf(self, path: str = "/") -> str:
        page = self.get(path)
        match = _CSRF.search(page.text)
        if match:
            self.csrf_token = match.group(1)
        return self.csrf_token or ""

    def post(self, path: str, data: dict, api: bool = False, csrf: bool = True) -> Response:
        data = dict(data)
        if csrf and not api:
            data.setdefault("csrf_token", self.csrf_token or self.csrf())
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self.request("POST", path, body=body, api=api,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def _code(secret: str) -> str:
    """The authenticator's code, never one already used for this secret (the server refuses a replayed step)."""
    with _steps_lock:
        step = max(int(time.time() // 30), _steps.get(secret, -1) + 1)
        _steps[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


def sign_in(base: str, user: dict, ip: str | None = None, api_token: bool = False) -> Client:
    client = Client(base, ip)
    client.csrf("/sign-in")
    r = client.post("/sign-in", {"email": user["email"], "password": PASSWORD})
    if r.status == 302 and r.headers.get("Location", "").endswith("/sign-in/code"):
        client.csrf("/sign-in/code")
        r = client.post("/sign-in/code", {"code": _code(user["totp"])})
    if r.status != 302 or "/sign-in" in r.headers.get("Location", ""):
        raise SystemExit(f"sign-in as {user['email']} failed: {r.status} {r.headers.get('Location')}")
    client.csrf("/")
    if api_token:
        client.csrf("/account/api-tokens")
        page = client.post("/account/api-tokens", {"name": f"attack {user['email']}"})
        match = re.search(r'data-testid="token-value">([^<]+)<', page.text)
        if not match:
            raise SystemExit(f"no API token for {user['email']}: {page.status}")
        client.api_token = match.group(1).strip()
        client.csrf("/")
    return client


def text_of(response: Response) -> str:
    """The answer as text, whatever its format (HTML, JSON, CSV, XLSX, PDF, zip): tests/security/walk.text_of."""
    from tests.security.walk import text_of as walk_text_of

    try:
        return walk_text_of(response)[1]
    except Exception:  # noqa: BLE001 - an unreadable body is read as bytes, still searched for names
        return response.text
