"""Write scenarios/iwate-2011.yaml: Iwate's evacuation centres after 11 March 2011, at their
historical size (up to 399 centres, 54,429 people at the 13 March peak, the last public shelters
closed on 31 August).

Run from the repository root: `python scenarios/tools/iwate_2011.py`. The output is deterministic
(a fixed random seed): running it again writes the same file. Per-centre figures are not public;
the historical totals are distributed over the centres, and every distribution, date and
quantity not listed as sourced in the file's header is a planning assumption.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "iwate-2011.yaml"
SEED = 2011

PEAK_PEOPLE = 54_429  # sourced: 13 March 2011
MAX_CENTRES = 399  # sourced: 19 March 2011
ADM1 = "03"  # JIS X 0401 prefecture code of Iwate

# Coastal municipalities: JIS X 0402 code (without check digit), name, approximate town-hall
# coordinates, centres (assumed share of the 399), people at the peak (assumed share).
MUNICIPALITIES = (
    ("03507", "Hirono", 40.409, 141.718, 5, 0.005),
    ("03207", "Kuji", 40.190, 141.776, 10, 0.015),
    ("03503", "Noda", 40.110, 141.818, 8, 0.015),
    ("03485", "Fudai", 40.002, 141.887, 3, 0.005),
    ("03484", "Tanohata", 39.931, 141.942, 8, 0.015),
    ("03483", "Iwaizumi", 39.843, 141.797, 10, 0.010),
    ("03202", "Miyako", 39.641, 141.957, 85, 0.205),
    ("03482", "Yamada", 39.467, 141.949, 35, 0.110),
    ("03461", "Otsuchi", 39.358, 141.899, 40, 0.120),
    ("03211", "Kamaishi", 39.276, 141.886, 70, 0.170),
    ("03203", "Ofunato", 39.082, 141.709, 60, 0.160),
    ("03210", "Rikuzentakata", 39.028, 141.625, 65, 0.170),
)
# Iwate's evacuees in public shelters after the peak: (day offset, people). Only the peak, the
# 17 people of 30 August and the closure of 31 August are sourced; the rest is assumed.
DECLINE = (
    (8, 46_000),
    (21, 40_000),
    (35, 33_000),
    (51, 25_000),
    (82, 15_000),
    (112, 8_000),
    (143, 2_500),
    (172, 17),
)
LAST_TOWN = "Yamada"  # sourced: the last 17 evacuees were in Yamada
SUPPLY_ROUNDS = (4, 8, 14, 21, 35, 51, 82, 112, 143, 172)
FACILITY_DAYS = (6, 12)
DAYS_SUPPLIED = 3.5  # each round brings 3.5 days of water and food (ready needs 3)
WATER_L, RATIONS = 15, 1  # sphere-emergency daily need per person
PER_UNIT = {"latrine": 50, "water_tap": 250, "waste_container": 50, "bathing_shelter": 50}
ELDERLY, UNDER5 = 0.30, 0.04  # shares of arrivals (assumed; Iwate's coast was ageing)
FIRST_WAVE = 0.83  # share of each town's centres open on 11 March (assumed)
SMALL_CENTRE = 20  # below this many people a centre is merged into its town's largest


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


class Writer:
    """Steps as YAML flow mappings, one per line, put in time order when written (steps at the
    same time keep the order they were made in)."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, int, str]] = []
        self.steps = 0

    def comment(self, day: float, text: str) -> None:
        self.entries.append((day, len(self.entries), f"  # {text}"))

    def step(self, day: float, do: str, **args: Any) -> None:
        line = f"  - {{at: {_at(day)}, do: {do}, with: {_flow(args)}}}"
        self.entries.append((day, len(self.entries), line))
        self.steps += 1

    @property
    def lines(self) -> list[str]:
        return [line for _, _, line in sorted(self.entries)]


def _at(day: float) -> str:
    hours = round(day * 24)
    d, h = divmod(hours, 24)
    return f"+{d}d{h}h" if h else f"+{d}d"


