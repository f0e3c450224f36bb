"""Finance never sees personal data (SECURITY.md §2): canary names, dates of birth and referral
details are seeded, then every page and download the finance role can fetch is scanned."""
from __future__ import annotations

import io
import zipfile
from datetime import date

from pypdf import PdfReader

from app.auth.roles import Role, role_can
from tests.access import OWN, app_rules, fill, is_api
from tests.api.conftest import personal_token
from tests.conftest import sign_in
from tests.factories import ContactFactory, PersonFactory, ReferralFactory

CANARY_DOB = date(2007, 2, 13)
CANARIES = ["Zephyrine", "Quarrington", "Amara", "Okoye", "Bethany", "Clarke", "CANARY-REASON-7731",
            "2007-02-13", "13/02/2007", "13 Feb 2007", "13 February 2007", "2008-05-17", "17/05/2008", "17 May 2008"]
FORMATS = ("html", "pdf", "xlsx", "csv", "json")


def _text(body: bytes, content_type: str) -> str:
    if content_type.startswith("application/pdf"):
        # pypdf (requirements-dev.txt), not a system tool: the suite needs nothing installed by hand.
        text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
        assert text.strip(), "no text could be read from a PDF: the scan would prove nothing"
        return text
    if "spreadsheetml" in content_type:
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return body.decode("utf-8", "replace")


def test_finance_role_fetches_no_personal_data(app, world, client):
    person = PersonFactory(given_name="Zephyrine", family_name="Quarrington", date_of_birth=CANARY_DOB,
                           organisation=world.org_a)
    referral = ReferralFactory(person=person, site=world.site_a, assigned_worker=world.worker_a,
                               reason="CANARY-REASON-7731")
    ContactFactory(referral=referral, notes="CANARY-REASON-7731")
    sign_in(client, world.finance)
    api_token = {"Authorization": f"Bearer {personal_token(world.finance)}"}  # the API takes tokens, not cookies
    cells = hits = 0
    fetched: list[str] = []
    for rule in app_rules(app):
        if "GET" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        caps = getattr(view, "required_capabilities", None)
        if caps is None or not all(role_can(Role.FINANCE, c) for c in caps):
            continue
        values = fill(rule, world, OWN)
        assert values is not None, rule.rule
        url = rule.build(values)[1]
        formats = FORMATS if rule.endpoint.endswith("_report") else (None,)
        for fmt in formats:
            target = url + (f"?format={fmt}" if fmt else "")
            response = client.get(target, follow_redirects=True, headers=api_token if is_api(app, rule) else None)
            assert response.status_code == 200, f"{target} → {response.status_code}"
            text = _text(response.data, response.content_type)
            if fmt and "grant-spend" in target:
                assert "Hospital Navigators" in text, f"{target}: the scanner must be able to read this format"
            found = [c for c in CANARIES if c.lower() in text.lower()]
            if found:
                print(f"CANARY {found} in {target}")
            hits += len(found)
            cells += 1
            fetched.append(target)
    print(f"\nfinance: 0 canary hits expected; {hits} canary hits in {cells} route × format cells")
    assert cells >= 20
    assert any("format=pdf" in u for u in fetched) and any("format=xlsx" in u for u in fetched)
    assert hits == 0


def test_cli_reports_contain_no_personal_data(app, world, tmp_path):
    PersonFactory(given_name="Zephyrine", family_name="Quarrington", date_of_birth=CANARY_DOB, organisation=world.org_a)
    runner = app.test_cli_runner()
    for report in ("grant-spend", "match-funding"):
        for fmt in ("csv", "json", "pdf", "xlsx"):
            out = tmp_path / f"{report}.{fmt}"
            result = runner.invoke(args=["reports", report, "--year", "2024", "--format", fmt, "--out", str(out)])
            assert result.exit_code == 0, result.output
            kind = {"pdf": "application/pdf", "xlsx": "spreadsheetml"}.get(fmt, "text")
            text = _text(out.read_bytes(), kind)
            assert not [c for c in CANARIES if c.lower() in text.lower()]
            assert ("Hospital Navigators" if report == "grant-spend" else "Thames Valley Police") in text
