"""Every kind of bad input gets the status of DESIGN §8 with a reason naming the rule."""

import time

import grpc
import jwt
import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.intake.v1 import intake_pb2 as pb
from liuhen.platform.auth import EmbeddedIssuer
from tests.support import file_case, rid, status_of


def complaint(request_id: str) -> pb.RegisterComplaintRequest:
    return pb.RegisterComplaintRequest(
        request_id=request_id,
        source=pb.SOURCE_LETTER,
        kind=pb.INTAKE_KIND_COMPLAINT,
        complainant=pb.Person(name="张三"),
        employer=pb.Employer(name="某公司"),
        violation="欠薪",
    )


def fails(call, *args):
    with pytest.raises(grpc.RpcError) as err:
        call(*args)
    return status_of(err.value)


def test_malformed_resource_name_is_invalid_argument(site):
    code, reason, _ = fails(
        site.client("cases", "jiangan", "handler1").GetCase,
        cpb.GetCaseRequest(name="cases/not-a-uuid"),
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_NAME")


def test_missing_request_id_is_invalid_argument(site):
    code, _, meta = fails(
        site.client("intake", "jiangan", "intake1").RegisterComplaint, complaint("")
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and meta["field"] == "request_id"


def test_unknown_id_is_not_found(site):
    code, _, _ = fails(
        site.client("cases", "jiangan", "handler1").GetCase,
        cpb.GetCaseRequest(name="cases/00000000-0000-4000-8000-000000000000"),
    )
    assert code == grpc.StatusCode.NOT_FOUND


def test_another_tenants_case_is_not_found_never_permission_denied(site):
    case = file_case(site, "hongshan")
    code, _, _ = fails(
        site.client("cases", "jiangan", "handler1").GetCase, cpb.GetCaseRequest(name=case)
    )
    assert code == grpc.StatusCode.NOT_FOUND


def test_missing_token_is_unauthenticated(site):
    stub = site.raw_client("intake", "x")
    stub._md = []
    code, reason, _ = fails(stub.RegisterComplaint, complaint(rid()))
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "MISSING_TOKEN")


def test_token_signed_with_another_key_is_unauthenticated(site, tmp_path):
    forger = EmbeddedIssuer(tmp_path / "other.pem", site.settings.issuer_base)
    token = forger.mint("jiangan", "intake1", ["intake"])
    code, reason, _ = fails(site.raw_client("intake", token).RegisterComplaint, complaint(rid()))
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")


def test_unsigned_alg_none_token_is_unauthenticated(site):
    claims = jwt.decode(site.token("jiangan", "intake1"), options={"verify_signature": False})
    token = jwt.encode(claims, key=None, algorithm="none")
    code, reason, _ = fails(site.raw_client("intake", token).RegisterComplaint, complaint(rid()))
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "BAD_ALGORITHM")


def test_expired_token_is_unauthenticated(site):
    from liuhen.platform.bootstrap import embedded_issuer

    token = embedded_issuer(site.settings).mint("jiangan", "intake1", ["intake"], ttl_s=-60)
    code, reason, _ = fails(site.raw_client("intake", token).RegisterComplaint, complaint(rid()))
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_EXPIRED")


def test_token_from_an_untrusted_issuer_is_unauthenticated(site):
    from liuhen.platform.bootstrap import embedded_issuer

    issuer = embedded_issuer(site.settings)
    claims = jwt.decode(
        issuer.mint("jiangan", "intake1", ["intake"]), options={"verify_signature": False}
    )
    claims.update(iss="https://evil.example/realms/jiangan", exp=int(time.time()) + 60)
    token = jwt.encode(claims, issuer._key, algorithm="RS256")
    code, reason, _ = fails(site.raw_client("intake", token).RegisterComplaint, complaint(rid()))
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "UNKNOWN_ISSUER")


def test_wrong_role_is_permission_denied(site):
    code, reason, _ = fails(
        site.client("intake", "jiangan", "handler1").RegisterComplaint, complaint(rid())
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")


def test_art6_separation_violation_is_permission_denied(site):
    case = file_case(site, assign=False)
    code, reason, meta = fails(
        site.client("cases", "jiangan", "head1").AssignHandler,
        cpb.AssignHandlerRequest(
            request_id=rid(),
            case=case,
            handler_name="x",
            handler=site.user_id("jiangan", "intake1"),
        ),
    )
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SEPARATION_OF_DUTIES",
        "seed Art 6",
    )


def assign(site, case, handler, reviewer="reviewer1"):
    return site.client("cases", "jiangan", "head1").AssignHandler(
        cpb.AssignHandlerRequest(
            request_id=rid(),
            case=case,
            handler_name="x",
            handler=site.user_id("jiangan", handler),
            reviewer=site.user_id("jiangan", reviewer),
        )
    )


@pytest.mark.parametrize(("handler", "reviewer"), [("head1", "reviewer1"), ("handler1", "head1")])
def test_art6_the_head_who_approved_filing_may_neither_handle_nor_review_the_case(
    site, handler, reviewer
):
    """Approving the 立案审批表 is part of 受理（立案） (Chapter 2, Art 11, 15): Art 6
    keeps it apart from handling and review (docs/separation.md)."""
    case = file_case(site, assign=False)  # head1 approved its filing
    code, reason, meta = fails(assign, site, case, handler, reviewer)
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SEPARATION_OF_DUTIES",
        "seed Art 6",
    )


def test_art6_a_head_who_took_no_part_in_the_intake_may_handle_the_case(site):
    case = file_case(site, assign=False)
    assert assign(site, case, "bureau_head1").case.state == cpb.Case.INVESTIGATING


def test_step_out_of_order_is_failed_precondition(site):
    case = file_case(site)
    doc = (
        site.client("cases", "jiangan", "handler1")
        .DraftDocument(
            cpb.DraftDocumentRequest(
                request_id=rid(),
                case=case,
                type="extension_approval",
                content_json='{"reason": "案情复杂，需延期"}',
            )
        )
        .document
    )
    code, reason, _ = fails(
        site.client("cases", "jiangan", "head1").ApproveDocument,
        cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name),
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_SUBMITTED")


def test_replayed_request_id_returns_the_first_result(site):
    desk = site.client("intake", "jiangan", "intake1")
    request = complaint(rid())
    first = desk.RegisterComplaint(request)
    assert desk.RegisterComplaint(request) == first


def test_request_id_reused_for_another_request_is_already_exists(site):
    desk = site.client("intake", "jiangan", "intake1")
    request_id = rid()
    desk.RegisterComplaint(complaint(request_id))
    other = complaint(request_id)
    other.violation = "另一件事"
    code, reason, _ = fails(desk.RegisterComplaint, other)
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")
