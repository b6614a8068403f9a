"""Importing a site list (HXL-tagged CSV, read with libhxl): rows become commands, every bad row
is named by row, column and why, and a list with any fault stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.replay import replay_scenario
from planner.scenario import parse_scenario
from planner.site_import import SiteImportError, import_sites, read_site_list, scenario_yaml
from tests.projections_helpers import memory_planner, stored_records, view_of

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-sites.csv"
HEAD = (
    "name,code,type,adm1,adm2,lat,lon,people,capacity,area\n"
    "#loc+name,#loc+code,#loc+type,#adm1+code,#adm2+code,#geo+lat,#geo+lon,"
    "#affected+incamp,#capacity,#loc+area\n"
)


def csv(*rows: str) -> bytes:
    return (HEAD + "".join(row + "\n" for row in rows)).encode()


GOOD = "Gym,gym-1,evacuation centre,03,03202,39.6,141.9,120,200,900"


def problems(data: bytes) -> list[str]:
    with pytest.raises(SiteImportError) as bad:
        read_site_list(data, "p", "sites.csv")
    assert "nothing was imported" in str(bad.value)
    return bad.value.problems


def test_the_sample_list_reads_into_commands() -> None:
    sites = read_site_list(SAMPLE.read_bytes(), "iwate", "sample-sites.csv")
    assert len(sites.rows) == 6 and sites.population == 3_070
    first = sites.rows[0]
    assert first.row == 3  # the third line of the file
    assert first.establish == {
        "plan": "iwate",
        "camp": "miyako-gym",
        "name": "Miyako Municipal Gymnasium (illustrative)",
        "kind": "evacuation_centre",
        "adm1": "03",
        "adm2": "03202",
        "lat": 39.6414,
        "lon": 141.9569,
        "shelter_capacity": 900,
        "site_area_m2": 4000.0,
        "location": "Miyako, Iwate",
    }
    assert first.people == 1_200  # "1,200"
    kinds = [r.establish["kind"] for r in sites.rows]
    assert kinds == [
        "evacuation_centre",
        "evacuation_centre",  # "evacuation center"
        "collective_centre",
        "evacuation_centre",
        "host_community",  # "host families"
        "transit_centre",  # "transit site"
    ]
    assert [c for c, _ in sites.commands()].count("register_arrivals") == 5  # not the empty one


def test_columns_are_found_by_hashtag_in_any_order() -> None:
    data = b"a,b,c,d,e\n#capacity,#loc+area,#meta+x,#loc+code,#population\n10,500,x,s-1,7\n"
    sites = read_site_list(data, "p")
    assert sites.rows[0].establish["camp"] == "s-1" and sites.rows[0].people == 7
    assert sites.rows[0].establish["location"] == "s-1"  # nothing better given


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("Gym,gym 1,camp,03,03202,39.6,141.9,1,2,3", "row 3, column B (#loc+code): 'camp' must be"),
        ("Gym,gym-1,stadium,03,03202,39.6,141.9,1,2,3", "row 3, column C (#loc+type): 'stadium'"),
        ("Gym,gym-1,camp,03,03202,91,141.9,1,2,3", "row 3, column F (#geo+lat): 'lat' must be"),
        ("Gym,gym-1,camp,03,03202,39.6,abc,1,2,3", "row 3, column G (#geo+lon): 'abc': not a"),
        ('Gym,gym-1,camp,03,03202,"39,6",141.9,1,2,3', "decimals with a point"),
        ("Gym,gym-1,camp,03,03202,39.6,,1,2,3", "row 3, column G (#geo+lon): lat is given"),
        ("Gym,gym-1,camp,,03202,39.6,141.9,1,2,3", "row 3, column D (#adm1+code): adm2"),
        ("Gym,gym-1,camp,0 3,03202,39.6,141.9,1,2,3", "row 3, column D (#adm1+code): 'adm1'"),
        ("Gym,gym-1,camp,03,03202,39.6,141.9,-5,2,3", "row 3, column H (#affected+incamp)"),
        ("Gym,gym-1,camp,03,03202,39.6,141.9,5,,3", "row 3, column I (#capacity): the shelter"),
        ("Gym,gym-1,camp,03,03202,39.6,141.9,5,2,0", "row 3, column J (#loc+area): 'site_area"),
        ("Gym,,camp,03,03202,39.6,141.9,5,2,3", "row 3, column B (#loc+code): the camp is empty"),
    ],
)
def test_a_bad_row_is_named_with_its_column_and_why(row: str, words: str) -> None:
    found = problems(csv(GOOD, row.replace("gym-1", "gym-2")) if "gym-1" in row else csv(row))
    text = "\n".join(found)
    assert words.replace("row 3", "row 4" if "gym-1" in row else "row 3") in text, text


def test_every_bad_row_is_reported_and_codes_are_unique() -> None:
    found = problems(
        csv(GOOD, GOOD, "X,x-1,camp,03,,39.6,141.9,1,2,-1", "Y,y-1,camp,03,,1,1,abc,2,3")
    )
    assert len(found) == 3
    assert found[0] == (
        "row 4, column B (#loc+code): site code 'gym-1' is already used in row 3; codes are unique"
    )
    assert found[1].startswith("row 5, column J (#loc+area): ")
    assert found[2].startswith("row 6, column H (#affected+incamp): 'abc': not a whole number")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"name,code\nA,a\n", "not a readable HXL-tagged CSV"),
        (b"", "not a readable HXL-tagged CSV"),
        (b"a\n#loc+name\nA\n", "no column for the camp: tag one with #loc+code"),
        (b"a,b\n#loc+code,#loc+code\nx,y\n", "both give the camp"),
        (HEAD.encode(), "no site rows"),
        (b"\xff\xfe\x00garbage", "not a readable HXL-tagged CSV"),
    ],
)
def test_unreadable_lists_are_refused(data: bytes, words: str) -> None:
    assert words in "\n".join(problems(data))


def test_an_import_stores_all_rows_or_none() -> None:
    planner = memory_planner()
    service = planner.service
    service.draft_plan(plan="p", title="T", crisis="c", planning_figure=100)
    service.establish_camp(
        camp="gym-3", plan="p", location="L", site_area_m2=10, shelter_capacity=1
    )
    before = len(stored_records(service))
    taken = read_site_list(csv(GOOD, GOOD.replace("gym-1", "gym-3")), "p", "sites.csv")
    with pytest.raises(SiteImportError, match="row 4: a camp 'gym-3' already exists"):
        import_sites(service, taken)
    with pytest.raises(SiteImportError, match="unknown plan 'nope'"):
        import_sites(service, read_site_list(csv(GOOD), "nope"))
    assert len(stored_records(service)) == before

    service.close_plan(plan="p")  # the store refuses in the middle: still nothing stored
    before = len(stored_records(service))
    with pytest.raises(SiteImportError, match=r"row 3: establish_camp refused: .*closed"):
        import_sites(service, read_site_list(csv(GOOD), "p"))
    assert len(stored_records(service)) == before
    assert not service.exists("camp", "gym-1")


def test_an_import_establishes_sites_and_their_people() -> None:
    planner = memory_planner()
    planner.service.draft_plan(plan="iwate", title="T", crisis="c", planning_figure=100)
    result = import_sites(planner.service, read_site_list(SAMPLE.read_bytes(), "iwate"))
    assert (result.sites, result.people) == (6, 3_070)
    planner.catch_up()
    gym = view_of(planner, "camp", "miyako-gym")
    assert (gym["population"], gym["adm2"], gym["kind"]) == (1_200, "03202", "evacuation_centre")
    area = planner.queries.area("adm1", "03")
    assert area is not None and area["population"] == 3_070


def test_a_list_written_as_a_scenario_replays() -> None:
    sites = read_site_list(SAMPLE.read_bytes(), "iwate", "sample-sites.csv")
    text = scenario_yaml(sites, start="2011-03-13T00:00:00Z", slug="sample")
    text += "checks:\n  - {at: +0d, adm2: '03202', expect: {population: 1200}}\n"
    report = replay_scenario(parse_scenario(text, "sample.yaml"), "memory:")
    assert report.ok, report.as_dict()["checks"]
