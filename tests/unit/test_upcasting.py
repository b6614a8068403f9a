"""Schema evolution: an old stored event is upcast when read (class_version + upcast_v1_v2).

The planner's own events have no old versions yet, so this uses a test-local aggregate shaped
like Camp: its `ArrivalsRegistered` is at version 2, which added `unaccompanied_minors`; a
version-1 payload (written by hand, as an older release would have stored it) lacks the field
and must read back with `unaccompanied_minors = 0`. The same two lines on
`domain.camp.Camp.ArrivalsRegistered` / `DeparturesRegistered` would do it for real camps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import orjson
from eventsourcing.domain import event
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.base import PlannerAggregate
from domain.camp import Camp
from domain.service import PlannerService

WHEN = datetime(1999, 4, 2, 6, 30, tzinfo=UTC)


class Shelter(PlannerAggregate):
    """A test-local camp: its population events are at class version 2."""

    class Opened(PlannerAggregate.Created):
        slug: str

    class ArrivalsRegistered(PlannerAggregate.Event):
        """v2 added unaccompanied_minors (v1 stored people and under5 only)."""

        class_version = 2

        people: int
        under5: int
        unaccompanied_minors: int

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["unaccompanied_minors"] = 0

    @event(Opened)
    def __init__(self, *, slug: str) -> None:
        self.slug = slug
        self.people = 0
        self.under5 = 0
        self.unaccompanied_minors = 0

    @event(ArrivalsRegistered)
    def register_arrivals(self, people: int, under5: int, unaccompanied_minors: int) -> None:
        self.people += people
        self.under5 += under5
        self.unaccompanied_minors += unaccompanied_minors


def _timestamp(when: datetime) -> dict[str, str]:
    return {"_type_": "datetime_iso", "_data_": when.isoformat()}


def _v1_history(shelter_id: Any) -> list[StoredEvent]:
    """What a release before v2 stored: no class_version, no unaccompanied_minors."""
    opened = {
        "timestamp": _timestamp(WHEN),
        "originator_topic": get_topic(Shelter),
        "slug": "kukes-1",
    }
    arrivals = {"timestamp": _timestamp(WHEN), "people": 120, "under5": 30}
    return [
        StoredEvent(shelter_id, 1, get_topic(Shelter.Opened), orjson.dumps(opened)),
        StoredEvent(shelter_id, 2, get_topic(Shelter.ArrivalsRegistered), orjson.dumps(arrivals)),
    ]


def test_v1_payload_is_upcast_to_v2_by_the_mapper(service: PlannerService) -> None:
    stored = _v1_history(uuid4())[1]
    assert b"class_version" not in stored.state
    assert b"unaccompanied_minors" not in stored.state
    domain_event = service.mapper.to_domain_event(stored)
    assert isinstance(domain_event, Shelter.ArrivalsRegistered)
    assert (domain_event.people, domain_event.under5) == (120, 30)
    assert domain_event.unaccompanied_minors == 0
    assert domain_event.timestamp == WHEN


def test_aggregate_with_v1_history_loads_and_carries_on_in_v2(service: PlannerService) -> None:
    shelter_id = uuid4()
    service.recorder.insert_events(_v1_history(shelter_id))
    shelter: Shelter = service.repository.get(shelter_id)
    assert isinstance(shelter, Shelter)
    assert (shelter.version, shelter.people, shelter.under5) == (2, 120, 30)
    assert shelter.unaccompanied_minors == 0

    shelter.register_arrivals(people=10, under5=2, unaccompanied_minors=3)
    service.save(shelter)
    (new,) = service.recorder.select_events(shelter_id, gt=2)
    assert orjson.loads(new.state)["class_version"] == 2  # new events are stored as v2
    assert orjson.loads(new.state)["unaccompanied_minors"] == 3

    again: Shelter = service.repository.get(shelter_id)  # a mixed v1/v2 history
    assert (again.version, again.people, again.under5, again.unaccompanied_minors) == (
        3,
        130,
        32,
        3,
    )


def test_current_camp_events_are_version_1_and_carry_every_group(service: PlannerService) -> None:
    """Today's Camp events are v1 with all groups; a v2 would need the change shown above."""
    assert getattr(Camp.ArrivalsRegistered, "class_version", 1) == 1
    service.draft_plan(plan="p", title="T", crisis="C", planning_figure=10)
    service.establish_camp(camp="c", plan="p", location="L", site_area_m2=10, shelter_capacity=1)
    result = service.register_arrivals(camp="c", people=5, unaccompanied_minors=1)
    (stored,) = service.recorder.select_events(result.aggregate_id, gt=1)
    state = orjson.loads(stored.state)
    assert "class_version" not in state
    assert state["unaccompanied_minors"] == 1


def test_a_stored_version_1_sector_assignment_reads_back_with_no_co_leads() -> None:
    """Camp.SectorAssigned became version 2 when co-leads arrived; old events upcast."""
    from uuid import uuid4

    from eventsourcing.persistence import StoredEvent

    from adapters.transcoder import OrjsonTranscoder
    from domain.camp import Camp
    from planner.wiring import new_service

    service = new_service({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    partner = uuid4()
    v1_state = OrjsonTranscoder().encode(
        {
            "timestamp": datetime(1999, 4, 2, tzinfo=UTC),
            "sector": "WSH",
            "partner_id": partner,
        }
    )
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=2,
        topic="domain.camp:Camp.SectorAssigned",
        state=v1_state,
    )
    event = service.mapper.to_domain_event(stored)
    assert isinstance(event, Camp.SectorAssigned)
    assert (event.sector, event.partner_id, event.co_lead_ids) == ("WSH", partner, [])


def test_the_projectors_decoder_upcasts_old_events_as_the_mapper_does() -> None:
    """Rebuilds decode stored rows themselves (projections.events): upcasters still apply."""
    from projections.events import EventDecoder
    from projections.readiness import canonical_id

    shelter_id = uuid4()
    rows = [
        (n, shelter_id.hex, stored.topic, stored.state)
        for n, stored in enumerate(_v1_history(shelter_id), start=1)
    ]
    (_, name, oid, ts, fields) = list(EventDecoder().stream(rows))[1]
    assert (name, oid, ts) == ("Shelter.ArrivalsRegistered", str(shelter_id), WHEN.isoformat())
    assert (fields["people"], fields["under5"], fields["unaccompanied_minors"]) == (120, 30, 0)
    assert "class_version" not in fields

    partner = uuid4()
    v1 = orjson.dumps(
        {
            "timestamp": _timestamp(WHEN),
            "sector": "WSH",
            "partner_id": {"_type_": "uuid_hex", "_data_": partner.hex},
        }
    )
    ((*_, assigned),) = EventDecoder().stream([(3, uuid4(), get_topic(Camp.SectorAssigned), v1)])
    assert (canonical_id(assigned["partner_id"]), assigned["co_lead_ids"]) == (str(partner), [])
