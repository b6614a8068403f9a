"""The Iwate 2011 generator's evacuation centres: opened, filled, emptied, merged and closed."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from iwate_facts import (
    ADM1,
    ELDERLY,
    FIRST_WAVE,
    LAST_TOWN,
    MUNICIPALITIES,
    PEAK_PEOPLE,
    SEED,
    SMALL_CENTRE,
    UNDER5,
)
from scenario_writer import Writer, apportion, offset


@dataclass
class Centre:
    """One evacuation centre as the generator tracks it."""

    slug: str
    town: str
    adm2: str
    people: int = 0
    peak: int = 0
    blanket: int = 0
    stock: dict[str, int] = field(default_factory=dict)
    facilities: dict[str, int] = field(default_factory=dict)
    kit: bool = False
    open: bool = True


class IwateCentres:
    """The centres of every town and the steps that move their people."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.out = Writer()
        self.centres: dict[str, list[Centre]] = {m[1]: [] for m in MUNICIPALITIES}
        self.checks: list[str] = []

    # -- helpers --------------------------------------------------------------------------------

    def open_centres(self, town: str | None = None) -> list[Centre]:
        towns = [town] if town else list(self.centres)
        return [c for t in towns for c in self.centres[t] if c.open]

    def total(self) -> int:
        return sum(c.people for c in self.open_centres())

    def establish(self, day: float, town: str, code: str, lat: float, lon: float) -> Centre:
        number = len(self.centres[town]) + 1
        centre = Centre(f"{town.lower()}-{number:03d}", town, code)
        self.centres[town].append(centre)
        # Site area includes school grounds; capacity and area are set after the peak is known,
        # so they are written here from the centre's planned peak (see plan_peaks).
        self.out.step(
            day,
            "establish_camp",
            camp=centre.slug,
            plan="iwate-2011",
            location=f"{town}, Iwate",
            site_area_m2=self.area[centre.slug],
            shelter_capacity=self.capacity[centre.slug],
            name=f"{town} evacuation centre {number} (name not public; numbered)",
            kind="evacuation_centre",
            adm1=ADM1,
            adm2=code,
            lat=round(lat + self.rng.uniform(-0.04, 0.04), 4),
            lon=round(lon - self.rng.uniform(0.0, 0.08), 4),
        )
        return centre

    def arrive(self, day: float, centre: Centre, people: int, groups: bool = True) -> None:
        if people <= 0:
            return
        args: dict[str, Any] = {"camp": centre.slug, "people": people}
        if groups:
            args |= {"elderly": round(people * ELDERLY), "under5": round(people * UNDER5)}
        self.out.step(day, "register_arrivals", **args)
        centre.people += people
        centre.peak = max(centre.peak, centre.people)

    def depart(self, day: float, centre: Centre, people: int) -> None:
        if people <= 0:
            return
        self.out.step(day, "register_departures", camp=centre.slug, people=people)
        centre.people -= people

    def close(self, day: float, centre: Centre) -> None:
        self.depart(day, centre, centre.people)
        self.out.step(day, "close_camp", camp=centre.slug)
        centre.open = False

    # -- the story ------------------------------------------------------------------------------

    def plan_peaks(self) -> None:
        """Decide every centre's peak population (13 March for the first wave, the transfers of
        14–19 March for the second) and from it its capacity and site area."""
        town_peaks = apportion(PEAK_PEOPLE, [m[5] for m in MUNICIPALITIES])
        self.first: dict[str, list[int]] = {}
        self.area: dict[str, float] = {}
        self.capacity: dict[str, int] = {}
        for (_code, town, *_rest, centres, _share), people in zip(
            MUNICIPALITIES, town_peaks, strict=True
        ):
            first = max(1, round(centres * FIRST_WAVE))
            weights = [self.rng.lognormvariate(0, 0.8) for _ in range(first)]
            self.first[town] = apportion(people, weights)
            for number in range(1, centres + 1):
                slug = f"{town.lower()}-{number:03d}"
                # a second-wave centre takes at most 150 people from a crowded one
                planned = self.first[town][number - 1] if number <= first else 150
                planned = max(planned, 60)
                self.capacity[slug] = math.ceil(planned * 1.15)
                self.area[slug] = float(planned * 35)  # 35 m² a person at the peak (assumed)

    def decline(self, day: float, target: int) -> None:
        """People leave for relatives, homes and temporary housing: each town loses people in
        proportion; small centres merge into their town's largest; empty ones close."""
        self.out.comment(
            day, f"--- {offset(day)}: {target:,} people remain in Iwate's centres (assumed)"
        )
        towns = list(self.centres)
        if target == 17:
            per_town = [17 if t == LAST_TOWN else 0 for t in towns]
        else:
            current = [sum(c.people for c in self.open_centres(t)) for t in towns]
            per_town = apportion(target, [float(p) for p in current])
        for town, goal in zip(towns, per_town, strict=True):
            centres = self.open_centres(town)
            have = sum(c.people for c in centres)
            leaving = apportion(have - goal, [float(c.people) for c in centres])
            for centre, gone in zip(centres, leaving, strict=True):
                self.depart(day, centre, gone)
            self.merge(day, town)

    def merge(self, day: float, town: str) -> None:
        centres = sorted(self.open_centres(town), key=lambda c: -c.people)
        if not centres:
            return
        largest = centres[0]
        for centre in centres[1:]:
            if centre.people < SMALL_CENTRE or largest.people == 0:
                moved = centre.people
                self.close(day, centre)
                self.arrive(day, largest, moved, groups=False)
        if largest.people == 0:
            self.close(day, largest)
