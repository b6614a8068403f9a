"""The Iwate 2011 generator's checks: the sourced figures, written as scenario checks."""

from __future__ import annotations

from iwate_centres import IwateCentres
from iwate_facts import ADM1, MAX_CENTRES, PEAK_PEOPLE
from scenario_writer import offset


class IwateChecks(IwateCentres):
    """Checks of the area, plan and camp views at the sourced moments."""

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
            f"  - {{at: {offset(day)}, adm1: '{ADM1}', expect: {{population: 46000, "
            f"camps: {{closed: {closed}}}}}}}\n"
            f"  - {{at: {offset(day)}, plan: iwate-2011, expect: "
            f"{{camps: {{closed: {closed}}}}}}}  # {n} open"
        )

    def ready_check(self, day: float) -> str:
        n = len(self.open_centres())
        people = self.total()
        return (
            f"  # 25 March: every open centre has its six leads, 3.5 days of supplies and its\n"
            f"  # facilities: all ready\n"
            f"  - {{at: {offset(day)}, adm1: '{ADM1}', expect: {{population: {people}, "
            f"camps: {{ready: {n}, at_risk: 0, not_ready: 0}}, "
            f"people_by_status: {{ready: {people}, at_risk: 0, not_ready: 0}}, uncovered: {{}}}}}}"
        )

    def last_check(self, day: float) -> str:
        open_ = len(self.open_centres())
        return (
            f"  # 30 August: 17 people remain, all in Yamada (sourced)\n"
            f"  - {{at: {offset(day)}, adm1: '{ADM1}', expect: {{population: 17, "
            f"camps: {{closed: {MAX_CENTRES - open_}}}}}}}\n"
            f"  - {{at: {offset(day)}, adm2: '03482', expect: {{population: 17}}}}"
        )

    def closed_check(self, day: float) -> str:
        return (
            f"  # 31 August: every public shelter in Iwate is closed (sourced)\n"
            f"  - {{at: {offset(day)}, adm1: '{ADM1}', expect: {{population: 0, "
            f"camps: {{ready: 0, at_risk: 0, not_ready: 0, closed: {MAX_CENTRES}}}, "
            f"people_by_status: {{ready: 0, at_risk: 0, not_ready: 0}}}}}}"
        )
