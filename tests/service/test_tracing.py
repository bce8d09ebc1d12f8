"""One trace covers the sender service, the message log and the recipient (DESIGN §7)."""

from __future__ import annotations

import json
import time

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.routing.v1 import routing_pb2 as rpb
from tests.support import Site, file_case, rid


def test_design7_one_trace_runs_from_the_sender_through_the_log_to_the_recipient(
    site: Site,
) -> None:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)  # configured by the services at start
    spans = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(spans))

    case = file_case(site)
    handler = site.client("cases", "jiangan", "handler1")
    doc = handler.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type="assistance_request",
            content_json=json.dumps({"matters": "核实"}),
        )
    ).document
    handler.SubmitDocument(cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name))
    site.client("cases", "jiangan", "head1").ApproveDocument(
        cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name)
    )
    sent = handler.SendAssistanceRequest(
        cpb.SendAssistanceRequestRequest(request_id=rid(), document=doc.name, recipient="hongshan")
    )
    peer = site.client("routing", "hongshan", "handler1")
    end = time.monotonic() + 15
    while time.monotonic() < end and not [
        m
        for m in peer.ListMessages(
            rpb.ListMessagesRequest(direction="inbox", order_by="time desc")
        ).messages
        if m.envelope.message_id == sent.message_id
    ]:
        time.sleep(0.05)

    finished = spans.get_finished_spans()
    send = next(s for s in finished if s.name.endswith("/SendAssistanceRequest"))
    in_trace = [s for s in finished if s.context.trace_id == send.context.trace_id]
    kinds = {s.kind for s in in_trace}
    assert {trace.SpanKind.SERVER, trace.SpanKind.PRODUCER, trace.SpanKind.CONSUMER} <= kinds
    consumer = next(s for s in in_trace if s.kind == trace.SpanKind.CONSUMER)
    producer = next(s for s in in_trace if s.kind == trace.SpanKind.PRODUCER)
    assert consumer.parent is not None and consumer.parent.span_id == producer.context.span_id
