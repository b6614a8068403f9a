"""Reading the materialised readiness views: current views, lists, counts, the timeline,
the saved state a projector resumes from, checkpoints and quarantined events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from projections.shapes import ViewDoc

FILTER_COLUMNS = ("plan_id", "status", "location", "adm1", "adm2")


class ViewQueries:
    """The views' queries (and their SQL dialect), for the view store mixed into a recorder."""

    application_name = "planner"
    postgres = False
    datastore: Any
    tracking_table_name: str

    if TYPE_CHECKING:  # provided by the library's tracking recorder the store is mixed into

        def max_tracking_id(self, application_name: str) -> int | None: ...
        def _max_tracking_id(self, application_name: str, c: object) -> int | None: ...

    @property
    def _prefix(self) -> str:
        if not self.postgres:
            return ""
        return f'"{getattr(self.datastore, "schema", "") or "public"}".'

    def _sql(self, statement: str) -> str:
        statement = statement.replace("{p}", self._prefix)
        return statement.replace("?", "%s") if self.postgres else statement

    def _tracking_table(self) -> str:
        name = getattr(self, "tracking_table_name", "tracking")
        return f'{self._prefix}"{name}"' if self.postgres else name

    # -- reading -------------------------------------------------------------------------------

    def position(self) -> int:
        """The last event position the views include (0 if none)."""
        return self.max_tracking_id(self.application_name) or 0

    def saved_state(
        self,
    ) -> tuple[list[tuple[str, str, Any]], int, list[tuple[str, str, int, int]], int]:
        """What a projector resumes from: entity states, position, views' last touches and
        the last checkpoint's position (the arguments of `ReadinessProjector.restore`)."""
        with self.datastore.transaction(commit=False) as c:
            position = self._max_tracking_id(self.application_name, c) or 0
            c.execute(self._sql("SELECT kind, entity_id, state FROM {p}rp_state"), ())
            states = [
                (r["kind"], r["entity_id"], orjson.loads(bytes(r["state"]))) for r in c.fetchall()
            ]
            c.execute(self._sql("SELECT kind, entity_id, position, ts FROM {p}rp_current"), ())
            touches = [(r["kind"], r["entity_id"], r["position"], r["ts"]) for r in c.fetchall()]
            c.execute(self._sql("SELECT MAX(position) AS position FROM {p}rp_checkpoints"), ())
            row = c.fetchone()
        return states, position, touches, (row["position"] or 0) if row else 0

    def quarantined(self, limit: int = 100) -> list[dict[str, object]]:
        """The events the projector could not project (oldest first), with their errors."""
        rows = self._query(
            "SELECT position, originator_id, topic, error FROM {p}rp_quarantine "
            "ORDER BY position LIMIT ?",
            (limit,),
        )
        return [dict(row) for row in rows]

    def quarantined_positions(self) -> frozenset[int]:
        """Positions of the quarantined events (skipped by every fold)."""
        rows = self._query("SELECT position FROM {p}rp_quarantine", ())
        return frozenset(row["position"] for row in rows)

    def checkpoint_before(self, as_of_us: int) -> tuple[int, bytes] | None:
        """The last checkpoint at or before a time: (position, checkpoint), or None."""
        rows = self._query(
            "SELECT position, state FROM {p}rp_checkpoints WHERE ts <= ? "
            "ORDER BY ts DESC, position DESC LIMIT 1",
            (as_of_us,),
        )
        return (rows[0]["position"], bytes(rows[0]["state"])) if rows else None

    def get(self, kind: str, entity_id: str) -> ViewDoc | None:
        """One current view."""
        rows = self._query(
            "SELECT doc, position, ts FROM {p}rp_current WHERE kind = ? AND entity_id = ?",
            (kind, entity_id),
        )
        return view_doc(rows[0]) if rows else None

    def find_id(self, kind: str, slug: str) -> list[str]:
        """Ids of the entities of a kind with this slug (one per workspace)."""
        rows = self._query(
            "SELECT entity_id FROM {p}rp_current WHERE kind = ? AND slug = ? ORDER BY entity_id",
            (kind, slug),
        )
        return [row["entity_id"] for row in rows]

    def list_views(
        self,
        kind: str,
        *,
        plan_id: str | None = None,
        status: str | None = None,
        location: str | None = None,
        adm1: str | None = None,
        adm2: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ViewDoc]:
        """Every current view of a kind, filtered on plan, status, location and administrative
        area (a page of them with `limit` and `offset`), in slug order."""
        where, params = self._filters(kind, plan_id, status, location, adm1, adm2)
        sql = "SELECT doc, position, ts FROM {p}rp_current v WHERE " + where
        sql += " ORDER BY slug, entity_id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [view_doc(row) for row in self._query(sql, params)]

    def count_views(
        self,
        kind: str,
        *,
        plan_id: str | None = None,
        status: str | None = None,
        location: str | None = None,
        adm1: str | None = None,
        adm2: str | None = None,
    ) -> int:
        """How many current views of a kind the filters keep."""
        where, params = self._filters(kind, plan_id, status, location, adm1, adm2)
        rows = self._query("SELECT COUNT(*) AS n FROM {p}rp_current v WHERE " + where, params)
        return int(rows[0]["n"])

    @staticmethod
    def _filters(kind: str, *values: str | None) -> tuple[str, list[object]]:
        sql = "kind = ?"
        params: list[object] = [kind]
        for column, value in zip(FILTER_COLUMNS, values, strict=True):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return sql, params

    def area(self, level: str, code: str) -> ViewDoc | None:
        """One area's current view (its roll-up), or None if no camp carries the code."""
        rows = self._query(
            "SELECT doc FROM {p}rp_areas WHERE level = ? AND code = ?", (level, code)
        )
        return _loaded(rows[0]) if rows else None

    def areas(self, *, level: str | None = None, adm1: str | None = None) -> list[ViewDoc]:
        """The current area views (unordered): all, or of one level, or within one adm1 area."""
        sql, params = "SELECT doc FROM {p}rp_areas WHERE 1 = 1", []
        for column, value in (("level", level), ("adm1", adm1)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [_loaded(row) for row in self._query(sql, params)]

    def timeline(
        self, *, kind: str | None = None, entity_id: str | None = None, as_of_us: int | None = None
    ) -> list[ViewDoc]:
        """Status changes of camps and plans, oldest first."""
        sql = "SELECT * FROM {p}rp_timeline WHERE 1 = 1"
        params: list[object] = []
        for column, value in (("kind", kind), ("entity_id", entity_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if as_of_us is not None:
            sql += " AND ts <= ?"
            params.append(as_of_us)
        rows = self._query(sql + " ORDER BY position, kind, entity_id", params)
        return [
            {
                "kind": row["kind"],
                "id": row["entity_id"],
                "slug": row["slug"],
                "position": row["position"],
                "ts_us": row["ts"],
                "from": row["from_status"],
                "to": row["to_status"],
            }
            for row in rows
        ]

    def _query(self, statement: str, params: Sequence[object]) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._sql(statement), tuple(params))
            return list(c.fetchall())


def _loaded(row: Any) -> ViewDoc:
    doc: ViewDoc = orjson.loads(bytes(row["doc"]))
    return doc


def view_doc(row: Any) -> ViewDoc:
    """A stored view with the position and time of the event that made it."""
    doc: ViewDoc = orjson.loads(bytes(row["doc"]))
    doc["_position"] = row["position"]
    doc["_ts_us"] = row["ts"]
    return doc
