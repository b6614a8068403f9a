"""Talking to headquarters over HTTP with the field's token: push commands, pull events.

Every call is safe to repeat: a push carries command ids (headquarters applies each at most
once and answers a repeat with the first outcome), a pull asks for events after a position. A
dropped, refused or stalled connection (timeouts bound every wait) is retried a few times with
growing pauses, then raised as SyncError; the next sync starts where this one stopped.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import orjson

READ_TIMEOUT = 60.0  # seconds without a byte: a stalled link


class SyncError(Exception):
    """Headquarters could not be reached or refused the request; nothing was lost."""


@dataclass(frozen=True)
class EventPage:
    """Headquarters' stored events after a position: (originator id, version, topic, state)."""

    rows: list[tuple[str, int, str, bytes]]
    next_after: int
    last_position: int
    scope: str | None = None  # a digest of a camp-scoped field's entities


class HqClient:
    """The HTTP calls a field instance makes to headquarters (standard library only)."""

    def __init__(
        self, url: str, token: str, *, attempts: int = 4, timeout: float = READ_TIMEOUT
    ) -> None:
        self.url = url.rstrip("/")
        self.attempts = attempts
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def close(self) -> None:
        """Nothing stays open between calls."""

    def push(self, field_id: str, commands: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send commands in order; headquarters' outcome of each, in the same order."""
        body = orjson.dumps({"field_id": field_id, "commands": list(commands)}, default=str)
        answer = self._retried("POST", "/sync/commands", body)
        outcomes: list[dict[str, Any]] = answer["outcomes"]
        return outcomes

    def events(self, after: int, limit: int, camps: Sequence[str] = ()) -> EventPage:
        """Up to `limit` of headquarters' events after position `after`."""
        query = urlencode([("after", after), ("limit", limit), *(("camp", c) for c in camps)])
        answer = self._retried("GET", f"/sync/events?{query}")
        rows = [
            (oid, version, topic, base64.b64decode(state))
            for oid, version, topic, state in answer["events"]
        ]
        return EventPage(rows, answer["next_after"], answer["last_position"], answer.get("scope"))

    def get(self, path: str, **params: Any) -> Any:
        """GET a JSON document from headquarters."""
        return self._retried("GET", f"{path}?{urlencode(params)}" if params else path)

    def post(self, path: str, doc: dict[str, Any]) -> Any:
        """POST a JSON document to headquarters; its JSON answer."""
        return self._retried("POST", path, orjson.dumps(doc, default=str))

    def _retried(self, method: str, path: str, body: bytes | None = None) -> Any:
        last: Exception | None = None
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(min(5.0, 0.2 * 2**attempt) * random.uniform(0.5, 1.0))
            try:
                status, content = self._call(method, path, body)
            except (OSError, HTTPException) as error:  # refused, dropped, stalled (timeout)
                last = error
                continue
            if status >= 500 or status == 429:
                last = SyncError(f"headquarters answered {status}")
                continue
            if status >= 400:
                raise SyncError(_problem(status, content))
            return orjson.loads(content)
        raise SyncError(f"headquarters at {self.url} not reachable: {last}")

    def _call(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urlopen(request, timeout=self.timeout) as response:
                return int(response.status), bytes(response.read())
        except HTTPError as error:  # an answer, with a status of 400 or more
            with error:
                return int(error.code), bytes(error.read())


def _problem(status: int, content: bytes) -> str:
    try:
        doc = orjson.loads(content)
    except orjson.JSONDecodeError:
        return f"headquarters refused the request ({status})"
    detail = doc.get("detail") if isinstance(doc, dict) else None
    return f"headquarters refused the request ({status}): {detail or doc}"
