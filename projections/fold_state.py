"""The fold's state as its handler mixins see it (the attributes ReadinessFold sets up)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import projections.shapes as shapes

if TYPE_CHECKING:
    from projections.readiness import ViewKey


class FoldState:
    """The tables and touched sets of a ReadinessFold, declared for its handler mixins."""

    partners: dict[str, shapes.PartnerState]
    plans: dict[str, dict[str, Any]]
    stockpiles: dict[str, dict[str, Any]]
    camps: dict[str, dict[str, Any]]
    camp_status: dict[str, str]
    coverage: dict[str, bool]
    _camp_keys: dict[str, tuple[ViewKey, ViewKey]]
    _stockpile_keys: dict[str, tuple[ViewKey, ...]]
    partners_changed: set[str]
    lifecycle_changed: set[str]
    touched_camps: set[str]
    touched_stockpiles: set[str]
    touched: set[ViewKey]

    if TYPE_CHECKING:

        def camp_keys(self, camp_id: str) -> tuple[ViewKey, ViewKey]: ...

        def stockpile_keys(self, stockpile_id: str) -> tuple[ViewKey, ...]: ...
