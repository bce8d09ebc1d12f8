"""Playback of a recording in the page (Art 44): the browser's video element asks for
byte ranges as it plays and seeks, and each range is one media ReadRecording stream
passed on chunk by chunk (no recording sits in the console). A reviewer reads
directly; anyone else names an approved access request (调阅) of their own. Every range
read carries the viewing's reason and is written to the access register by the media
service before its first byte (a request id is one read of one range, so a seek is a
new entry; the same range asked again is not)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from liuhen.console.backend import Refusal
from liuhen.console.session import Officer
from liuhen.console.views import HTTP_OF, backend, render, signed_in
from liuhen.media.v1 import media_pb2 as mpb

RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def _name(request: Request) -> str:
    return f"cases/{request.path_params['id']}/recordings/{request.path_params['rec']}"


@signed_in
async def view(request: Request, o: Officer) -> Response:
    """The page with the player: the viewing's reason and request id in the source."""
    q = request.query_params
    return render(
        request,
        "playback.html",
        case=f"cases/{request.path_params['id']}",
        recording=_name(request),
        reason=q.get("reason", ""),
        access_request=q.get("access_request", ""),
        viewing=str(uuid.uuid4()),
    )


def byte_range(header: str) -> tuple[int, int] | None:
    """`Range: bytes=a-b` as (offset, length; 0 = to the end); None when absent or
    not a single range we serve (the whole recording is sent then)."""
    m = RANGE.match(header.strip())
    if not m or not (m.group(1) or m.group(2)):
        return None
    if not m.group(1):  # the last n bytes: the size is not known yet
        return None
    start = int(m.group(1))
    return start, (int(m.group(2)) - start + 1 if m.group(2) else 0)


@signed_in
async def play(request: Request, o: Officer) -> Response:
    q = request.query_params
    wanted = byte_range(request.headers.get("range", ""))
    offset, length = wanted or (0, 0)
    call = backend(request).stream_out(
        o.token,
        "media",
        "ReadRecording",
        mpb.ReadRecordingRequest(
            name=_name(request),
            offset=offset,
            length=length,
            reason=q.get("reason", ""),
            access_request=q.get("access_request", ""),
            # One id per range of one viewing: the same range asked again (a retry)
            # is one read; another range is another read, registered on its own.
            request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{q.get('viewing')}/{offset}/{length}")),
        ),
    )
    try:
        first: Any = await call.read()
    except grpc.aio.AioRpcError as exc:
        refusal = Refusal.of(exc)
        text = f"{refusal.message}（{refusal.article}）" if refusal.article else refusal.message
        return PlainTextResponse(text, status_code=HTTP_OF.get(refusal.code, 502))
    if first is grpc.aio.EOF:
        return Response(b"", status_code=200)
    size = first.size_bytes
    end = min(offset + length, size) - 1 if length else size - 1

    async def chunks() -> AsyncIterator[bytes]:
        reply = first
        while reply is not grpc.aio.EOF:
            yield reply.chunk
            reply = await call.read()

    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(end - offset + 1),
        "Cache-Control": "no-store",  # every viewing goes through the register
    }
    if wanted is None:
        return StreamingResponse(chunks(), media_type=first.content_type, headers=headers)
    headers["Content-Range"] = f"bytes {offset}-{end}/{size}"
    return StreamingResponse(
        chunks(), status_code=206, media_type=first.content_type, headers=headers
    )


ROUTES = [
    Route("/cases/{id}/recordings/{rec}/view", view),
    Route("/cases/{id}/recordings/{rec}/play", play),
]
