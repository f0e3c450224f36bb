"""The README stands on its own: every link in it and in docs/ is to a file in this repository."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def _documents():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_links_in_the_readme_and_docs_stay_inside_the_repository_and_resolve():
    checked = 0
    for doc in _documents():
        for target, _anchor in LINK.findall(doc.read_text()):
            if re.match(r"^[a-z]+:", target):
                assert target.startswith(("http://127.0.0.1", "https://")), (doc.name, target)
                continue
            resolved = (doc.parent / target).resolve()
            assert ROOT.resolve() in resolved.parents, f"{doc.name} links outside the repository: {target}"
            assert resolved.exists(), f"{doc.name} links to a missing file: {target}"
            checked += 1
    assert checked >= 10
    assert "shared/" not in (ROOT / "README.md").read_text()


def test_the_readme_links_the_projects_own_docs():
    readme = (ROOT / "README.md").read_text()
    for name in ("domain.md", "architecture.md", "security.md", "operations.md", "return.schema.json"):
        assert f"docs/{name}" in readme, name
    domain = (ROOT / "docs" / "domain.md").read_text()
    for rule in ("re-referral of continuing caseload", "at risk", "as at a date", "only in years it ran"):
        assert rule in domain.replace("\n", " ").replace("*", ""), rule
