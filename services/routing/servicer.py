"""RoutingService over gRPC: protobuf ⇄ handlers, and the workers `services.run` starts."""

from __future__ import annotations

import grpc

from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.db import UnitOfWork
from liuhen.platform.enums import to_enum
from liuhen.platform.outbox import InboxRow, OutboxRow
from liuhen.platform.service import ServicerBase, parse_name
from liuhen.platform.timestamps import timestamp
from liuhen.routing.v1 import routing_pb2 as pb
from liuhen.routing.v1 import routing_pb2_grpc
from services.routing import forwarding, handlers, lists
from services.routing.relay import CheckpointSigner, InboxConsumer, OutboxRelay
from services.run import Worker


def message_to_pb(row: InboxRow | OutboxRow) -> pb.Message:
    envelope = handlers.parse(row.envelope)
    if isinstance(row, InboxRow):
        if envelope is None:  # an unreadable record: its bytes stay in the inbox row
            envelope = pb.Envelope(
                message_id=row.message_id, type=row.type, recipient=row.tenant_id
            )
        return pb.Message(
            name=f"messages/{row.message_id}",
            envelope=envelope,
            direction="inbox",
            state=to_enum(pb.Message.State, row.state),
            time=timestamp(row.received),
            detail=row.detail,
        )
    detail = f"log offset {row.log_offset}" if row.log_offset is not None else ""
    return pb.Message(
        name=f"messages/{row.message_id}",
        envelope=envelope,
        direction="outbox",
        state=to_enum(pb.Message.State, row.state),
        time=timestamp(row.sent_at or row.created),
        detail=detail,
    )


class RoutingServicer(ServicerBase, routing_pb2_grpc.RoutingServiceServicer):  # type: ignore[misc]
    def ListMessages(
        self, request: pb.ListMessagesRequest, context: grpc.ServicerContext
    ) -> pb.ListMessagesResponse:
        def work(uow: UnitOfWork, who: Principal) -> pb.ListMessagesResponse:
            rows, token = lists.list_messages(
                uow,
                direction=request.direction,
                type=request.type,
                filter_text=request.filter,
                order_by=request.order_by,
                page_size=request.page_size,
                token=request.page_token,
            )
            return pb.ListMessagesResponse(
                messages=[message_to_pb(r) for r in rows], next_page_token=token
            )

        return self.read(work)

    def GetMessage(
        self, request: pb.GetMessageRequest, context: grpc.ServicerContext
    ) -> pb.GetMessageResponse:
        (message_id,) = parse_name(request.name, "messages/*")
        return self.read(
            lambda uow, who: pb.GetMessageResponse(
                message=message_to_pb(handlers.find_message(uow, message_id))
            )
        )

    def ListDeadLetters(
        self, request: pb.ListDeadLettersRequest, context: grpc.ServicerContext
    ) -> pb.ListDeadLettersResponse:
        return self.read(
            lambda uow, who: pb.ListDeadLettersResponse(
                messages=[message_to_pb(r) for r in handlers.dead_letters(uow)]
            )
        )

    def ForwardAssistanceRequest(
        self, request: pb.ForwardAssistanceRequestRequest, context: grpc.ServicerContext
    ) -> pb.ForwardAssistanceRequestResponse:
        (message_id,) = parse_name(request.message, "messages/*", "message")
        return self.mutate(
            "ForwardAssistanceRequest",
            request,
            pb.ForwardAssistanceRequestResponse,
            lambda uow, who: pb.ForwardAssistanceRequestResponse(
                message=message_to_pb(
                    forwarding.forward_to_province(uow, who, message_id=message_id)
                )
            ),
        )

    def ReplyToAssistanceRequest(
        self, request: pb.ReplyToAssistanceRequestRequest, context: grpc.ServicerContext
    ) -> pb.ReplyToAssistanceRequestResponse:
        (message_id,) = parse_name(request.message, "messages/*", "message")
        return self.mutate(
            "ReplyToAssistanceRequest",
            request,
            pb.ReplyToAssistanceRequestResponse,
            lambda uow, who: pb.ReplyToAssistanceRequestResponse(
                message=message_to_pb(
                    handlers.reply_to_assistance_request(
                        uow,
                        who,
                        message_id=message_id,
                        findings=request.findings,
                        handler_name=request.handler_name,
                    )
                )
            ),
        )


def register(platform: Platform) -> object:
    def add(server: grpc.Server) -> list[str]:
        routing_pb2_grpc.add_RoutingServiceServicer_to_server(RoutingServicer(platform), server)
        return [pb.DESCRIPTOR.services_by_name["RoutingService"].full_name]

    return add


def workers(platform: Platform) -> list[Worker]:
    """The outbox relay, the inbox consumer and the checkpoint signer (started by
    services.run.start)."""
    return [OutboxRelay(platform), InboxConsumer(platform), CheckpointSigner(platform)]
