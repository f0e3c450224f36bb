"""On a phone (375 px wide) no page a role starts from is wider than the screen (issue 12: the manager's home
table ran off the side). Wide tables become cards (`wp-stack`) or scroll inside their own box."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import shot, sign_in_as

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}
PAGES = {
    "manager@example.org": ["/", "/referrals/caseload", "/programmes", "/referrals/people?q=Patel"],
    "worker@example.org": ["/", "/referrals/mine", "/referrals/people?q=Patel"],
    "programme.office@example.org": ["/", "/referrals/caseload", "/reports/targets", "/reports/returns"],
    "admin@example.org": ["/", "/admin/users"],
}


@pytest.mark.parametrize("email", list(PAGES))
def test_pages_fit_a_phone_screen(browser, live_server, email):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in_as(page, email)
        too_wide, narrow_captions = {}, {}
        for path in PAGES[email]:
            page.goto(path)
            page.wait_for_load_state("domcontentloaded")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[path] = width
            # a card table's caption spans the screen, not a column one word wide
            narrow = page.evaluate("Array.from(document.querySelectorAll('table.wp-stack caption'))"
                                   ".map(c => c.getBoundingClientRect().width).filter(w => w > 1 && w < 200)")
            if narrow:
                narrow_captions[path] = narrow
            name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"
            shot(page, f"phone-{email.split('@')[0]}-{name}")
        assert not too_wide, f"wider than a {PHONE['width']} px screen: {too_wide}"
        assert not narrow_captions, f"table captions squeezed into a narrow column (px): {narrow_captions}"
    finally:
        context.close()
