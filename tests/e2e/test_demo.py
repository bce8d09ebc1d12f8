"""The demo scenario end to end: `liuhen demo` starts the five services as separate
processes on the embedded default and carries one case across two districts."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def clean_env() -> dict[str, str]:
    """The caller's environment without LIUHEN_* settings: the demo runs on defaults."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}


def run_demo(tmp_path: Path, **env: str) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "liuhen.cli.main", "demo", "--fresh"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        env={**clean_env(), "PYTHONPATH": str(ROOT), "LIUHEN_HOME": str(tmp_path / "home"), **env},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.returncode, proc.stdout.strip().splitlines()


def test_demo_carries_one_case_across_two_districts_and_the_ledger_verifies(tmp_path):
    _, lines = run_demo(tmp_path)
    summary = json.loads(lines[-1])
    assert summary["tenants"] == ["jiangan", "hongshan"]
    assert summary["case_number"].startswith("江岸区劳监立〔")
    assert summary["assistance"]["reply_from"] == "hongshan"
    assert summary["assistance"]["request_message_id"]
    assert len(summary["recording"]["sha256"]) == 64 and not summary["recording"]["late"]
    assert summary["recording"]["offsite"] == "verified"
    assert summary["rectification_order"]["due_on"]
    assert summary["ledger_verified"] is True and summary["ledger_entries"] >= 15
    assert summary["transfer"]["received_as"].startswith("intakes/")  # Art 13, 15
    # the period runs from the date of service (Art 37), shown with the served order
    order = summary["rectification_order"]
    served_on = date.fromisoformat(order["service_date"])
    assert date.fromisoformat(order["due_on"]) >= served_on + timedelta(days=10)
    open_rules = {d["rule"] for d in summary["open_deadlines"]}
    assert "rectification_period" in open_rules
    # 劳动保障监察条例 Art 17: the investigation period ends with the 调查终结报告
    assert "investigation_completed" not in open_rules
