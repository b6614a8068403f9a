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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson

T = TypeVar("T")

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0


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
    """The HTTP calls a field instance makes to headquarters."""

    def __init__(
        self, url: str, token: str, *, attempts: int = 4, timeout: float = READ_TIMEOUT
    ) -> None:
        self.url = url.rstrip("/")
        self.attempts = attempts
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
        )

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def push(self, field_id: str, commands: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send commands in order; headquarters' outcome of each, in the same order."""
        body = orjson.dumps({"field_id": field_id, "commands": list(commands)}, default=str)
        answer = self._retried(
            lambda: self._http.post(
                "/sync/commands", content=body, headers={"Content-Type": "application/json"}
            )
        )
        outcomes: list[dict[str, Any]] = answer["outcomes"]
        return outcomes

    def events(self, after: int, limit: int, camps: Sequence[str] = ()) -> EventPage:
        """Up to `limit` of headquarters' events after position `after`."""
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("after", after),
            ("limit", limit),
        ]
        params += [("camp", camp) for camp in camps]
        answer = self._retried(lambda: self._http.get("/sync/events", params=params))
        rows = [
            (oid, version, topic, base64.b64decode(state))
            for oid, version, topic, state in answer["events"]
        ]
        return EventPage(rows, answer["next_after"], answer["last_position"], answer.get("scope"))

    def get(self, path: str, **params: Any) -> Any:
        """GET a JSON document from headquarters."""
        return self._retried(lambda: self._http.get(path, params=params))

    def post(self, path: str, doc: dict[str, Any]) -> Any:
        """POST a JSON document to headquarters; its JSON answer."""
        return self._retried(lambda: self._http.post(path, json=doc))

    def _retried(self, call: Callable[[], httpx.Response]) -> Any:
        last: Exception | None = None
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(min(5.0, 0.2 * 2**attempt) * random.uniform(0.5, 1.0))
            try:
                response = call()
            except httpx.HTTPError as error:  # refused, dropped, stalled (timeout)
                last = error
                continue
            if response.status_code >= 500 or response.status_code == 429:
                last = SyncError(f"headquarters answered {response.status_code}")
                continue
            if response.status_code >= 400:
                raise SyncError(_problem(response))
            return orjson.loads(response.content)
        raise SyncError(f"headquarters at {self.url} not reachable: {last}")


def _problem(response: httpx.Response) -> str:
    try:
        doc = response.json()
    except ValueError:
        return f"headquarters refused the request ({response.status_code})"
    detail = doc.get("detail") if isinstance(doc, dict) else None
    return f"headquarters refused the request ({response.status_code}): {detail or doc}"
