"""Control 10: static analysis of our code in the suite (pip-audit needs the network: `make security`)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_reports_no_medium_or_high_findings():
    bandit = Path(sys.executable).with_name("bandit")
    if not bandit.exists() and not shutil.which("bandit"):
        pytest.skip("bandit is not installed (requirements-dev.txt)")
    out = subprocess.run([str(bandit if bandit.exists() else "bandit"), "-r", "app", "-ll", "-f", "json", "-q"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = json.loads(out.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    lines = report["metrics"]["_totals"]["loc"]
    print(f"\nbandit: {len(findings)} medium/high findings in {lines} lines of app code")
    assert findings == []
