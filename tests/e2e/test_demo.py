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
    # Art 44, 46: a reviewer's playback and a party's approved copy of the same bytes.
    assert summary["recording_copy"]["played_bytes"] == 256 * 1024
    session = summary["session"]  # Art 24(3), 26: one gap, explained aloud on resuming
    assert len(session["segments"]) == 2 and not session["unexplained_gap"]
    assert session["interruptions"] == [
        {"state": "explained", "how": "spoken", "reason": "battery_exhausted"}
    ]
    assert summary["recording_copy"]["manifest_sha256"] == summary["recording"]["sha256"]
    assert summary["rectification_order"]["due_on"]
    assert summary["ledger_verified"] is True and summary["ledger_entries"] >= 15
    # Art 45: the court bundle, checked offline against the city-witnessed checkpoint.
    assert summary["bundle_verified"] is True and summary["ledger_checkpoint_size"] > 0
    assert summary["transfer"]["received_as"].startswith("intakes/")  # Art 13, 15
    # the period runs from the date of service (Art 37), shown with the served order
    order = summary["rectification_order"]
    served_on = date.fromisoformat(order["service_date"])
    assert date.fromisoformat(order["due_on"]) >= served_on + timedelta(days=10)
    open_rules = {d["rule"] for d in summary["open_deadlines"]}
    assert "rectification_period" in open_rules
    # 劳动保障监察条例 Art 17: the investigation period ends with the 调查终结报告
    assert "investigation_completed" not in open_rules


def test_demo_writes_the_served_order_and_the_case_file_as_chinese_pdfs(tmp_path):
    """Issue 7, "Done when": the served 限期改正指令书 and the bound case file, each with
    its path and SHA-256, that read as the Chinese forms they are (pdftotext)."""
    import hashlib

    from tests.printing_support import fonts_embedded, pdf_text

    _, lines = run_demo(tmp_path)
    pdfs = json.loads(lines[-1])["pdfs"]
    order, casefile = pdfs["rectification_order"], pdfs["case_file"]
    for pdf in (order, casefile):
        data = Path(pdf["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == pdf["sha256"]
        assert any(pdf["path"] in line and pdf["sha256"] in line for line in lines)
        assert all(emb == "yes" for _, emb in fonts_embedded(data))
    assert order["verified"] and order["number"].startswith("江岸人社监限改〔")
    text = pdf_text(Path(order["path"]).read_bytes())
    heading = ("武汉市江岸区人力资源和社会保障局", "劳动保障监察限期改正指令书", order["number"])
    for part in (*heading, "武汉某建筑劳务有限公司：", "违法事实", "第1页共1页"):
        assert part in text, part
    text = pdf_text(Path(casefile["path"]).read_bytes())
    bound = ("劳动保障监察立案审批表", "劳动保障监察送达回执", "证据袋清单", "证据材料备考表")
    for part in ("劳动保障监察案卷", "案件状态限期改正中", "卷内目录", *bound):
        assert part in text, part
    assert "rectifying" not in text
    # Art 21: the 委托协查函 is addressed to the peer it asks; the reply is filed as received.
    assert "洪山区劳动保障监察大队：" in text and "武汉市洪山区人力资源和社会保障局来文" in text
