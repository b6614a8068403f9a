"""Read side: readiness views by slug or id, now or as of a time, lists, 3W and timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from projections.areas import area_view, area_views, in_area_order
from projections.logistics import TIMED_KINDS, time_us, with_time
from projections.projector import from_us, to_us
from projections.shapes import ViewDoc
from projections.store import PostgresViewStore, SQLiteViewStore
from projections.time_travel import TimeTraveller

# The 3W table's columns and their HXL hashtags, in CSV order. A camp's population is a camp
# figure, not a sector lead's: it is given on the first row of each camp only (blank after), so
# that a column sum counts each camp once.
THREE_W_COLUMNS = (
    ("partner", "#org+code"),
    ("partner_name", "#org+name"),
    ("kind", "#org+type"),
    ("lead", "#org+role"),
    ("sector", "#sector+cluster"),
    ("camp", "#loc+code"),
    ("site_name", "#loc+name"),
    ("site_kind", "#loc+type"),
    ("location", "#loc"),
    ("adm1", "#adm1+code"),
    ("adm2", "#adm2+code"),
    ("lat", "#geo+lat"),
    ("lon", "#geo+lon"),
    ("plan", "#activity+code"),
    ("status", "#status"),
    ("since", "#date+start"),
    ("population", "#affected+incamp"),
)


class ReadinessQueries:
    """Answers readiness questions from the materialised views."""

    def __init__(
        self,
        store: SQLiteViewStore | PostgresViewStore,
        traveller: TimeTraveller,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.traveller = traveller
        # "Now" for the current views that change with time alone (offer expiry, overdue
        # shipments): the planner's clock when the query is answered.
        self.clock = clock or (lambda: datetime.now(UTC))

    def now_us(self) -> int:
        """The query's time on the planner's clock, in µs since the epoch."""
        return time_us(self.clock())

    def view(self, kind: str, entity_id: str, as_of: datetime | None = None) -> ViewDoc | None:
        """One view by entity id, now or as of a time; None if it did not exist then."""
        if as_of is None:
            doc = self.store.get(kind, entity_id)
            if doc is not None:
                doc = with_time(kind, doc, self.now_us())
        else:
            docs = self.traveller.views_at(to_us(as_of), [(kind, entity_id)])
            doc = docs[0] if docs else None
        return None if doc is None else _public(doc)

    def view_series(self, kind: str, entity_id: str, times: list[datetime]) -> list[ViewDoc | None]:
        """One view as of each of several times (in increasing order)."""
        docs = self.traveller.view_series((kind, entity_id), [to_us(t) for t in times])
        return [None if doc is None else _public(doc) for doc in docs]

    def views(
        self,
        kind: str,
        *,
        as_of: datetime | None = None,
        plan_id: str | None = None,
        status: str | None = None,
        location: str | None = None,
        adm1: str | None = None,
        adm2: str | None = None,
    ) -> list[ViewDoc]:
        """All views of a kind, filtered (camps also by area code), now or as of a time."""
        if as_of is None:
            if status is not None and kind in TIMED_KINDS:  # a stored status may have aged
                return [
                    doc
                    for doc in self.views(
                        kind, plan_id=plan_id, location=location, adm1=adm1, adm2=adm2
                    )
                    if doc.get("status") == status
                ]
            docs = self.store.list_views(
                kind, plan_id=plan_id, status=status, location=location, adm1=adm1, adm2=adm2
            )
            now = self.now_us()
            return [_public(with_time(kind, doc, now)) for doc in docs]
        docs = [
            doc
            for doc in self.traveller.views_at(to_us(as_of), kind=kind)
            if (plan_id is None or doc.get("plan_id", doc["id"]) == plan_id)
            and (status is None or doc.get("status") == status)
            and (location is None or doc.get("location") == location)
            and (adm1 is None or doc.get("adm1") == adm1)
            and (adm2 is None or doc.get("adm2") == adm2)
        ]
        docs.sort(key=lambda d: (str(d.get(kind, d.get("camp", ""))), d["id"]))
        return [_public(doc) for doc in docs]

    def views_page(
        self,
        kind: str,
        *,
        limit: int,
        offset: int,
        plan_id: str | None = None,
        status: str | None = None,
        location: str | None = None,
    ) -> tuple[list[ViewDoc], int]:
        """A page of the current views of a kind, filtered, and how many the filters keep:
        read a page at a time from the store, whatever the number of views."""
        filters = {"plan_id": plan_id, "status": status, "location": location}
        docs = self.store.list_views(kind, limit=limit, offset=offset, **filters)
        return [_public(doc) for doc in docs], self.store.count_views(kind, **filters)

    def who_does_what(
        self,
        *,
        as_of: datetime | None = None,
        plan_id: str | None = None,
        keep: Callable[[ViewDoc], bool] | None = None,
    ) -> list[ViewDoc]:
        """The 3W table: one row per (partner, sector, camp), those `keep` accepts.

        Each camp's population is on its first row only (`None` on the others), so that a sum
        over the rows counts every camp once, whatever the filter.
        """
        rows: list[tuple[str, ViewDoc]] = []
        population = {
            doc["id"]: doc["population"] for doc in self.views("camp", as_of=as_of, plan_id=plan_id)
        }
        for doc in self.views("3w", as_of=as_of, plan_id=plan_id):
            for row in doc["rows"]:
                if keep is None or keep(row):
                    rows.append((doc["id"], row | {"population": population.get(doc["id"], 0)}))
        rows.sort(
            key=lambda pair: (
                pair[1]["plan"],
                pair[1]["camp"],
                pair[1]["sector"],
                pair[1]["lead"] != "lead",
                pair[1]["partner"],
            )
        )
        counted: set[str] = set()
        for camp_id, row in rows:
            if camp_id in counted:
                row["population"] = None
            counted.add(camp_id)
        return [row for _, row in rows]

    def area(self, level: str, code: str, *, as_of: datetime | None = None) -> ViewDoc | None:
        """One area's view (adm1 or adm2), now or as of a time; None if no camp carries it.

        Now, it is the area's roll-up (one row, kept up by the projector); as of a time, the
        sum of its camps' views then."""
        if as_of is None:
            return self.store.area(level, code)
        doc = area_view(level, code, self.views("camp", as_of=as_of))
        return doc if doc["camp_list"] else None

    def areas(
        self, *, as_of: datetime | None = None, level: str | None = None, adm1: str | None = None
    ) -> list[ViewDoc]:
        """Every area's view (or those of one level, or within one adm1 area), adm1 areas each
        followed by their adm2 areas. Now, from the roll-ups; as of a time, summed from the
        camps' views then."""
        if as_of is None:
            docs = in_area_order(self.store.areas(level=level, adm1=adm1))
        else:
            docs = area_views(self.views("camp", as_of=as_of))
        return [
            d
            for d in docs
            if (level is None or d["level"] == level) and (adm1 is None or d["adm1"] == adm1)
        ]

    def stock_totals(self, *, as_of: datetime | None = None) -> dict[str, dict[str, int]]:
        """On hand, reserved and available per item across every stockpile."""
        totals: dict[str, dict[str, int]] = {}
        for doc in self.views("stockpile", as_of=as_of):
            for item, levels in doc["items"].items():
                sums = totals.setdefault(item, {"on_hand": 0, "reserved": 0, "available": 0})
                for key in sums:
                    sums[key] += levels[key]
        return dict(sorted(totals.items()))

    def timeline(
        self,
        *,
        kind: str | None = None,
        entity_id: str | None = None,
        as_of: datetime | None = None,
    ) -> list[ViewDoc]:
        """Every status change of camps and plans, oldest first, with its time."""
        entries = self.store.timeline(
            kind=kind, entity_id=entity_id, as_of_us=None if as_of is None else to_us(as_of)
        )
        for entry in entries:
            entry["at"] = from_us(entry.pop("ts_us")).isoformat()
        return entries


def _public(doc: ViewDoc) -> ViewDoc:
    doc["position"] = doc.pop("_position")
    doc["updated_at"] = from_us(doc.pop("_ts_us")).isoformat()
    return doc
