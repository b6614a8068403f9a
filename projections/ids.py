"""Entity ids as the fold keys them: the canonical UUID string, whatever form an event gives."""

from __future__ import annotations

from uuid import UUID

_CANONICAL_IDS: dict[str, str] = {}


def canonical_id(value: object) -> str:
    """An id field as the fold keys entities: the UUID's canonical string.

    Fields come as UUIDs (domain events), strings, or the library's stored marker
    (`{"_type_": "uuid_hex", "_data_": hex}`, events decoded by `projections.events`, which
    leaves ids to be converted here, where they are used).
    """
    if type(value) is str:
        return value
    if type(value) is dict:
        hex_id: str = value["_data_"]
        canonical = _CANONICAL_IDS.get(hex_id)
        if canonical is None:
            if len(_CANONICAL_IDS) > 100_000:
                _CANONICAL_IDS.clear()
            canonical = _CANONICAL_IDS[hex_id] = str(UUID(hex_id))
        return canonical
    return str(value)
