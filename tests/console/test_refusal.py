"""A refusal as the console shows it, from the rich error details the services send
(AIP-193; liuhen/platform/server.py): the zh-CN LocalizedMessage as the words, the
ErrorInfo's reason and article, and each BadRequest.FieldViolation beside its field."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from liuhen.console.backend import Refusal, Violation
from liuhen.platform.errors import InvalidArgument
from liuhen.platform.server import _status as status_of_error  # what a service sends


def packed(*details: object) -> list[any_pb2.Any]:
    out = []
    for d in details:
        a = any_pb2.Any()
        a.Pack(d)
        out.append(a)
    return out


def aio_error(status: status_pb2.Status) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(("grpc-status-details-bin", status.SerializeToString())),
        details=status.message,
    )


def test_art28_a_wrong_credit_code_is_shown_in_chinese_beside_its_field() -> None:
    """What the cases service sends for a bad USCC, read from a real call's trailers."""
    error = InvalidArgument(
        "BAD_USCC",
        "content_json.employer.uscc is not a valid unified social credit code",
        "统一社会信用代码校验位不符",
        article="GB 32100-2015",
        field="content_json.employer.uscc",
    )
    refusal = Refusal.of(aio_error(status_of_error(error)))
    assert (refusal.code, refusal.reason, refusal.article) == (
        "INVALID_ARGUMENT",
        "BAD_USCC",
        "GB 32100-2015",
    )
    assert refusal.message == "统一社会信用代码校验位不符"
    assert refusal.violations == (
        Violation(
            "content_json.employer.uscc",
            "content_json.employer.uscc is not a valid unified social credit code",
            "BAD_USCC",
        ),
    )
    assert refusal.on("content_json.employer") == "统一社会信用代码校验位不符"
    assert refusal.on("content_json.employ") == ""  # a prefix of a name, not a field
    assert refusal.on("recipient") == ""


def test_aip193_the_field_violation_names_the_field_when_error_info_does_not() -> None:
    """A relayed or foreign error may carry only BadRequest and LocalizedMessage."""
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT,
        message="recipient is required",
        details=packed(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field="recipient", description="recipient is required", reason="MISSING"
                    ),
                    error_details_pb2.BadRequest.FieldViolation(
                        field="details.witnesses", description="witnesses are required"
                    ),
                ]
            ),
            error_details_pb2.LocalizedMessage(locale="en-US", message="Recipient missing"),
            error_details_pb2.LocalizedMessage(locale="zh-CN", message="缺少受送达人"),
        ),
    )
    refusal = Refusal.of(aio_error(status))
    assert refusal.message == "缺少受送达人"  # the Chinese one, not the first one
    assert refusal.field == "recipient" and refusal.reason == ""
    assert refusal.on("recipient") == "缺少受送达人"
    # A second violation is shown beside its own field in the service's words.
    assert refusal.on("details.witnesses") == "witnesses are required"


def test_aip193_without_rich_details_the_status_message_is_shown() -> None:
    error = grpc.aio.AioRpcError(
        grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), details="down"
    )
    refusal = Refusal.of(error)
    assert (refusal.code, refusal.message, refusal.field, refusal.violations) == (
        "UNAVAILABLE",
        "down",
        "",
        (),
    )
