"""The notification log for integrators: pages of stored events, and a server-sent-event stream."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext
from api.deps import Caller, Context
from api.errors import ApiProblem
from api.reads import json_response
from api.schemas import MAX_WHOLE, EventPage

router = APIRouter(prefix="/events", tags=["events"])
_EVENT_ID = re.compile(r"^[0-9]{1,15}$")  # as sent in the `id:` of a message

_After = Annotated[
    int, Query(ge=0, le=MAX_WHOLE, description="events after this position (0: from the start)")
]


def read_events(ctx: ApiContext, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` stored events after a position, with their state decoded."""
    service = ctx.planner.service
    mapper = service.mapper
    notifications = service.recorder.select_notifications(start=after + 1, limit=limit)
    events = []
    for n in notifications:
        state = n.state
        if mapper.cipher is not None:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor is not None:
            state = mapper.compressor.decompress(state)
        events.append(
            {
                "id": n.id,
                "originator_id": str(n.originator_id),
                "version": n.originator_version,
                "topic": n.topic,
                "state": mapper.transcoder.decode(state),
            }
        )
    return events


@router.get("", response_model=EventPage, summary="Stored events after a position")
def list_events(
    ctx: Context,
    _: Caller,
    after: _After = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many")] = 100,
) -> Response:
    """The notification log in order: position, aggregate id and version, topic, state."""
    events = read_events(ctx, after, limit)
    return json_response(
        {
            "items": events,
            "next_after": events[-1]["id"] if events else after,
            "last_position": ctx.last_position(),
        }
    )


def _frame(event: dict[str, Any]) -> bytes:
    return b"id: %d\ndata: %s\n\n" % (event["id"], orjson.dumps(event, default=str))


@router.get(
    "/stream",
    summary="Server-sent events of new stored events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/event-stream": {
                    "example": 'id: 58\ndata: {"id":58,"originator_id":"…","version":3,'
                    '"topic":"domain.camp:Camp.ArrivalsRegistered","state":{…}}\n\n'
                }
            },
            "description": "one message per stored event (its `id` is the position); "
            "comment lines keep the connection alive",
        }
    },
)
async def stream_events(
    request: Request,
    ctx: Context,
    caller: Caller,
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_WHOLE, description="start after this position (default: now)"),
    ] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_WHOLE, description="end the stream after this many events"),
    ] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Follow the log: each new event as an SSE message; resumes from `Last-Event-ID`."""
    if after is None and last_event_id is not None and _EVENT_ID.match(last_event_id):
        after = int(last_event_id)  # anything else (not one of our ids): from now
    if after is None:
        after = await run_in_threadpool(ctx.last_position)
    slot = _StreamSlot(ctx, caller.scope)
    return StreamingResponse(
        _follow(request, ctx, after, limit, slot),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(slot.release),  # also when the stream never started
    )


class _StreamSlot:
    """One of a token's stream slots (429 when none is free), released exactly once."""

    def __init__(self, ctx: ApiContext, caller: str) -> None:
        if not ctx.open_stream(caller):
            raise ApiProblem(
                429,
                "too-many-streams",
                "Too many event streams",
                f"this token already has {ctx.settings.max_streams_per_token} event streams "
                "open; close one (or resume it with Last-Event-ID) first",
                headers={"Retry-After": "5"},
            )
        self._ctx, self._caller, self._open = ctx, caller, True

    def release(self) -> None:
        """Give the slot back (idempotent)."""
        if self._open:
            self._open = False
            self._ctx.close_stream(self._caller)


async def _follow(
    request: Request, ctx: ApiContext, after: int, limit: int | None, slot: _StreamSlot
) -> AsyncIterator[bytes]:
    try:
        async for frame in _frames(request, ctx, after, limit):
            yield frame
    finally:
        slot.release()


async def _frames(
    request: Request, ctx: ApiContext, after: int, limit: int | None
) -> AsyncIterator[bytes]:
    settings = ctx.settings
    position, sent, last_beat = after, 0, time.monotonic()
    deadline = last_beat + settings.stream_max_duration  # the client reconnects from its id
    yield b"retry: 1000\n\n"
    while time.monotonic() < deadline and not await request.is_disconnected():
        batch = min(100, limit - sent) if limit is not None else 100
        events = await run_in_threadpool(read_events, ctx, position, batch)
        for event in events:
            yield _frame(event)
            position, sent = event["id"], sent + 1
        if limit is not None and sent >= limit:
            return
        if not events:
            if time.monotonic() - last_beat >= settings.stream_heartbeat:
                yield b": keep-alive\n\n"
                last_beat = time.monotonic()
            await asyncio.sleep(settings.stream_poll_interval)
