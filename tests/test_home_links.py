"""Finance's home lists the grant years; each opens that year's finance dashboard (a first-week user looked for
a way in from home and found plain text)."""
from __future__ import annotations

from tests.conftest import sign_in


def test_finance_home_links_each_grant_year_to_its_dashboard(world, client):
    sign_in(client, world.finance)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/finance/years/{world.grant_year.fy}"' in page
