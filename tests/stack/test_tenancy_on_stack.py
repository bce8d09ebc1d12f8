"""Tenant isolation through the services on the real stack, with Keycloak tokens
(DESIGN §3: the tenant comes from the verified issuer; another tenant's ids are
NOT_FOUND, never revealed)."""

from __future__ import annotations

import time

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from liuhen.cases.v1 import cases_pb2 as cpb
from tests.support import Site, file_case, status_of

pytestmark = pytest.mark.stack


def test_a_jiangan_officer_gets_not_found_for_a_hongshan_case(stack_site: Site) -> None:
    hongshan_case = file_case(stack_site, "hongshan")
    jiangan = stack_site.client("cases", "jiangan", "handler1")
    with pytest.raises(grpc.RpcError) as err:
        jiangan.GetCase(cpb.GetCaseRequest(name=hongshan_case))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    # hongshan's own officer sees it: the id exists, it is only hidden from jiangan.
    own = stack_site.client("cases", "hongshan", "handler1")
    assert own.GetCase(cpb.GetCaseRequest(name=hongshan_case)).case.name == hongshan_case


def test_a_hongshan_token_cannot_act_on_a_jiangan_case(stack_site: Site) -> None:
    jiangan_case = file_case(stack_site, "jiangan")
    hongshan_token = stack_site.token("hongshan", "handler1")
    with pytest.raises(grpc.RpcError) as err:
        stack_site.raw_client("cases", hongshan_token).GetCase(
            cpb.GetCaseRequest(name=jiangan_case)
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    # Rewriting the issuer to jiangan breaks Keycloak's signature: refused outright.
    claims = jwt.decode(hongshan_token, options={"verify_signature": False})
    header = jwt.get_unverified_header(hongshan_token)
    claims.update(
        iss=claims["iss"].replace("/realms/hongshan", "/realms/jiangan"), exp=int(time.time()) + 60
    )
    forged = jwt.encode(
        claims,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": header["kid"]},
    )
    with pytest.raises(grpc.RpcError) as err:
        stack_site.raw_client("cases", forged).GetCase(cpb.GetCaseRequest(name=jiangan_case))
    assert status_of(err.value)[0] == grpc.StatusCode.UNAUTHENTICATED
