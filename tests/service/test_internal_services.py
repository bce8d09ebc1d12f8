"""The internal services (issue 12): what only routing calls, with its own service
identity, to apply a message received from another organisation (DESIGN §7). Each is
served beside its public service; an officer, or another service of the site, is
refused before the request is read."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from liuhen.cases.v1 import cases_internal_pb2 as cipb
from liuhen.enforcement.v1 import enforcement_internal_pb2 as eipb
from liuhen.intake.v1 import intake_internal_pb2 as iipb
from liuhen.platform.bootstrap import embedded_issuer
from tests.support import Site, running_site, status_of

JA = "jiangan"
MISSING_CASE = f"cases/{uuid.UUID(int=7)}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(Path(tmp_path_factory.mktemp("internal")) / "liuhen") as s:
        yield s


def _status(call: Callable[[Any], Any], request: Message) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request)
    return status_of(err.value)[:2]


def _as_service(site: Site, internal: str, service: str) -> Any:
    return site.raw_client(internal, embedded_issuer(site.settings).service_token(JA, service))


def _callers(site: Site, internal: str, method: str, request: Message) -> dict[str, Any]:
    """What each caller gets: an officer, the cases service, routing."""
    calls = {
        "officer": getattr(site.client(internal, JA, "handler1"), method),
        "cases service": getattr(_as_service(site, internal, "cases"), method),
        "routing": getattr(_as_service(site, internal, "routing"), method),
    }
    return {who: _status(call, request) for who, call in calls.items()}


REFUSED = (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_ONLY")


def test_design7_only_routing_records_an_inbound_intake(site: Site) -> None:
    request = iipb.RecordInboundIntakeRequest(
        request_id=str(uuid.uuid4()),
        message_type="jurisdiction_transfer",
        from_site="hongshan",
        sender_intake=f"intakes/{uuid.uuid4()}",
        payload_json="{}",
    )
    got = _callers(site, "intake_internal", "RecordInboundIntake", request)
    assert got["officer"] == got["cases service"] == REFUSED
    # Routing gets past the caller check to the slip itself, which is empty here.
    assert got["routing"] == (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_PAYLOAD")


def test_design7_only_routing_records_a_document_from_outside(site: Site) -> None:
    request = cipb.RecordInboundDocumentRequest(
        request_id=str(uuid.uuid4()),
        case=MISSING_CASE,
        type="criminal_referral_receipt",
        content_json="{}",
        from_site="jiangan.psb",
        correlation_id=str(uuid.uuid4()),
    )
    got = _callers(site, "cases_internal", "RecordInboundDocument", request)
    assert got["officer"] == got["cases service"] == REFUSED
    assert got["routing"] == (grpc.StatusCode.NOT_FOUND, "NOT_FOUND")


def test_art37_5_only_routing_records_an_entrusted_sites_answer(site: Site) -> None:
    request = eipb.RecordEntrustmentAnswerRequest(
        request_id=str(uuid.uuid4()),
        case=MISSING_CASE,
        message_type="entrusted_service_receipt",
        from_site="hongshan",
        correlation_id=str(uuid.uuid4()),
        payload_json="{}",
    )
    got = _callers(site, "enforcement_internal", "RecordEntrustmentAnswer", request)
    assert got["officer"] == got["cases service"] == REFUSED
    assert got["routing"] == (grpc.StatusCode.NOT_FOUND, "NOT_FOUND")


def test_design7_an_officer_is_refused_before_the_request_is_read(site: Site) -> None:
    """A malformed name would be INVALID_ARGUMENT; the caller is refused first."""
    call = site.client("cases_internal", JA, "handler1").RecordInboundDocument
    request = cipb.RecordInboundDocumentRequest(request_id=str(uuid.uuid4()), case="nonsense")
    assert _status(call, request) == REFUSED


@pytest.mark.parametrize(
    "path",
    [
        "/liuhen.intake.v1.IntakeService/RecordInboundIntake",
        "/liuhen.cases.v1.CasesService/RecordInboundDocument",
        "/liuhen.enforcement.v1.EnforcementService/RecordEntrustmentAnswer",
    ],
)
def test_design7_the_public_services_no_longer_offer_routings_methods(
    site: Site, path: str
) -> None:
    service = path.split(".")[1]
    token = embedded_issuer(site.settings).service_token(JA, "routing")
    call = site.channel(service).unary_unary(path)
    with pytest.raises(grpc.RpcError) as err:
        call(b"", metadata=[("authorization", f"Bearer {token}")], timeout=30)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
