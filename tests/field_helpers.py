"""Helpers of the field-sync tests: an in-process link to headquarters that can fail, a TCP
proxy that drops or stalls connections, and the views compared between two stores."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
from collections.abc import Sequence
from typing import Any

import orjson

from domain.rights import Actor
from planner.field.client import EventPage, SyncError
from planner.wiring import Planner

VIEW_KINDS = ("camp", "plan", "stockpile", "partner")
_LOCAL_KEYS = ("position", "updated_at")  # where the view's events sit in each store


class FlakyLink:
    """HqClient's calls, made in-process on headquarters' planner, failing on demand.

    `mode`: "ok"; "down" (the request never arrives); "lost" (headquarters does the work, the
    answer never arrives).
    """

    def __init__(self, hq: Planner, actor: Actor) -> None:
        self.hq, self.actor, self.mode = hq, actor, "ok"

    def push(self, field_id: str, commands: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """As HqClient.push, through JSON."""
        self._arrive()
        wire = orjson.loads(orjson.dumps(list(commands), default=str))
        outcomes = self.hq.sync.receive(self.actor, field_id, wire)
        return self._answer(outcomes)

    def events(self, after: int, limit: int, camps: Sequence[str] = ()) -> EventPage:
        """As HqClient.events."""
        self._arrive()
        doc = self.hq.sync.export(after, limit, camps)
        rows = [(o, v, t, base64.b64decode(s)) for o, v, t, s in doc["events"]]
        page = EventPage(rows, doc["next_after"], doc["last_position"], doc["scope"])
        return self._answer(page)

    def close(self) -> None:
        """Nothing to close."""

    def _arrive(self) -> None:
        if self.mode == "down":
            raise SyncError("link down")

    def _answer(self, answer: Any) -> Any:
        if self.mode == "lost":
            raise SyncError("answer lost")
        return answer


def views_of(planner: Planner, camps: Sequence[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """The planner's views (only these camps', if named), without store-local positions."""
    planner.catch_up()
    found: dict[str, list[dict[str, Any]]] = {}
    for kind in VIEW_KINDS:
        docs = planner.queries.views(kind)
        if camps and kind == "camp":
            docs = [d for d in docs if d["camp"] in camps]
        found[kind] = [{k: v for k, v in d.items() if k not in _LOCAL_KEYS} for d in docs]
    return found


class FlakyProxy:
    """A TCP proxy on 127.0.0.1 in its own thread: `drop()` cuts every open connection and
    refuses new ones until `heal()`; `stall()` accepts but forwards nothing until `heal()`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.mode = "ok"
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "drop":
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        self._writers -= {writer, up_writer}

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                while self.mode == "stall":
                    await asyncio.sleep(0.05)
                if self.mode == "drop":
                    break
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def _cut(self) -> None:
        for writer in list(self._writers):
            writer.close()

    def drop(self) -> None:
        """Cut open connections; refuse new ones."""
        self.mode = "drop"
        self._loop.call_soon_threadsafe(self._cut)

    def stall(self) -> None:
        """Forward nothing (connections hang) until heal()."""
        self.mode = "stall"

    def heal(self) -> None:
        """Forward again."""
        self.mode = "ok"

    def close(self) -> None:
        """Stop the proxy."""
        self._loop.call_soon_threadsafe(self._cut)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
