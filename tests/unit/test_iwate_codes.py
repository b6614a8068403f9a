"""The bundled Iwate 2011 scenario names its municipalities by their JIS X 0402 codes.

The table below is the Ministry of Internal Affairs and Communications' list of local government
codes (全国地方公共団体コード) for Iwate's coastal cities, towns and villages, written here apart
from the scenario's generator (scenarios/tools/iwate_facts.py) so that a wrong code in either
shows.
"""

from __future__ import annotations

import re
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "iwate-2011.yaml"
JIS_X_0402 = {
    "miyako": "03202",  # Miyako city
    "ofunato": "03203",  # Ōfunato city
    "kuji": "03207",  # Kuji city
    "rikuzentakata": "03210",  # Rikuzentakata city
    "kamaishi": "03211",  # Kamaishi city
    "otsuchi": "03461",  # Ōtsuchi town (Kamihei district)
    "yamada": "03482",  # Yamada town (Shimohei district)
    "iwaizumi": "03483",  # Iwaizumi town
    "tanohata": "03484",  # Tanohata village
    "fudai": "03485",  # Fudai village
    "noda": "03503",  # Noda village (Kunohe district)
    "hirono": "03507",  # Hirono town
}
# One establish_camp step per line (the generator writes flow mappings): slug, adm1, adm2.
CENTRE = re.compile(
    r"do: establish_camp, with: \{camp: ([a-z]+)-\d+,.*? adm1: \"(\w+)\", adm2: \"(\w+)\""
)


def test_every_centre_carries_its_municipality_s_jis_code() -> None:
    centres = CENTRE.findall(SCENARIO.read_text(encoding="utf-8"))
    assert len(centres) == 399
    for town, adm1, adm2 in centres:
        assert (adm1, adm2) == ("03", JIS_X_0402[town]), town
    assert {town for town, _, _ in centres} == set(JIS_X_0402)
