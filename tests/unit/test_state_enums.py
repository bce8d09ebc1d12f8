"""Every resource's `state` is an enum on the wire (AIP-216, issue 12) whose values are the
service's own state keys upper-cased: each enum and the list of states its service keeps
(states.yaml for intakes and cases, the lifecycle modules' constants for the others) are
the same set, so neither can gain a state the other lacks."""

from __future__ import annotations

import pytest

from liuhen.cases.v1 import cases_pb2
from liuhen.common.v1 import common_pb2
from liuhen.enforcement.v1 import enforcement_pb2
from liuhen.intake.v1 import intake_pb2
from liuhen.media.v1 import media_pb2
from liuhen.platform import deadlines, documents
from liuhen.platform.catalogue import state_names
from liuhen.platform.enums import UnknownState, filter_key, key_of, keys, to_enum, to_key
from liuhen.routing.v1 import routing_pb2
from services.cases.lifecycle import STATES as CASE_STATES
from services.enforcement import entrusting
from services.intake.model import STATES as INTAKE_STATES
from services.media import copies, sessions
from services.routing import model as routing


def test_seed_art9_intake_state_enum_is_the_catalogues_intake_states() -> None:
    assert keys(intake_pb2.Intake.State) == set(state_names("intake")) == set(INTAKE_STATES)


def test_seed_art11_case_state_enum_is_the_catalogues_case_states() -> None:
    assert keys(cases_pb2.Case.State) == set(state_names("case")) == set(CASE_STATES)


def test_both_document_state_enums_are_the_one_workflows_states() -> None:
    assert keys(cases_pb2.Document.State) == set(documents.STATES)
    assert keys(intake_pb2.IntakeDocument.State) == set(documents.STATES)


def test_deadline_state_enums_are_the_deadlines_states() -> None:
    assert keys(common_pb2.Deadline.State) == set(deadlines.STATES)
    storage = media_pb2.Session.DESCRIPTOR.fields_by_name["storage_state"].enum_type
    assert storage.full_name == "liuhen.common.v1.Deadline.State"  # Art 41 media_stored


def test_message_state_enum_is_the_outbox_and_inbox_states() -> None:
    assert keys(routing_pb2.Message.State) == set(routing.STATES)


def test_art37_entrustment_state_enum_is_the_entrustments_states() -> None:
    assert keys(enforcement_pb2.Entrustment.State) == set(entrusting.STATES)


def test_art26_interruption_state_enum_is_the_gaps_states() -> None:
    assert keys(media_pb2.Interruption.State) == set(sessions.GAP_STATES)


def test_art41_offsite_state_is_one_enum_field_of_the_copies_states() -> None:
    assert keys(media_pb2.OffsiteState, prefix="OFFSITE_STATE_") == set(copies.OFFSITE_STATES)
    fields = media_pb2.OffsiteCheck.DESCRIPTOR.fields_by_name
    assert fields["state"].enum_type.name == "OffsiteState" and "offsite_state" not in fields


def test_a_key_and_its_enum_value_convert_both_ways() -> None:
    assert to_enum(cases_pb2.Case.State, "rectifying") == cases_pb2.Case.RECTIFYING
    assert to_key(cases_pb2.Case.State, cases_pb2.Case.RECTIFYING) == "rectifying"
    check = media_pb2.OffsiteCheck(state=media_pb2.OFFSITE_STATE_MISMATCH)
    assert key_of(check, prefix="OFFSITE_STATE_") == "mismatch"
    assert key_of(intake_pb2.Intake(state=intake_pb2.Intake.FILED)) == "filed"
    assert key_of(intake_pb2.Intake()) == "" == to_key(cases_pb2.Case.State, 0)


@pytest.mark.parametrize("key", ["", "state_unspecified", "reopened"])
def test_a_state_the_enum_lacks_is_refused_by_name(key: str) -> None:
    with pytest.raises(UnknownState, match=r"liuhen\.cases\.v1\.Case\.State"):
        to_enum(cases_pb2.Case.State, key)


def test_aip160_filter_takes_the_key_or_the_enum_value_name() -> None:
    assert filter_key("registered") == filter_key("REGISTERED") == "registered"
    assert filter_key("FILING_DRAFTED") == "filing_drafted"
