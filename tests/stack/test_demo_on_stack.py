"""The demo scenario end to end on the real stack: PostgreSQL (row-level security),
Kafka, Ceph RGW with Object Lock, and Keycloak tokens (issue: the real stack)."""

import json
import os
import subprocess
import sys

import pytest

from tests.e2e.test_demo import ROOT
from tests.stack.conftest import STACK_ENV


@pytest.mark.stack
def test_demo_on_the_real_stack_carries_the_case_across_two_districts(tmp_path):
    env = {
        **os.environ,
        **STACK_ENV,
        "PYTHONPATH": str(ROOT),
        "LIUHEN_HOME": str(tmp_path / "home"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "liuhen.cli.main", "demo", "--fresh"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    logs = "".join(
        p.read_text(errors="replace")[-1500:] for p in (tmp_path / "home" / "logs").glob("*.log")
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:] + logs
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["assistance"]["reply_from"] == "hongshan"
    assert len(summary["recording"]["sha256"]) == 64
    assert summary["recording"]["offsite"] == "verified"  # replicated to the off-site zone
    assert summary["ledger_verified"] is True
    assert summary["bundle_verified"] is True  # Art 45: cosigned by the city over Kafka
    assert summary["transfer"]["received_as"].startswith("intakes/")
