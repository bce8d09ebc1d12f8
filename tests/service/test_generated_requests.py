"""Generated requests for every method of every service, hostile values included: no
answer is INTERNAL or UNKNOWN and the servers log no traceback (issue 10; DESIGN §8).

The requests are built from the protobuf descriptors, so a method or field added later
is covered without touching this file. Half are plausible (this site's case and document
names, officers' ids, catalogue codes, times near now) so that they reach the handlers;
half carry hostile values: undefined enum values, Timestamps out of range, huge, unicode
and surrogate strings, deep JSON, 5,000-digit numbers, non-finite doubles. Random bytes
are sent as the raw request too, and uploads stream their metadata and a few chunks.
Callers: every officer role, a routing service, another tenant's officer. Derandomized
(values relative to today), with a bounded number of examples: about 40 s in all.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liuhen.cases.v1 import cases_internal_pb2, cases_pb2
from liuhen.enforcement.v1 import enforcement_internal_pb2, enforcement_pb2
from liuhen.intake.v1 import intake_internal_pb2, intake_pb2
from liuhen.media.v1 import media_pb2
from liuhen.platform.bootstrap import embedded_issuer
from liuhen.routing.v1 import routing_pb2
from tests.samples import sample_content
from tests.support import Site, file_case, running_site

SERVICES = {
    "intake": intake_pb2.DESCRIPTOR.services_by_name["IntakeService"],
    "cases": cases_pb2.DESCRIPTOR.services_by_name["CasesService"],
    "media": media_pb2.DESCRIPTOR.services_by_name["MediaService"],
    "routing": routing_pb2.DESCRIPTOR.services_by_name["RoutingService"],
    "enforcement": enforcement_pb2.DESCRIPTOR.services_by_name["EnforcementService"],
    # The internal services routing alone calls, served by intake, cases and enforcement.
    "intake_internal": intake_internal_pb2.DESCRIPTOR.services_by_name["IntakeInternalService"],
    "cases_internal": cases_internal_pb2.DESCRIPTOR.services_by_name["CasesInternalService"],
    "enforcement_internal": enforcement_internal_pb2.DESCRIPTOR.services_by_name[
        "EnforcementInternalService"
    ],
}
METHODS = [(svc, m) for svc, d in SERVICES.items() for m in d.methods]
USERS = ("intake1", "handler1", "reviewer1", "head1", "legal1", "bureau_head1")
BAD_CODES = (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)
EXAMPLES = 40  # per method: about 40 methods, so some 1,600 calls in all
RAW_EXAMPLES = 6
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=20),
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
LOGGERS = ("liuhen.server", "grpc._server", "grpc._cython")
TS_MIN, TS_MAX = -62135596800, 253402300799  # 0001-01-01 .. 9999-12-31 in protobuf


class Errors(logging.Handler):
    """Every record at ERROR or above, from the loggers a failed call writes to."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class World:
    """The running site, a filed case with a document, and a token per officer."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.case = file_case(site)
        doc = (
            site.client("cases", "jiangan", "handler1")
            .DraftDocument(
                cases_pb2.DraftDocumentRequest(
                    request_id=str(uuid.uuid4()),
                    case=self.case,
                    type="rectification_order",
                    content_json=json.dumps(sample_content("rectification_order", period_days=10)),
                )
            )
            .document
        )
        self.document = doc.name
        issuer = embedded_issuer(site.settings)
        self.tokens = [site.token("jiangan", u) for u in USERS]
        self.tokens.append(issuer.service_token("jiangan", "routing"))
        self.tokens.append(site.token("hongshan", "handler1"))
        self.channels = {s: site.channel(s) for s in SERVICES}
        self.names = [
            self.case,
            self.case.replace("cases/", "intakes/"),
            self.document,
            f"{self.case}/recordings/{uuid.uuid4()}",
            f"{self.case}/services/{uuid.uuid4()}",
            f"messages/{uuid.uuid4()}",
            site.user_id("jiangan", "handler1"),
            site.user_id("jiangan", "reviewer1"),
        ]
        users = [site.user_id("jiangan", u) for u in USERS]
        # Values that make a field right for the method, so generated calls get past the
        # first check into the handlers.
        self.pools = {
            "case": [self.case],
            "intake": [self.case.replace("cases/", "intakes/")],
            "document": [self.document],
            "name": self.names,
            "kind": ["video", "audio"],
            "confidentiality": ["normal", "secret"],
            "type": DOCUMENT_TYPES,
            "submitted_by": ["employer", "complainant", "reporter"],
            "recipient": ["hongshan", "jiangan", "wuhan", "jiangan.psb"],
            "direction": ["inbox", "outbox"],
            "message_type": ["jurisdiction_transfer", "designation", "jurisdiction_dispute"],
            "from_site": ["hongshan", "wuhan"],
            "handler": users,
            "reviewer": users,
            "officer": users,
            "conduct_ended_on": ["2025-01-31", "2020-02-29", "9999-12-31", "0001-01-01"],
            "av_reasons": ["review_or_litigation", "obstruction", "major_or_complex"],
            "content_type": ["video/mp4"],
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_site(tmp_path_factory.mktemp("generated") / "liuhen") as site:
        yield World(site)


@pytest.fixture(scope="module")
def errors() -> Iterator[Errors]:
    handler = Errors()
    for name in LOGGERS:
        logging.getLogger(name).addHandler(handler)
    yield handler
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(handler)


# -- values ------------------------------------------------------------------------

DOCUMENT_TYPES = [
    "rectification_order", "assistance_request", "non_acceptance_decision", "inquiry_notice",
    "supplement_notice", "extension_approval", "jurisdiction_transfer_slip", "hearing_notice",
    "penalty_decision", "criminal_referral_letter", "closing_approval", "assistance_reply",
]  # fmt: skip
CODES = [
    "video", "audio", "normal", "secret", "employer", "complainant", "jiangan", "hongshan",
    "rectification_order", "assistance_request", "non_acceptance_decision", "inbox",
    "review_or_litigation", "JA-0201", "承办人甲", "2026-03-01", "9999-12-31", "0001-01-01",
]  # fmt: skip
HOSTILE_TEXT = st.sampled_from(
    ["x" * 20_000, "x" * 1_000_000, "案" * 300_000, "\u202e\u0000\U0001f600", "cases/" + "a" * 5000]
)
NOW = int(datetime.now(UTC).timestamp()) // 86_400 * 86_400  # fixed for the run


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


PLAIN_JSON = st.sampled_from(
    [
        "{}",
        '{"period_days": 10}',
        '{"grounds": "超出管辖", "missing": "身份证明"}',
        '{"intake": {"complainant": {"name": "张三"}, "employer": {"name": "某公司"}}}',
        '{"period_days": -1, "grounds": ["x"], "missing": {"a": null}}',
    ]
)
HOSTILE_JSON = st.one_of(
    st.sampled_from(
        [
            deep_json(100_000),
            deep_json(1_000),
            '{"a": ' + "9" * 5000 + "}",
            '{"period_days": 1000000000}',
            '{"a": "\\ud800"}',
            '{"\\udfff": 1}',
            '{"a": 1e999}',
            '{"a": NaN}',
            "[1, 2]",
            "not json",
        ]
    ),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=8,
    ).map(lambda v: json.dumps({"v": v})),
)
INTS = {
    FieldDescriptor.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
}
RECENT = st.fixed_dictionaries(
    {"seconds": st.integers(NOW - 86_400 * 30, NOW), "nanos": st.integers(0, 10**9 - 1)}
)
ANY_TIME = st.fixed_dictionaries(
    {
        "seconds": st.one_of(
            st.integers(TS_MIN, TS_MAX),
            st.sampled_from([TS_MIN, TS_MAX, TS_MIN - 1, TS_MAX + 1, -(2**63), 2**63 - 1]),
        ),
        "nanos": st.integers(-(2**31), 2**31 - 1),
    }
)


class Generator:
    """Strategies for the fields of a request: plausible values, and with `hostile` also
    the values a careless or malicious client sends."""

    def __init__(self, world: World, hostile: bool) -> None:
        self.world, self.hostile = world, hostile

    def mix(
        self, plain: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]
    ) -> st.SearchStrategy[Any]:
        return st.one_of(plain, plain, bad) if self.hostile else plain

    def string(self, field: FieldDescriptor, depth: int) -> st.SearchStrategy[str]:
        # Huge values at the top level only: in nested and repeated messages they would
        # multiply into requests of gigabytes (the size checks are the same at any depth,
        # and tests/service/test_bad_input_classes.py sends nested ones on purpose).
        huge = depth == 0
        if field.name.endswith("_json"):
            return self.mix(PLAIN_JSON, HOSTILE_JSON if huge else PLAIN_JSON)
        plain = st.sampled_from([*self.world.names, *CODES]) | st.text(max_size=12)
        if field.name in self.world.pools:
            plain = st.sampled_from(self.world.pools[field.name]) | plain
        if field.name == "request_id":  # mostly fresh, sometimes one used before
            plain = st.builds(lambda: str(uuid.uuid4())) | st.uuids().map(str)
        return self.mix(plain, (HOSTILE_TEXT | st.text()) if huge else st.text(max_size=64))

    def scalar(self, field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        kind = field.type
        if kind == FieldDescriptor.TYPE_STRING:
            return self.string(field, depth)
        if kind == FieldDescriptor.TYPE_BYTES:
            big = st.just(b"\0" * 200_000) if depth == 0 else st.binary(max_size=256)
            return self.mix(st.binary(min_size=1, max_size=64), big)
        if kind == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if kind == FieldDescriptor.TYPE_ENUM:
            defined = st.sampled_from([v.number for v in field.enum_type.values])
            return self.mix(defined, st.integers(-(2**31), 2**31 - 1))
        if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return self.mix(st.floats(0, 2), st.floats(width=32))
        if kind == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.full_name == "google.protobuf.Timestamp":
                return self.mix(RECENT, ANY_TIME)
            return self.message(field.message_type, depth + 1)
        return self.mix(st.integers(0, 50), INTS.get(kind, st.integers()))

    def value(self, field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        one = self.scalar(field, depth)
        return st.lists(one, max_size=3) if field.is_repeated else one

    def message(self, descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Any]:
        fields = [
            f for f in descriptor.fields if depth < 3 or f.type != FieldDescriptor.TYPE_MESSAGE
        ]
        # Plausible requests fill every field (one of a oneof); hostile ones leave any out.
        required = {
            f.name: self.value(f, depth)
            for f in fields
            if not self.hostile and f.containing_oneof is None
        }
        optional = {f.name: self.value(f, depth) for f in fields if f.name not in required}
        return st.fixed_dictionaries(required, optional=optional).map(
            lambda v: build(descriptor, v)
        )


def build(descriptor: Descriptor, values: dict[str, Any]) -> Any:
    """A message of `descriptor` with `values` (nested messages as dicts or messages)."""
    cls = message_factory.GetMessageClass(descriptor)
    msg = cls()
    for name, value in values.items():
        field = descriptor.fields_by_name[name]
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
            entries = (
                e if isinstance(e, dict) else {"key": e.key, "value": e.value} for e in value
            )
            target = getattr(msg, name)
            for entry in entries:
                target[entry.get("key", "")] = entry.get("value", "")
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            items = value if field.is_repeated else [value]
            for item in items:
                target = getattr(msg, name).add() if field.is_repeated else getattr(msg, name)
                target.CopyFrom(build(field.message_type, item) if isinstance(item, dict) else item)
        elif field.is_repeated:
            getattr(msg, name).extend(value)
        else:
            setattr(msg, name, value)
    return msg


def requests(world: World, method: MethodDescriptor) -> st.SearchStrategy[Any]:
    """Half plausible requests (that reach the handlers), half with hostile values."""
    kinds = [Generator(world, hostile) for hostile in (False, True)]
    one = st.one_of(*(g.message(method.input_type) for g in kinds))
    if not method.client_streaming:
        return one
    # An upload: its metadata, then a few chunks; or any messages in any order.
    cls = message_factory.GetMessageClass(method.input_type)
    head = next(f for f in method.input_type.fields if f.type == FieldDescriptor.TYPE_MESSAGE)
    first = st.one_of(*(g.message(head.message_type) for g in kinds)).map(
        lambda m: cls(**{head.name: m})
    )
    chunks = st.lists(st.binary(min_size=1, max_size=256).map(lambda b: cls(chunk=b)), max_size=3)
    upload = st.tuples(first, chunks).map(lambda t: [t[0], *t[1]])
    return st.one_of(upload, st.lists(one, max_size=4))


# -- calls -------------------------------------------------------------------------


def call(world: World, service: str, method: MethodDescriptor, token: str, request: Any) -> None:
    path = f"/{method.containing_service.full_name}/{method.name}"
    channel = world.channels[service]
    md = [("authorization", f"Bearer {token}")]
    raw = isinstance(request, bytes) or (
        isinstance(request, list) and all(isinstance(r, bytes) for r in request)
    )
    serialize = None if raw else (lambda m: m.SerializeToString())
    try:
        if method.client_streaming:
            stub = channel.stream_unary(path, request_serializer=serialize)
            stub(iter(request), metadata=md, timeout=30)
        else:
            stub = channel.unary_unary(path, request_serializer=serialize)
            stub(request, metadata=md, timeout=30)
    except grpc.RpcError as exc:
        assert exc.code() not in BAD_CODES, f"{path}: {exc.code()} {exc.details()}"


def no_tracebacks(errors: Errors) -> None:
    logged = [r.getMessage() for r in errors.records]
    errors.records.clear()
    assert not logged, logged


IDS = [f"{svc}.{m.name}" for svc, m in METHODS]


@pytest.mark.parametrize(("service", "method"), METHODS, ids=IDS)
def test_no_generated_request_is_answered_internal(
    world: World, errors: Errors, service: str, method: MethodDescriptor
) -> None:
    generated = requests(world, method)

    @SETTINGS
    @given(token=st.sampled_from(world.tokens), request=generated)
    def run(token: str, request: Any) -> None:
        call(world, service, method, token, request)
        no_tracebacks(errors)

    run()


@pytest.mark.parametrize(("service", "method"), METHODS, ids=IDS)
def test_no_random_bytes_request_is_answered_internal(
    world: World, errors: Errors, service: str, method: MethodDescriptor
) -> None:
    raw = st.one_of(st.binary(max_size=200), st.just(b"\x0a\x02\xff\xfe"), st.just(b"\xff" * 9))
    shape = st.lists(raw, min_size=1, max_size=3) if method.client_streaming else raw

    @settings(SETTINGS, max_examples=RAW_EXAMPLES)
    @given(token=st.sampled_from(world.tokens), data=shape)
    def run(token: str, data: Any) -> None:
        call(world, service, method, token, data)
        no_tracebacks(errors)

    run()


def test_the_generator_covers_every_method_of_every_service() -> None:
    assert len(METHODS) == sum(len(d.methods) for d in SERVICES.values()) > 30
    assert {svc for svc, _ in METHODS} == set(SERVICES)
    assert any(m.client_streaming for _, m in METHODS)
