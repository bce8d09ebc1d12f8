"""Upload a recording from the browser (Art 41): the file's bytes pass through as they
arrive, from the HTTP request body into the media service's client stream, so even a
1 GiB file is never held in the console's memory; the page shows the progress."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from liuhen.console.backend import Refusal
from liuhen.console.session import Officer
from liuhen.console.views import backend, signed_in
from liuhen.media.v1 import media_pb2 as mpb

CHUNK = 1 << 20  # what the media service receives per message, at most


def _timestamp(text: str) -> Timestamp | None:
    if not text:
        return None
    when = datetime.fromisoformat(text if len(text) > 16 else f"{text}:00+08:00")
    out = Timestamp()
    out.FromDatetime(when)
    return out


def metadata(request: Request) -> mpb.RecordingMetadata:
    q = request.query_params
    return mpb.RecordingMetadata(
        request_id=q.get("request_id") or str(uuid.uuid4()),
        case=f"cases/{request.path_params['id']}",
        kind=q.get("kind", "video"),
        device=q.get("device", ""),
        place=q.get("place", ""),
        start_time=_timestamp(q.get("start", "")),
        end_time=_timestamp(q.get("end", "")),
        content_type=request.headers.get("content-type", "application/octet-stream"),
        confidentiality=q.get("confidentiality", "normal"),
        description=q.get("description", ""),
    )


async def _parts(request: Request, meta: mpb.RecordingMetadata) -> AsyncIterator[object]:
    yield mpb.UploadRecordingRequest(metadata=meta)
    pending = bytearray()
    async for piece in request.stream():
        pending += piece
        while len(pending) >= CHUNK:
            yield mpb.UploadRecordingRequest(chunk=bytes(pending[:CHUNK]))
            del pending[:CHUNK]
    if pending:
        yield mpb.UploadRecordingRequest(chunk=bytes(pending))


@signed_in
async def upload(request: Request, o: Officer) -> Response:
    try:
        meta = metadata(request)
    except ValueError:
        return JSONResponse({"message": "录制时间格式不正确", "field": "start_time"}, 400)
    try:
        reply = await backend(request).stream_in(
            o.token, "media", "UploadRecording", _parts(request, meta)
        )
    except Refusal as refusal:
        return JSONResponse(
            {"message": refusal.message, "article": refusal.article, "field": refusal.field},
            status_code=400 if refusal.code == "INVALID_ARGUMENT" else 403,
        )
    r = reply.recording
    return JSONResponse(
        {"name": r.name, "sha256": r.sha256, "size_bytes": r.size_bytes, "late": r.late}
    )


ROUTES = [Route("/cases/{id}/recordings", upload, methods=["POST"])]
