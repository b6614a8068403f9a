"""orjson transcoder keeping the eventsourcing library's type markers (UUID, datetime, Decimal)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

_ENCODE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class OrjsonTranscoder(JSONTranscoder):
    """JSONTranscoder with orjson doing the work; wire format identical to the library's markers."""

    def __init__(self, *transcodings: Transcoding) -> None:
        super().__init__()
        for transcoding in transcodings or (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
            self.register(transcoding)

    def encode(self, obj: Any) -> bytes:
        """Encode with orjson; UUIDs are marked by hand since orjson would write them bare."""
        return orjson.dumps(_mark_uuids(obj), default=self._encode_obj, option=_ENCODE_OPTIONS)

    def decode(self, data: bytes) -> Any:
        """Decode with orjson, then turn type markers back into objects."""
        return self._unmark(orjson.loads(data))

    def _unmark(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
                return self._decode_obj(obj)
            return {key: self._unmark(value) for key, value in obj.items()}
        if isinstance(obj, list):
            return [self._unmark(value) for value in obj]
        return obj


def _mark_uuids(obj: Any) -> Any:
    if isinstance(obj, UUID):
        return {"_type_": "uuid_hex", "_data_": obj.hex}
    if isinstance(obj, dict):
        return {key: _mark_uuids(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_mark_uuids(value) for value in obj]
    return obj