_PLAIN = re.compile(r"[a-z][a-z0-9_-]*")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return _flow(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text not in ("true", "false", "null", "yes", "no", "on", "off"):
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(args: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in args.items()) + "}"


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Whole numbers summing to `total`, proportional to `weights` (largest remainder)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


class Iwate:
    """Builds the scenario in time order."""

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
        town_peaks = _apportion(PEAK_PEOPLE, [m[5] for m in MUNICIPALITIES])
        self.first: dict[str, list[int]] = {}
        self.area: dict[str, float] = {}
        self.capacity: dict[str, int] = {}
        for (_code, town, *_rest, centres, _share), people in zip(
            MUNICIPALITIES, town_peaks, strict=True
        ):
            first = max(1, round(centres * FIRST_WAVE))
            weights = [self.rng.lognormvariate(0, 0.8) for _ in range(first)]
            self.first[town] = _apportion(people, weights)
            for number in range(1, centres + 1):
                slug = f"{town.lower()}-{number:03d}"
                # a second-wave centre takes at most 150 people from a crowded one
                planned = self.first[town][number - 1] if number <= first else 150
                planned = max(planned, 60)
                self.capacity[slug] = math.ceil(planned * 1.15)
                self.area[slug] = float(planned * 35)  # 35 m² a person at the peak (assumed)

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

    def decline(self, day: float, target: int) -> None:
        """People leave for relatives, homes and temporary housing: each town loses people in
        proportion; small centres merge into their town's largest; empty ones close."""
        self.out.comment(
            day, f"--- {_at(day)}: {target:,} people remain in Iwate's centres (assumed)"
        )
        towns = list(self.centres)
        if target == 17:
            per_town = [17 if t == LAST_TOWN else 0 for t in towns]
        else:
            current = [sum(c.people for c in self.open_centres(t)) for t in towns]
            per_town = _apportion(target, [float(p) for p in current])
        for town, goal in zip(towns, per_town, strict=True):
            centres = self.open_centres(town)
            have = sum(c.people for c in centres)
            leaving = _apportion(have - goal, [float(c.people) for c in centres])
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

    def supplies(self, day: float) -> None:
        """A supply round: what is left in each centre is handed out (consumed), then 3.5 days of
        water and food arrive, a medical kit where none is, and blankets and mats for everyone."""
        self.out.comment(
            day, f"--- {_at(day)}: supply round (quantities assumed) ----------------------"
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
            day, f"--- {_at(day)}: latrines, taps, bathing (assumed: built for the peak)"
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

    def peak_check(self) -> str:
        n = len(self.open_centres())
        miyako = sum(c.people for c in self.open_centres("Miyako"))
        return (
            f"  # 13 March: the sourced peak; no centre is ready (no health or protection lead, "
            f"no supplies yet)\n"
            f"  - {{at: +2d6h, adm1: '{ADM1}', expect: {{population: {PEAK_PEOPLE}, "
            f"camps: {{ready: 0, at_risk: 0, not_ready: {n}, closed: 0}}, "
            f"people_by_status: {{ready: 0, at_risk: 0, not_ready: {PEAK_PEOPLE}}}, "
            f"uncovered: {{HEA: {n}, PRO: {n}}}}}}}\n"
            f"  - {{at: +2d6h, adm2: '03202', expect: {{population: {miyako}, "
            f"uncovered: {{HEA: {len(self.open_centres('Miyako'))}}}}}}}\n"
            f"  - {{at: +2d6h, plan: iwate-2011, expect: {{population: {PEAK_PEOPLE}, "
            f"tripartite: true}}}}\n"
            f"  - {{at: +2d6h, camp: miyako-001, expect: {{kind: evacuation_centre, adm1: '03', "
            f"adm2: '03202', status: not_ready}}}}"
        )

    def count_check(self, day: float) -> str:
        n = len(self.open_centres())
        closed = sum(1 for t in self.centres for c in self.centres[t] if not c.open)
        return (
            f"  # 19 March: the sourced maximum of {MAX_CENTRES} centres; 46,000 people (assumed)\n"
            f"  - {{at: {_at(day)}, adm1: '{ADM1}', expect: {{population: 46000, "
            f"camps: {{closed: {closed}}}}}}}\n"
            f"  - {{at: {_at(day)}, plan: iwate-2011, expect: "
            f"{{camps: {{closed: {closed}}}}}}}  # {n} open"
        )

    def ready_check(self, day: float) -> str:
        n = len(self.open_centres())
        people = self.total()
        return (
            f"  # 25 March: every open centre has its six leads, 3.5 days of supplies and its\n"
            f"  # facilities: all ready\n"
            f"  - {{at: {_at(day)}, adm1: '{ADM1}', expect: {{population: {people}, "
            f"camps: {{ready: {n}, at_risk: 0, not_ready: 0}}, "
            f"people_by_status: {{ready: {people}, at_risk: 0, not_ready: 0}}, uncovered: {{}}}}}}"
        )

    def last_check(self, day: float) -> str:
        open_ = len(self.open_centres())
        return (
            f"  # 30 August: 17 people remain, all in Yamada (sourced)\n"
            f"  - {{at: {_at(day)}, adm1: '{ADM1}', expect: {{population: 17, "
            f"camps: {{closed: {MAX_CENTRES - open_}}}}}}}\n"
            f"  - {{at: {_at(day)}, adm2: '03482', expect: {{population: 17}}}}"
        )

    def closed_check(self, day: float) -> str:
        return (
            f"  # 31 August: every public shelter in Iwate is closed (sourced)\n"
            f"  - {{at: {_at(day)}, adm1: '{ADM1}', expect: {{population: 0, "
            f"camps: {{ready: 0, at_risk: 0, not_ready: 0, closed: {MAX_CENTRES}}}, "
            f"people_by_status: {{ready: 0, at_risk: 0, not_ready: 0}}}}}}"
        )


HEADER = """\
# Iwate Prefecture after the Great East Japan Earthquake and Tsunami, 2011: the evacuation centres
# of the twelve coastal municipalities at their historical size. GENERATED by
# scenarios/tools/iwate_2011.py (edit the script, not this file).
#
# Sourced (see `sources`):
#   - 54,429 people were in Iwate's evacuation shelters at the peak on 13 March 2011; at most 399
#     shelters were open, on 19 March 2011.
#   - Iwate closed its last public shelters on 31 August 2011, the first of the three hardest-hit
#     prefectures to do so; on 30 August 17 people were still in shelters, all in Yamada.
#   - The earthquake struck at 14:46 JST on 11 March 2011. The partners are organisations that
#     responded in Iwate (the prefecture, the municipalities, the Self-Defense Forces, the Japanese
#     Red Cross, AMDA, Save the Children Japan, Peace Winds Japan).
#   - Area codes: adm1 is Iwate's JIS X 0401 prefecture code ('03'); adm2 the JIS X 0402 code of
#     each municipality ('03202' Miyako, …), quoted: they are strings.
# Planning assumptions (per-centre figures are not public; historical totals are distributed):
#   - How the 399 centres and the peak population are shared among the towns, each centre's
#     population (lognormal weights), capacity (115% of its peak), site area (35 m² a person at its
#     peak), its name ("<town> evacuation centre N") and coordinates (near the town hall).
#   - The decline between the peak and 30 August (46,000 on 19 March, 40,000 on 1 April, 33,000 on
#     15 April, 25,000 on 1 May, 15,000 on 1 June, 8,000 on 1 July, 2,500 on 1 August), the
#     merging of centres under 20 people into their town's largest, transfers without breakdown.
#   - Who led which sector and when, and every supply quantity and date: supply rounds bring 3.5
#     days of water and food, a medical kit, blankets and mats; facilities are built for each
#     centre's peak on 17 and 23 March. Arrivals are 30% elderly and 4% under five.
"""

SOURCES = [
    "Kyodo / The Japan Times, 'Iwate shuts down last evacuation shelters', 1 September 2011 "
    "(54,429 evacuees at the 13 March peak; at most 399 shelters, on 19 March; 17 people left "
    "in Yamada on 30 August; all public shelters closed on 31 August), reproduced at "
    "https://recoveringtohoku.wordpress.com/2011/09/01/iwate-shuts-down-last-evacuation-shelters-"
    "prefecture-is-first-among-the-hardest-hit-areas-japan-times-9111/",
    "SEEDS Asia, 'The Great Eastern Japan Earthquake: in depth damage report by affected cities', "
    "28 April 2011, https://docslib.org/doc/4130206/the-great-eastern-japan-earthquake-in-depth-"
    "damage-report-by-affected-cities",
    "Ministry of Internal Affairs and Communications, 全国地方公共団体コード (JIS X 0401/0402 "
    "local government codes), https://www.soumu.go.jp/denshijiti/code.html",
    "Sphere Association, The Sphere Handbook, 2018 edition, https://spherestandards.org/handbook-2018/",
]


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
