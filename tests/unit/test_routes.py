"""Who may send what to whom (sites.yaml routes; seed Art 13–15, 21, 30, 40)."""

import pytest

from liuhen.platform.errors import PermissionDenied
from liuhen.platform.outbox import all_topics, check_route


@pytest.mark.parametrize(
    ("kind", "sender", "recipient"),
    [
        ("assistance_request", "jiangan", "hongshan"),  # Art 21(2): district to district
        ("assistance_request", "wuhan", "hongshan"),  # the city to a district
        ("assistance_request", "wuhan", "hubei"),  # Art 21(1): out of the province
        ("designation", "wuhan", "jiangan"),  # Art 14
        ("jurisdiction_dispute", "jiangan", "wuhan"),  # Art 14(2)
        ("jurisdiction_transfer", "jiangan", "wuhan"),  # Art 15
        ("criminal_referral", "jiangan", "jiangan.psb"),  # Art 30: same-level police
        ("criminal_referral_copy", "jiangan", "jiangan.procuratorate"),
        ("police_filing_decision", "jiangan.psb", "jiangan"),
        ("enforcement_application", "hongshan", "hongshan.court"),  # Art 40
    ],
)
def test_allowed_routes(kind, sender, recipient):
    check_route(kind, sender, recipient)


@pytest.mark.parametrize(
    ("kind", "sender", "recipient"),
    [
        ("designation", "jiangan", "hongshan"),  # only the city designates
        ("jurisdiction_dispute", "wuhan", "jiangan"),
        ("criminal_referral", "jiangan", "hongshan.psb"),  # another district's police
        ("criminal_referral", "jiangan", "hongshan"),
        ("police_filing_decision", "hongshan.psb", "jiangan"),
        ("assistance_request", "jiangan", "jiangan"),  # not to oneself
        ("assistance_request", "jiangan", "shanghai"),  # not a site of the city
        ("no_such_message", "jiangan", "hongshan"),
    ],
)
def test_refused_routes(kind, sender, recipient):
    with pytest.raises(PermissionDenied) as err:
        check_route(kind, sender, recipient)
    assert err.value.reason == "ROUTE_NOT_ALLOWED"


def test_every_site_and_desk_has_a_topic():
    topics = all_topics()
    assert "liuhen.site.jiangan" in topics and "liuhen.desk.jiangan.psb" in topics
    assert "liuhen.desk.hubei" in topics and len(topics) == 14 + 1 + 14 * 3
