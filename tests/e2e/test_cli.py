"""The `liuhen` command as an officer uses it: `up` runs the five services and the console
as processes, the demo attaches to them, `case show`, `ledger verify`, `case bundle`
(checked offline by `python -m liuhen.verify`), `deadlines` and `token` read what it did,
and SIGINT (Ctrl-C) stops everything."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from liuhen.cli.processes import free_ports, serving
from liuhen.platform.config import SERVICES
from tests.e2e.test_demo import ROOT, clean_env


def test_liuhen_up_demo_case_show_ledger_verify_deadlines_and_ctrl_c(tmp_path: Path) -> None:
    ports = free_ports([*SERVICES, "console"])
    env = {
        **clean_env(),
        "PYTHONPATH": str(ROOT),
        "LIUHEN_HOME": str(tmp_path / "home"),
        **{f"LIUHEN_{s.upper()}_PORT": str(p) for s, p in ports.items()},
    }
    console = f"http://127.0.0.1:{ports.pop('console')}"

    def liuhen(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "liuhen.cli.main", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    up = subprocess.Popen(
        [sys.executable, "-m", "liuhen.cli.main", "up"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        end = time.monotonic() + 90
        while not all(serving(f"127.0.0.1:{p}") for p in ports.values()):
            assert up.poll() is None and time.monotonic() < end, "liuhen up did not come up"
            time.sleep(0.3)
        demo = liuhen("demo").strip().splitlines()
        summary = json.loads(demo[-1])
        assert f"console: {console}" in demo[-2]  # the console of `liuhen up` shows it
        with urllib.request.urlopen(f"{console}/login", timeout=10) as page:
            assert "登录" in page.read().decode()
        case = summary["case"]
        shown = liuhen("case", "show", case)
        assert summary["case_number"] in shown and "限期改正指令书" in shown
        assert "recording.stored" in shown and "document.served" in shown
        checked = liuhen("ledger", "verify", case)
        assert "verified" in checked and "witnessed checkpoint of size" in checked  # Art 45
        liuhen("case", "bundle", case, "-o", str(tmp_path / "court.zip"))
        offline = subprocess.run(
            [sys.executable, "-m", "liuhen.verify", str(tmp_path / "court.zip")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert offline.returncode == 0 and offline.stdout.startswith("verified"), offline.stdout
        listed = liuhen("deadlines", "--case", case)
        assert "rectification_period" in listed and "filing_approval_submitted" not in listed
        assert "filing_approval_submitted" in liuhen("deadlines", "--case", case, "--all")
        token = liuhen("token", "--tenant", "jiangan", "--user", "head1").strip()
        assert token.count(".") == 2
    finally:
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=60)
    assert up.returncode == 0, out[-2000:]
    assert "stopping" in out and f"console      {console}" in out
    assert not any(serving(f"127.0.0.1:{p}", 0.3) for p in ports.values())
