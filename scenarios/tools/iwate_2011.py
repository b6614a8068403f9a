"""Write scenarios/iwate-2011.yaml: Iwate's evacuation centres after 11 March 2011, at their
historical size (up to 399 centres, 54,429 people at the 13 March peak, the last public shelters
closed on 31 August).

Run from the repository root: `python scenarios/tools/iwate_2011.py`. The output is deterministic
(a fixed random seed): running it again writes the same file. Per-centre figures are not public;
the historical totals are distributed over the centres, and every distribution, date and
quantity not listed as sourced in the file's header is a planning assumption.

The facts and assumptions are in iwate_facts.py, the centres' people in iwate_centres.py, the
checks in iwate_checks.py and the YAML writing in scenario_writer.py (all beside this script).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from iwate_checks import IwateChecks
from iwate_facts import (
    DAYS_SUPPLIED,
    DECLINE,
    HEADER,
    MUNICIPALITIES,
    PEAK_PEOPLE,
    PER_UNIT,
    RATIONS,
    SOURCES,
    SUPPLY_ROUNDS,
    WATER_L,
)
from scenario_writer import offset

OUT = Path(__file__).resolve().parents[1] / "iwate-2011.yaml"


class Iwate(IwateChecks):
    """Builds the scenario in time order."""

    def setup(self) -> None:
        s = self.out.step
        self.out.comment(
            0, "--- 11 March 2011, 14:46 JST: partners, the prefecture's plan -----------"
        )
        s(
            0,
            "register_partner",
            partner="iwate-pref",
            name="Iwate Prefectural Government",
            kind="government",
        )
        for code, town, *_ in MUNICIPALITIES:
            s(
                0,
                "register_partner",
                partner=f"{town.lower()}-town",
                name=f"{town} municipal government (JIS {code})",
                kind="government",
            )
        s(
            0,
            "register_partner",
            partner="jsdf",
            name="Japan Self-Defense Forces",
            kind="government",
            sectors=["WSH", "FSC", "LOG"],
        )
        s(
            0,
            "register_partner",
            partner="jrc",
            name="Japanese Red Cross Society",
            kind="ngo",
            sectors=["HEA", "SHL"],
        )
        s(0, "register_partner", partner="amda", name="AMDA", kind="ngo", sectors=["HEA"])
        s(
            0,
            "register_partner",
            partner="scj",
            name="Save the Children Japan",
            kind="ngo",
            sectors=["PRO", "EDU"],
        )
        s(
            0,
            "register_partner",
            partner="pwj",
            name="Peace Winds Japan",
            kind="ngo",
            sectors=["SHL", "WSH"],
        )
        s(
            0,
            "register_partner",
            partner="logistics",
            name="Logistics companies (trucking association members, assumed)",
            kind="business",
            sectors=["LOG"],
        )
        s(
            0,
            "draft_plan",
            plan="iwate-2011",
            title="Iwate: evacuation centres on the coast after the tsunami",
            crisis="Great East Japan Earthquake and Tsunami, 11 March 2011",
            planning_figure=55_000,
            region="Iwate coast",
        )
        members = [
            ("iwate-pref", "coordinator"),
            ("jsdf", "implementer"),
            ("jrc", "implementer"),
            ("amda", "implementer"),
            ("scj", "implementer"),
            ("pwj", "implementer"),
            ("logistics", "supplier"),
        ]
        members += [(f"{m[1].lower()}-town", "implementer") for m in MUNICIPALITIES]
        for partner, role in members:
            s(0, "join_plan", plan="iwate-2011", partner=partner, role=role)
        s(0, "activate_plan", plan="iwate-2011")
        for depot, partner, where in (
            ("pref-depot", "iwate-pref", "Prefectural relief depot, inland Iwate (assumed)"),
            ("jsdf-water", "jsdf", "JSDF water supply units (assumed)"),
            ("jrc-depot", "jrc", "Red Cross warehouse, Morioka (assumed)"),
            ("pwj-depot", "pwj", "Peace Winds relief goods, Tōno (assumed)"),
        ):
            s(0, "open_stockpile", stockpile=depot, partner=partner, location=where)
            s(0, "commit_stockpile", plan="iwate-2011", stockpile=depot)

    def first_wave(self) -> None:
        self.out.comment(
            0.25, "--- 11-13 March: the first wave of centres fills up to the sourced peak"
        )
        for code, town, lat, lon, _centres, _ in MUNICIPALITIES:
            for people in self.first[town]:
                centre = self.establish(0.25, town, code, lat, lon)
                self.arrive(0.5, centre, round(people * 0.75))
        for town in self.centres:
            for centre, people in zip(self.open_centres(town), self.first[town], strict=True):
                self.arrive(2, centre, people - centre.people)
        assert self.total() == PEAK_PEOPLE

    def leads(self, day: float, sectors: tuple[str, ...], lead_of: Any) -> None:
        for centre in self.open_centres():
            for sector in sectors:
                self.out.step(
                    day, "assign_sector", camp=centre.slug, sector=sector, partner=lead_of(centre)
                )

    def second_wave(self) -> None:
        """14–19 March: the remaining centres open and take people from crowded ones; the total
        falls towards the figure of 19 March."""
        self.out.comment(
            3, "--- 14-19 March: more centres open; people move from crowded ones ------"
        )
        for code, town, lat, lon, centres, _ in MUNICIPALITIES:
            opened = len(self.centres[town])
            for _ in range(centres - opened):
                centre = self.establish(3 + self.rng.randrange(5), town, code, lat, lon)
                donor = max(self.open_centres(town), key=lambda c: c.people)
                moved = min(donor.people // 3, 150)
                day = 7.5
                self.depart(day, donor, moved)
                self.arrive(day, centre, moved, groups=False)
        for name in ("CCM", "SHL", "WSH", "FSC", "HEA", "PRO"):
            self.lead_new(7.75, name)
        self.decline(8, 46_000)

    def lead_new(self, day: float, sector: str) -> None:
        """Give the centres opened in the second wave the same leads as their town's first."""
        for town in self.centres:
            first = self.centres[town][0]
            for centre in self.centres[town][1:]:
                if centre.slug not in self.led.setdefault(sector, set()):
                    self.out.step(
                        day,
                        "assign_sector",
                        camp=centre.slug,
                        sector=sector,
                        partner=self.lead_by_town[sector][town],
                    )
                    self.led[sector].add(centre.slug)
            self.led[sector].add(first.slug)

    def supplies(self, day: float) -> None:
        """A supply round: what is left in each centre is handed out (consumed), then 3.5 days of
        water and food arrive, a medical kit where none is, and blankets and mats for everyone."""
        self.out.comment(
            day, f"--- {offset(day)}: supply round (quantities assumed) ----------------------"
        )
        centres = self.open_centres()
        people = sum(c.people for c in centres)
        s = self.out.step
        water = sum(math.ceil(c.people * WATER_L * DAYS_SUPPLIED) for c in centres)
        food = sum(math.ceil(c.people * RATIONS * DAYS_SUPPLIED) for c in centres)
        kits = sum(1 for c in centres if not c.kit)
        blankets = sum(max(0, c.people - c.blanket) for c in centres)
        for depot, item, quantity in (
            ("jsdf-water", "water", water),
            ("pref-depot", "food_ration", food),
            ("jrc-depot", "medical_kit", kits),
            ("jrc-depot", "blanket", blankets),
            ("pwj-depot", "sleeping_mat", blankets),
        ):
            if quantity:
                s(
                    day,
                    "receive_supplies",
                    stockpile=depot,
                    item=item,
                    quantity=quantity,
                    source="logistics",
                )
        for centre in centres:
            if centre.people == 0:
                continue
            for item in ("water", "food_ration"):
                if centre.stock.get(item):
                    s(
                        day,
                        "distribute_supplies",
                        camp=centre.slug,
                        item=item,
                        quantity=centre.stock[item],
                    )
            for depot, item, quantity in (
                ("jsdf-water", "water", math.ceil(centre.people * WATER_L * DAYS_SUPPLIED)),
                ("pref-depot", "food_ration", math.ceil(centre.people * RATIONS * DAYS_SUPPLIED)),
                ("jrc-depot", "medical_kit", 0 if centre.kit else 1),
                ("jrc-depot", "blanket", max(0, centre.people - centre.blanket)),
                ("pwj-depot", "sleeping_mat", max(0, centre.people - centre.blanket)),
            ):
                if quantity:
                    s(
                        day,
                        "dispatch_supplies",
                        stockpile=depot,
                        camp=centre.slug,
                        item=item,
                        quantity=quantity,
                    )
                    if item in ("water", "food_ration"):
                        centre.stock[item] = quantity
            centre.kit = True
            centre.blanket = max(centre.blanket, centre.people)
        assert people == self.total()

    def facilities(self, day: float) -> None:
        self.out.comment(
            day, f"--- {offset(day)}: latrines, taps, bathing (assumed: built for the peak)"
        )
        for centre in self.open_centres():
            wanted = {f: math.ceil(centre.peak / n) for f, n in PER_UNIT.items()}
            wanted["health_post"] = 1
            for facility, count in wanted.items():
                more = count - centre.facilities.get(facility, 0)
                if more > 0:
                    self.out.step(
                        day, "build_facilities", camp=centre.slug, facility=facility, count=more
                    )
                    centre.facilities[facility] = count

    def build(self) -> None:
        self.plan_peaks()
        self.setup()
        self.first_wave()
        big = {"Miyako", "Kamaishi", "Ofunato", "Rikuzentakata", "Otsuchi", "Yamada"}
        towns = [m[1] for m in MUNICIPALITIES]
        town_lead = {t: f"{t.lower()}-town" for t in towns}
        self.lead_by_town = {
            "CCM": town_lead,
            "SHL": town_lead,
            "WSH": dict.fromkeys(towns, "jsdf"),
            "FSC": dict.fromkeys(towns, "jsdf"),
            "HEA": {
                t: "amda" if t in ("Otsuchi", "Yamada") else "jrc" if t in big else town_lead[t]
                for t in towns
            },
            "PRO": {t: "scj" if t in big else town_lead[t] for t in towns},
        }
        self.led: dict[str, set[str]] = {}
        self.out.comment(1, "--- 12 March: towns run their centres; the JSDF brings water and food")
        for sector, day in (("CCM", 1), ("SHL", 1), ("WSH", 1.5), ("FSC", 1.5)):
            self.first_leads(day, sector)
        self.checks.append(self.peak_check())
        self.out.comment(3, "--- medical teams: Red Cross and AMDA in the hardest-hit towns")
        self.first_leads(3, "HEA")
        self.supplies(4)
        self.facilities(6)
        self.out.comment(7, "--- protection: child-friendly spaces and welfare teams (assumed)")
        self.first_leads(7, "PRO")
        self.second_wave()
        self.supplies(8)
        self.checks.append(self.count_check(8.25))
        self.facilities(12)
        rounds = [d for d in SUPPLY_ROUNDS if d > 8]
        declines = dict(DECLINE)
        for day in rounds:
            if day in declines and day != 8:
                self.decline(day, declines[day])
            self.supplies(day)
            if day == 14:
                self.checks.append(self.ready_check(14.25))
        self.checks.append(self.last_check(172.25))
        self.out.comment(173, "--- 31 August 2011: Iwate's last public shelters close (sourced)")
        for centre in self.open_centres():
            self.close(173, centre)
        self.checks.append(self.closed_check(173.25))

    def first_leads(self, day: float, sector: str) -> None:
        for centre in self.open_centres():
            self.out.step(
                day,
                "assign_sector",
                camp=centre.slug,
                sector=sector,
                partner=self.lead_by_town[sector][centre.town],
            )
            self.led.setdefault(sector, set()).add(centre.slug)

    # -- checks ---------------------------------------------------------------------------------


