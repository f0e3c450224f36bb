"""What a clone holds: set-up products (the copied GOV.UK Frontend assets, the venv) are made, never committed."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_copied_assets_and_venv_are_not_tracked():
    tracked = subprocess.run(["git", "ls-files", "--", "app/static/govuk", ".venv", "node_modules"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    assert tracked == []
