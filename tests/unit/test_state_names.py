"""Every intake and case state has its Chinese name in the catalogue (states.yaml), which
the case file's cover and the console show (issue 7; seed Art 41-42)."""

from __future__ import annotations

from liuhen.platform.catalogue import state_names, state_zh
from services.cases.lifecycle import STATES as CASE_STATES
from services.cases.lifecycle import steps
from services.intake.documents import EFFECTS
from services.intake.messages import INBOUND
from services.intake.model import STATES as INTAKE_STATES


def test_every_case_state_has_its_chinese_name_and_no_other_is_named() -> None:
    reached = {s for step in steps().values() for s in (step.leads_to, *step.branches.values())}
    reached.discard("")
    assert reached <= set(CASE_STATES)
    assert set(state_names("case")) == set(CASE_STATES)
    assert state_zh("case", "rectifying") == "限期改正中"


def test_every_intake_state_has_its_chinese_name_and_no_other_is_named() -> None:
    reached = {s for e in EFFECTS.values() for s in (e.pending_state, e.effective_state)}
    reached |= {state for _, state in INBOUND.values()}
    assert reached <= set(INTAKE_STATES)
    assert set(state_names("intake")) == set(INTAKE_STATES)
    assert state_zh("intake", "supplement_requested") == "已告知补正"


def test_every_name_is_chinese_and_cites_its_source() -> None:
    for subject in ("intake", "case"):
        for name in state_names(subject).values():
            assert name.zh and all("\u4e00" <= c <= "\u9fff" or c in "（）" for c in name.zh)
            assert name.source.startswith(("seed Art", "关于实施"))
