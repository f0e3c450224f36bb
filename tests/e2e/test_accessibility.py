"""axe-core (npm, copied into app/static/test-vendor by `make assets`) on every page each role reaches from its
navigation and home page, on a desktop and on a phone: 0 violations of any impact.

The pages are found as a person would find them: the service navigation, then the links on each of those
pages (same site, GET, not downloads or sign-out), up to a limit per role. axe runs inside the page (through
the DevTools protocol, so the Content-Security-Policy is not loosened for it)."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ARTIFACTS, shot, sign_in_as

ROOT = Path(__file__).resolve().parents[2]
AXE = next((p for p in (ROOT / "app/static/test-vendor/axe.min.js", ROOT / "node_modules/axe-core/axe.min.js")
            if p.exists()), None)
ROLES = {
    "youth-worker": "worker@example.org",
    "provider-manager": "manager@example.org",
    "programme-office": "programme.office@example.org",
    "finance": "finance@example.org",
    "admin": "admin@example.org",
}
DEVICES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGES_PER_ROLE = 18
SKIP = ("sign-out", "download", "format=", "export", ".csv", ".xlsx", ".pdf", ".json", "/assets/", "/static/",
        "template", "/api/")


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or any(s in href for s in SKIP):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path not in out:
            out.append(path)
    return out


def _violations(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")


@pytest.mark.skipif(AXE is None, reason="axe-core is not installed: run `make assets`")
@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_every_role_has_no_accessibility_violations(browser, live_server, role, device):
    context = browser.new_context(viewport=DEVICES[device], base_url=live_server.url,
                                  is_mobile=device == "phone", has_touch=device == "phone")
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in_as(page, ROLES[role])
        origin = live_server.url
        queue = ["/"] + _links(page, origin)
        seen: list[str] = []
        found: dict[str, list] = {}
        while queue and len(seen) < PAGES_PER_ROLE:
            path = queue.pop(0)
            if path in seen:
                continue
            response = page.goto(path)
            seen.append(path)
            if response is None or response.status >= 400 or "text/html" not in response.headers.get(
                    "content-type", ""):
                continue
            page.wait_for_load_state("domcontentloaded")
            bad = _violations(page)
            if bad:
                found[path] = bad
            if len(seen) == 1:
                shot(page, f"axe-{role}-{device}-home")
            queue.extend(p for p in _links(page, origin) if p not in seen and p not in queue)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"axe-{role}-{device}.json").write_text(json.dumps({"pages": seen, "violations": found},
                                                                        indent=2))
        assert len(seen) >= 4, seen
        assert not found, json.dumps(found, indent=2)
    finally:
        context.close()