def main() -> None:
    """Write the scenario file."""
    iwate = Iwate()
    iwate.build()
    lines = [
        HEADER,
        "scenario: iwate-2011",
        'title: "Iwate 2011: 399 evacuation centres on the coast, from peak to last closure"',
        "description: >",
        "  The prefecture's plan for the evacuation centres of Iwate's twelve coastal",
        "  municipalities, from the tsunami of 11 March 2011 to the closure of the last public",
        "  shelters on 31 August.",
        "sources:",
        *(f"  - {json.dumps(s, ensure_ascii=False)}" for s in SOURCES),
        'start: "2011-03-11T05:46:00Z"   # 14:46 JST',
        "standards: sphere-emergency",
        "steps:",
        *iwate.out.lines,
        "checks:",
        *iwate.checks,
        "simulate:",
        "  shocks:",
        "    arrival_surge: {factor: [1.0, 1.3]}",
        "    supply_loss: {max_fraction: 0.3, items: [water, food_ration]}",
        "    partner_withdrawal: {max_partners: 1}",
        "  require:",
        '    - {plan: iwate-2011, after: +0d, tripartite: true, name: "government, NGOs and '
        'business stay on board"}',
        '    - {camp: miyako-001, after: +14d, until: +20d, status: ready, name: "a '
        'Miyako centre stays ready after the first full supply round"}',
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT} ({iwate.out.steps:,} steps)")


if __name__ == "__main__":
    main()
