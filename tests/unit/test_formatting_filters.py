"""Every page formats money and percentages through one set of filters (issue 12, item 8)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.templating import format_money, format_percent, format_points
from tests.conftest import sign_in
from tests.factories import GrantYearFactory


@pytest.mark.parametrize("value, shown", [
    (20, "20%"), (20.0, "20%"), (Decimal("20.00"), "20%"), (Decimal("2E+1"), "20%"), (Decimal("1E+1"), "10%"),
    (0.5, "0.5%"), (Decimal("0.50"), "0.5%"), (Decimal("20.55"), "20.6%"), (Decimal("17.5"), "17.5%"),
    (0, "0%"), (Decimal("-0.00"), "0%"), (None, "—"), (100, "100%"), (Decimal("1E+3"), "1,000%"),
])
def test_points_filter_never_shows_an_exponent(value, shown):
    assert format_points(value) == shown


@pytest.mark.parametrize("value, shown", [
    (Decimal("0.551"), "55.1%"), (Decimal("0.2"), "20.0%"), (Decimal("2E-1"), "20.0%"), (0.5, "50.0%"),
    (Decimal("18.33"), "1,833.0%"), (None, "—"), (Decimal("-0.0001"), "0.0%"),
])
def test_percent_filter_shows_a_fraction_to_one_place(value, shown):
    assert format_percent(value) == shown


@pytest.mark.parametrize("value, shown", [
    (Decimal("1510000"), "£1,510,000"), (Decimal("1.51E+6"), "£1,510,000"), (Decimal("15041.1"), "£15,041.10"),
    (Decimal("-7958.90"), "-£7,958.90"), (20, "£20"), (0.5, "£0.50"), (None, "—"),
])
def test_money_filter(value, shown):
    assert format_money(value) == shown


def test_finance_home_shows_match_required_as_20_percent(client, world):
    GrantYearFactory(fy=2030, match_pct=Decimal("2E+1"))
    sign_in(client, world.finance)
    page = client.get("/").get_data(as_text=True)
    assert "E+" not in page
    assert ">20%<" in page
