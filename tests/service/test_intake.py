"""IntakeService over real gRPC on the embedded default (seed Art 8–15)."""

from datetime import UTC, datetime

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.intake.v1 import intake_pb2 as pb
from tests.support import rid, status_of


def register(client, **kw):
    base = dict(
        request_id=rid(),
        source=pb.SOURCE_PHONE,
        kind=pb.INTAKE_KIND_COMPLAINT,
        complainant=pb.Person(name="张三", contact="138"),
        employer=pb.Employer(name="某建筑公司", address="江岸区"),
        violation="拖欠工资",
    )
    return client.RegisterComplaint(pb.RegisterComplaintRequest(**{**base, **kw})).intake


def test_art11_filing_form_is_due_five_working_days_after_receipt(site):
    received = Timestamp()
    received.FromDatetime(datetime(2026, 9, 30, 9, tzinfo=UTC))
    intake = register(site.client("intake", "jiangan", "intake1"), received_time=received)
    assert intake.filing_due_on == "2026-10-13" and not intake.filing_due_provisional


def test_art10_phone_report_may_be_anonymous(site):
    intake = register(
        site.client("intake", "jiangan", "intake1"),
        kind=pb.INTAKE_KIND_REPORT,
        complainant=pb.Person(anonymous=True),
    )
    assert intake.kind == pb.INTAKE_KIND_REPORT and intake.complainant.anonymous


def test_art9_materials_carry_the_stamps(site):
    desk = site.client("intake", "jiangan", "intake1")
    intake = register(desk)
    material = desk.RecordMaterial(
        pb.RecordMaterialRequest(
            request_id=rid(),
            intake=intake.name,
            submitted_by="complainant",
            description="欠条",
            is_copy=True,
            checked_against_original=True,
            pages=1,
        )
    ).material
    assert material.stamps[0].endswith("投诉人提交资料")
    assert material.stamps[1] == "经核对，原件与复印件一致"
    again = desk.GetIntake(pb.GetIntakeRequest(name=intake.name)).intake
    assert [m.name for m in again.materials] == [material.name]


def test_art13_filed_cases_are_numbered_in_a_per_tenant_yearly_sequence(site):
    numbers = {}
    for tenant in ("jiangan", "jiangan", "hongshan"):
        desk = site.client("intake", tenant, "intake1")
        intake = register(desk)
        desk.DraftFilingApproval(
            pb.DraftFilingApprovalRequest(
                request_id=rid(), intake=intake.name, within_jurisdiction=True, summary="立案"
            )
        )
        filed = (
            site.client("intake", tenant, "head1")
            .ApproveFiling(pb.ApproveFilingRequest(request_id=rid(), intake=intake.name))
            .intake
        )
        numbers.setdefault(tenant, []).append(filed.case_number)
    year = datetime.now(UTC).year
    assert numbers["jiangan"] == [f"江岸区劳监立〔{year}〕1号", f"江岸区劳监立〔{year}〕2号"]
    assert numbers["hongshan"] == [f"洪山区劳监立〔{year}〕1号"]


def test_art11_approving_before_the_form_is_drafted_is_failed_precondition(site):
    intake = register(site.client("intake", "jiangan", "intake1"))
    with pytest.raises(grpc.RpcError) as err:
        site.client("intake", "jiangan", "head1").ApproveFiling(
            pb.ApproveFilingRequest(request_id=rid(), intake=intake.name)
        )
    assert status_of(err.value)[:2] == (grpc.StatusCode.FAILED_PRECONDITION, "FILING_NOT_DRAFTED")


def test_art6_a_head_who_registered_the_intake_may_not_approve_its_filing(site):
    both = site.client("intake", "jiangan", "desk-head", roles=("intake", "head"))
    intake = register(both)
    both.DraftFilingApproval(
        pb.DraftFilingApprovalRequest(
            request_id=rid(), intake=intake.name, within_jurisdiction=True, summary="立案"
        )
    )
    with pytest.raises(grpc.RpcError) as err:
        both.ApproveFiling(pb.ApproveFilingRequest(request_id=rid(), intake=intake.name))
    code, reason, meta = status_of(err.value)
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SEPARATION_OF_DUTIES",
        "seed Art 6",
    )


def test_a_complaint_without_an_employer_is_invalid_argument_naming_the_field(site):
    with pytest.raises(grpc.RpcError) as err:
        register(site.client("intake", "jiangan", "intake1"), employer=pb.Employer())
    code, reason, meta = status_of(err.value)
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MISSING_FIELD")
    assert meta["field"] == "employer.name"


def test_art12_a_matter_forwarded_by_another_agency_names_that_agency(site):
    desk = site.client("intake", "jiangan", "intake1")
    with pytest.raises(grpc.RpcError) as err:
        register(desk, source=pb.SOURCE_ASSIGNMENT)
    code, reason, meta = status_of(err.value)
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REFERRING_AGENCY_REQUIRED")
    assert meta["field"] == "referring_agency" and meta["article"] == "seed Art 8, 12"
    intake = register(desk, source=pb.SOURCE_TRANSFER, referring_agency="武汉市人民政府12345热线")
    assert intake.source == pb.SOURCE_TRANSFER
    assert desk.GetIntake(pb.GetIntakeRequest(name=intake.name)).intake.referring_agency == (
        "武汉市人民政府12345热线"
    )
