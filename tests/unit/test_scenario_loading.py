"""Loading and validating scenario files (planner.scenario) without any store."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.scenario import (
    Check,
    Scenario,
    ScenarioError,
    Standards,
    Step,
    load_scenario,
    parse_offset_or_time,
    parse_scenario,
)

PATH = "scenarios/bad.yaml"
START = datetime(1999, 3, 24, tzinfo=UTC)

HEADER = """\
scenario: kosovo-1999
title: Kosovo refugee influx
start: 1999-03-24T00:00:00Z
"""

BASE_STEPS = """\
steps:
  - at: +0d
    do: register_partner
    with: {partner: unhcr, name: UNHCR, kind: un_agency}
  - at: +0d
    do: draft_plan
    with: {plan: kukes, title: Kukes response, crisis: Kosovo, planning_figure: 10000}
  - at: +1d
    do: establish_camp
    with:
      camp: kukes-1
      plan: kukes
      location: Kukes
      site_area_m2: 450000
      shelter_capacity: 10000
"""


def scenario_text(extra_steps: str = "", tail: str = "", header: str = HEADER) -> str:
    """A scenario: header, the three base steps, extra steps (step 4 on) and a tail."""
    steps = textwrap.indent(textwrap.dedent(extra_steps), "  ")
    return header + BASE_STEPS + steps + textwrap.dedent(tail)


def marked_line(text: str) -> int:
    """The 1-based line carrying the '# <-' marker."""
    for number, line in enumerate(text.splitlines(), start=1):
        if "# <-" in line:
            return number
    raise AssertionError("no '# <-' marker in the test text")


def parse_error(text: str) -> ScenarioError:
    """Parse text that must be rejected; return the error."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, PATH)
    return info.value


def assert_error(text: str, where: str | None, *words: str) -> ScenarioError:
    """The text is rejected naming the file, `where` (step/check N), the marked line and words."""
    error = parse_error(text)
    message = str(error)
    assert message.startswith(PATH), message
    if where is not None:
        assert f"{where} (line {marked_line(text)})" in message, message
    elif "# <-" in text:
        assert f"(line {marked_line(text)})" in message, message
    for word in words:
        assert word in message, message
    return error


# --------------------------------------------------------------------------------------------
# A valid scenario


VALID = scenario_text(
    """\
      - at: +2d12h
        do: register_arrivals
        with: {camp: kukes-1, people: 500, under5: 80}
      - at: 1999-03-27T01:00:00+01:00
        do: open_stockpile
        with: {stockpile: durres, partner: unhcr, location: Durres}
      - at: +3d90m
        do: receive_supplies
        with: {stockpile: durres, item: water, quantity: 30000, source: unhcr}
      - at: +3d2h
        do: activate_plan
        with: {plan: kukes}
    """,
    """\
    checks:
      - at: +3d
        camp: kukes-1
        expect: {population: 500, days_of_cover: {water: null}}
      - at: +1d
        plan: kukes
        expect: {status: drafted}
    simulate:
      seed: 7
      days: [1, 2]
    """,
)


def test_valid_scenario_parses_with_times_defaults_and_normalised_args() -> None:
    scenario = parse_scenario(VALID, "scenarios/kosovo.yaml")
    assert isinstance(scenario, Scenario)
    assert scenario.path == "scenarios/kosovo.yaml"
    assert scenario.slug == "kosovo-1999"
    assert scenario.title == "Kosovo refugee influx"
    assert scenario.description == ""
    assert scenario.sources == ()
    assert scenario.start == START
    assert scenario.standards == Standards("sphere-emergency", {})
    assert [s.number for s in scenario.steps] == [1, 2, 3, 4, 5, 6, 7]
    assert [s.line for s in scenario.steps] == [5, 8, 11, 19, 22, 25, 28]
    assert [s.at for s in scenario.steps] == [
        START,
        START,
        START + timedelta(days=1),
        START + timedelta(days=2, hours=12),
        START + timedelta(days=3),
        START + timedelta(days=3, minutes=90),
        START + timedelta(days=3, hours=2),
    ]
    assert all(s.at.utcoffset() == timedelta(0) for s in scenario.steps)
    assert scenario.steps[3] == Step(
        4,
        19,
        START + timedelta(days=2, hours=12),
        "register_arrivals",
        {"camp": "kukes-1", "people": 500, "under5": 80},
    )
    assert scenario.steps[5].args == {
        "stockpile": "durres",
        "item": "water",
        "quantity": 30000,
        "source": "unhcr",
    }
    assert scenario.checks == (
        Check(
            1,
            32,
            START + timedelta(days=3),
            "camp",
            "kukes-1",
            {"population": 500, "days_of_cover": {"water": None}},
        ),
        Check(2, 35, START + timedelta(days=1), "plan", "kukes", {"status": "drafted"}),
    )
    assert scenario.simulate == {"seed": 7, "days": [1, 2]}


def test_parsed_values_are_plain_dicts_and_lists() -> None:
    scenario = parse_scenario(VALID)
    assert type(scenario.checks[0].expect) is dict
    assert type(scenario.checks[0].expect["days_of_cover"]) is dict
    assert type(scenario.simulate) is dict
    assert type(scenario.simulate["days"]) is list
    assert type(scenario.steps[0].args) is dict


def test_optional_top_level_keys() -> None:
    header = HEADER + textwrap.dedent(
        """\
        description: |
          Two camps, one stockpile.
        sources: [UNHCR 1999 report, "Sphere handbook 2018"]
        standards:
          profile: sphere-post-emergency
          overrides: {water: 20, latrine: 25.5}
        """
    )
    scenario = parse_scenario(scenario_text(header=header))
    assert scenario.description == "Two camps, one stockpile.\n"
    assert scenario.sources == ("UNHCR 1999 report", "Sphere handbook 2018")
    assert scenario.standards == Standards(
        "sphere-post-emergency", {"water": 20.0, "latrine": 25.5}
    )
    assert scenario.checks == ()
    assert scenario.simulate is None


def test_standards_as_a_profile_name_and_mapping_without_profile() -> None:
    by_name = parse_scenario(scenario_text(header=HEADER + "standards: sphere-post-emergency\n"))
    assert by_name.standards == Standards("sphere-post-emergency", {})
    only_overrides = parse_scenario(
        scenario_text(header=HEADER + "standards: {overrides: {water: 18}}\n")
    )
    assert only_overrides.standards == Standards("sphere-emergency", {"water": 18.0})


def test_start_with_offset_is_normalised_to_utc() -> None:
    header = HEADER.replace("1999-03-24T00:00:00Z", "'1999-03-24T02:00:00+02:00'")
    scenario = parse_scenario(scenario_text(header=header))
    assert scenario.start == START
    assert scenario.start.tzinfo == UTC


@pytest.mark.parametrize("with_", ["", "    with:\n"])
def test_with_omitted_or_empty_for_a_command_with_required_args(with_: str) -> None:
    error = assert_error(
        scenario_text("  - at: +2d  # <-\n    do: close_camp\n" + with_),
        "step 4",
        "close_camp needs the argument 'camp'",
    )
    assert (error.step, error.check) == (4, None)


def test_checks_may_be_out_of_time_order() -> None:
    scenario = parse_scenario(
        scenario_text(
            tail="""\
            checks:
              - {at: +5d, camp: kukes-1, expect: {status: not_ready}}
              - {at: +1d, camp: kukes-1, expect: {status: not_ready}}
            """
        )
    )
    assert [c.at for c in scenario.checks] == [START + timedelta(days=5), START + timedelta(days=1)]


def test_steps_at_the_same_time_keep_file_order() -> None:
    scenario = parse_scenario(VALID)
    assert scenario.steps[0].at == scenario.steps[1].at
    assert [s.command for s in scenario.steps[:2]] == ["register_partner", "draft_plan"]


# --------------------------------------------------------------------------------------------
# Errors at the top level


def test_error_str_formats() -> None:
    assert str(ScenarioError("f.yaml", "boom")) == "f.yaml: boom"
    assert str(ScenarioError("f.yaml", "boom", line=3)) == "f.yaml (line 3): boom"
    assert str(ScenarioError("f.yaml", "boom", step=2, line=9)) == "f.yaml: step 2 (line 9): boom"
    assert str(ScenarioError("f.yaml", "boom", check=1, line=4)) == "f.yaml: check 1 (line 4): boom"
    error = ScenarioError("f.yaml", "boom", step=2, line=9)
    assert (error.path, error.message, error.step, error.line, error.check) == (
        "f.yaml",
        "boom",
        2,
        9,
        None,
    )


def test_yaml_syntax_error_names_the_line() -> None:
    text = HEADER + "steps:\n  - at: +0d\n    do: [register_partner\n  - at: +1d  # <-\n"
    error = assert_error(text, None, "not valid YAML")
    assert error.line is not None


def test_top_level_not_a_mapping() -> None:
    assert_error("- scenario: x  # <-\n", None, "top level must be a mapping")


def test_empty_file() -> None:
    assert_error("# nothing here\n", None, "empty")


def test_unknown_top_level_key_suggests() -> None:
    assert_error(
        scenario_text(tail="chekcs: []  # <-\n"),
        None,
        "unknown top-level key 'chekcs'",
        "did you mean 'checks'",
    )


@pytest.mark.parametrize("key", ["scenario", "title", "start", "steps"])
def test_missing_required_key(key: str) -> None:
    text = scenario_text()
    if key == "steps":
        text = HEADER
    else:
        text = "\n".join(line for line in text.splitlines() if not line.startswith(f"{key}:"))
    assert_error(text, None, f"missing required key '{key}'")


def test_bad_scenario_slug() -> None:
    header = HEADER.replace("scenario: kosovo-1999", "scenario: Kosovo 1999  # <-")
    assert_error(scenario_text(header=header), None, "'scenario' must be a slug", "'Kosovo 1999'")


@pytest.mark.parametrize("title", ["1999", "[a, b]", "''", '"two\\nlines"'])
def test_title_must_be_a_one_line_string(title: str) -> None:
    header = HEADER.replace("title: Kosovo refugee influx", f"title: {title}  # <-")
    assert_error(scenario_text(header=header), None, "'title' must be a non-empty one-line string")


def test_sources_not_a_list() -> None:
    header = HEADER + "sources: UNHCR  # <-\n"
    assert_error(scenario_text(header=header), None, "'sources' must be a list of strings")


def test_sources_item_not_a_string() -> None:
    header = HEADER + "sources:\n  - UNHCR\n  - 1999  # <-\n"
    assert_error(scenario_text(header=header), None, "item 2 is 1999")


@pytest.mark.parametrize(
    ("start", "words"),
    [
        ("1999-03-24T00:00:00", "no UTC offset"),
        ("'1999-03-24T00:00:00'", "no UTC offset"),
        ("1999-03-24", "date without a time"),
        ("+0d", "'start' must be an ISO 8601 timestamp"),
        ("yesterday", "bad time 'yesterday'"),
        ("19990324", "expected an offset"),
    ],
)
def test_bad_start(start: str, words: str) -> None:
    header = HEADER.replace("start: 1999-03-24T00:00:00Z", f"start: {start}  # <-")
    assert_error(scenario_text(header=header), None, "'start'", words)


@pytest.mark.parametrize(
    ("standards", "words"),
    [
        ("sphere-urgent", "unknown standards profile 'sphere-urgent'"),
        ("{profile: nope}", "unknown standards profile 'nope'"),
        ("{profile: sphere-emergency, extra: 1}", "unknown key 'extra' in 'standards'"),
        ("{overrides: {wter: 20}}", "unknown standards override 'wter'"),
        ("{overrides: {water: 0}}", "'water' must be a number greater than 0"),
        ("{overrides: {latrine: -5}}", "'latrine' must be a number greater than 0"),
        ("{overrides: {water: lots}}", "'water' must be a number greater than 0; got 'lots'"),
        ("{overrides: {water: true}}", "must be a number greater than 0"),
        ("{overrides: {water: .nan}}", "must be a number greater than 0"),
        ("{overrides: [water]}", "'standards.overrides' must be a mapping"),
        ("42", "'standards' must be a profile name or a mapping"),
    ],
)
def test_bad_standards(standards: str, words: str) -> None:
    header = HEADER + f"standards: {standards}  # <-\n"
    assert_error(scenario_text(header=header), None, words)


def test_unknown_override_suggests_the_closest_key() -> None:
    header = HEADER + "standards:\n  overrides:\n    water: 20\n    latrin: 20  # <-\n"
    assert_error(scenario_text(header=header), None, "did you mean 'latrine'")


def test_duplicate_top_level_key() -> None:
    header = HEADER + "title: Again  # <-\n"
    assert_error(
        scenario_text(header=header), None, "duplicate key 'title'", "first given on line 2"
    )


# --------------------------------------------------------------------------------------------
# Errors in steps


@pytest.mark.parametrize("steps", ["steps: []  # <-\n", "steps: register_partner  # <-\n"])
def test_steps_must_be_a_non_empty_list(steps: str) -> None:
    assert_error(HEADER + steps, None, "'steps' must be a non-empty list")


def test_step_not_a_mapping() -> None:
    assert_error(
        scenario_text("  - register_arrivals  # <-\n"), "step 4", "a step must be a mapping"
    )


def test_unknown_key_in_step() -> None:
    text = scenario_text(
        """\
          - at: +2d  # <-
            do: register_arrivals
            wiht: {camp: kukes-1, people: 5}
        """
    )
    assert_error(text, "step 4", "unknown key 'wiht' in the step", "did you mean 'with'")


@pytest.mark.parametrize(("missing", "present"), [("at", "do: close_camp"), ("do", "at: +2d")])
def test_step_missing_at_or_do(missing: str, present: str) -> None:
    text = scenario_text(f"  - {present}  # <-\n    with: {{camp: kukes-1}}\n")
    assert_error(text, "step 4", f"the step has no '{missing}'")


def test_unknown_command_suggests_and_lists_commands() -> None:
    text = scenario_text(
        """\
          - at: +2d  # <-
            do: recieve_supplies
            with: {stockpile: durres, item: water, quantity: 5}
        """
    )
    assert_error(
        text,
        "step 4",
        "unknown command 'recieve_supplies'",
        "did you mean 'receive_supplies'",
        "register_partner",
        "close_camp",
    )


def test_do_not_a_string() -> None:
    text = scenario_text("  - {at: +2d, do: [close_camp], with: {camp: kukes-1}}  # <-\n")
    assert_error(text, "step 4", "'do' must be a command name")


def test_with_not_a_mapping() -> None:
    text = scenario_text("  - {at: +2d, do: close_camp, with: [kukes-1]}  # <-\n")
    assert_error(text, "step 4", "'with' must be a mapping of arguments", "camp")


def test_missing_argument_message_matches_the_contract_example() -> None:
    text = scenario_text(
        """\
          - at: +2d
            do: open_stockpile
            with: {stockpile: durres, partner: unhcr, location: Durres}
          - at: +2d  # <-
            do: receive_supplies
            with: {stockpile: durres, item: water}
        """
    )
    error = parse_error(text)
    assert str(error) == (
        f"{PATH}: step 5 (line {marked_line(text)}): receive_supplies needs the argument 'quantity'"
    )
    assert (error.step, error.line, error.message) == (
        5,
        marked_line(text),
        "receive_supplies needs the argument 'quantity'",
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ("{camp: kukes-1, people: 5, babies: 2}", "register_arrivals has no argument 'babies'"),
        ("{camp: kukes-1, people: -5}", "'people' must be a whole number from 1 to"),
        ("{camp: kukes-1, people: '5'}", "'people' must be a whole number from 1 to"),
        ("{camp: kukes-1, people: 5, under5: 9}", "'under5' (9) cannot exceed 'people' (5)"),
        ("{camp: 'kukes 1', people: 5}", "'camp' must be a camp slug"),
    ],
)
def test_argument_errors_are_wrapped(args: str, words: str) -> None:
    text = scenario_text(f"  - at: +2d  # <-\n    do: register_arrivals\n    with: {args}\n")
    assert_error(text, "step 4", words)


def test_time_going_backwards() -> None:
    text = scenario_text(
        """\
          - at: +2d
            do: register_arrivals
            with: {camp: kukes-1, people: 5}
          - at: +1d23h  # <-
            do: register_arrivals
            with: {camp: kukes-1, people: 5}
        """
    )
    assert_error(
        text,
        "step 5",
        "time goes backwards",
        "1999-03-25T23:00:00Z is earlier than step 4 at 1999-03-26T00:00:00Z",
    )


def test_absolute_time_going_backwards() -> None:
    text = scenario_text(
        "  - {at: 1999-03-24T12:00:00Z, do: close_camp, with: {camp: kukes-1}}  # <-\n"
    )
    assert_error(text, "step 4", "time goes backwards", "earlier than step 3")


def test_first_step_before_start() -> None:
    text = HEADER + "steps:\n  - at: 1999-03-23T00:00:00Z  # <-\n    do: activate_plan\n"
    assert_error(text, "step 1", "time goes backwards", "the scenario's start")


@pytest.mark.parametrize(
    ("at", "words"),
    [
        ("2d", "bad time '2d'"),
        ("'+2x'", "bad offset '+2x'"),
        ("'+'", "bad offset '+'"),
        ("'+1h2d'", "bad offset '+1h2d'"),
        ("3", "expected an offset"),
        ("1999-03-26T00:00:00", "no UTC offset"),
        ("1999-03-26", "date without a time"),
        ("null", "expected an offset"),
    ],
)
def test_bad_at(at: str, words: str) -> None:
    text = scenario_text(f"  - at: {at}  # <-\n    do: close_camp\n    with: {{camp: kukes-1}}\n")
    assert_error(text, "step 4", "bad 'at'", words)


def test_creating_a_slug_twice() -> None:
    text = scenario_text(
        """\
          - at: +2d  # <-
            do: establish_camp
            with: {camp: kukes-1, plan: kukes, location: X, site_area_m2: 9, shelter_capacity: 1}
        """
    )
    assert_error(text, "step 4", "camp 'kukes-1' already exists", "step 3 created it")


def test_same_slug_for_different_kinds_is_fine() -> None:
    text = scenario_text(
        """\
          - at: +2d
            do: open_stockpile
            with: {stockpile: kukes, partner: unhcr, location: Kukes}
        """
    )
    assert parse_scenario(text).steps[-1].args["stockpile"] == "kukes"


def test_unknown_slug() -> None:
    text = scenario_text("  - {at: +2d, do: close_camp, with: {camp: kukes-2}}  # <-\n")
    assert_error(
        text, "step 4", "unknown camp 'kukes-2'", "did you mean 'kukes-1'", "no earlier step"
    )


def test_slug_created_by_a_later_step_is_unknown() -> None:
    text = scenario_text(
        """\
          - at: +2d  # <-
            do: receive_supplies
            with: {stockpile: durres, item: water, quantity: 5}
          - at: +2d
            do: open_stockpile
            with: {stockpile: durres, partner: unhcr, location: Durres}
        """
    )
    assert_error(text, "step 4", "unknown stockpile 'durres'")


def test_unknown_partner_as_supplies_source() -> None:
    text = scenario_text(
        """\
          - at: +2d
            do: open_stockpile
            with: {stockpile: durres, partner: unhcr, location: Durres}
          - at: +2d  # <-
            do: receive_supplies
            with: {stockpile: durres, item: water, quantity: 5, source: wfp}
        """
    )
    assert_error(text, "step 5", "unknown partner 'wfp'")


def test_duplicate_key_in_a_step() -> None:
    text = scenario_text(
        """\
          - at: +2d  # <-
            do: close_camp
            with: {camp: kukes-1}
            do: activate_plan
        """
    )
    assert_error(text, "step 4", "duplicate key 'do' on line", f"line {marked_line(text) + 1}")


def test_duplicate_argument_in_a_flow_mapping() -> None:
    text = scenario_text("  - {at: +2d, do: close_camp, with: {camp: kukes-1, camp: x}}  # <-\n")
    assert_error(text, "step 4", "duplicate key 'camp'")


def test_anchors_and_aliases_in_steps_give_separate_copies() -> None:
    text = scenario_text(
        """\
          - at: +2d
            do: register_partner
            with: &oxfam {partner: oxfam, name: Oxfam, kind: ngo, sectors: &wash [WSH]}
          - at: &later +2d
            do: register_partner
            with: {partner: care, name: CARE, kind: ngo, sectors: *wash}
          - {at: *later, do: withdraw_partner, with: {partner: oxfam, reason: *later}}
        """
    )
    scenario = parse_scenario(text, PATH)
    oxfam, care, withdraw = scenario.steps[3:]
    assert oxfam.args["sectors"] == care.args["sectors"] == ["WSH"]
    assert oxfam.args["sectors"] is not care.args["sectors"]
    assert withdraw.at == care.at == START + timedelta(days=2)
    assert withdraw.args == {"partner": "oxfam", "reason": "+2d"}
    again = scenario_text("  - {at: +2d, do: register_partner, with: *oxfam}  # <-\n")
    assert_error(again, None, "found undefined alias 'oxfam'")


def test_many_distinct_scalars_load_like_few() -> None:
    arrivals = "".join(
        f"  - {{at: '+1d{n}m', do: register_arrivals, with: {{camp: kukes-1, people: {n + 1}}}}}\n"
        for n in range(6_000)
    )
    scenario = parse_scenario(scenario_text(arrivals), PATH)
    steps = scenario.steps[3:]
    assert [step.args["people"] for step in steps] == list(range(1, 6_001))
    assert [step.at for step in steps] == [
        START + timedelta(days=1, minutes=n) for n in range(6_000)
    ]


# --------------------------------------------------------------------------------------------
# Errors in checks


def check_error(check: str, *words: str, where: str = "check 2") -> ScenarioError:
    """A scenario whose second check is `check` (a YAML list entry) is rejected."""
    tail = "checks:\n  - {at: +1d, camp: kukes-1, expect: {population: 0}}\n" + check
    return assert_error(scenario_text(tail=tail), where, *words)


def test_checks_not_a_list() -> None:
    assert_error(
        scenario_text(tail="checks: {camp: kukes-1}  # <-\n"), None, "'checks' must be a list"
    )


def test_check_not_a_mapping() -> None:
    error = check_error("  - kukes-1  # <-\n", "a check must be a mapping")
    assert (error.check, error.step) == (2, None)


def test_unknown_key_in_check() -> None:
    check_error(
        "  - {at: +1d, camp: kukes-1, expext: {population: 0}}  # <-\n",
        "unknown key 'expext' in the check",
        "did you mean 'expect'",
    )


def test_check_missing_at() -> None:
    check_error("  - {camp: kukes-1, expect: {population: 0}}  # <-\n", "the check has no 'at'")


def test_check_bad_at() -> None:
    check_error("  - {at: soon, camp: kukes-1, expect: {a: 1}}  # <-\n", "bad 'at'", "'soon'")


def test_check_naming_no_entity() -> None:
    check_error(
        "  - {at: +1d, expect: {population: 0}}  # <-\n", "exactly one of camp, plan, stockpile"
    )


def test_check_naming_two_entities() -> None:
    check_error(
        "  - {at: +1d, camp: kukes-1, plan: kukes, expect: {status: drafted}}  # <-\n",
        "names camp and plan",
    )


def test_check_on_a_partner_is_an_unknown_key() -> None:
    check_error("  - {at: +1d, partner: unhcr, expect: {a: 1}}  # <-\n", "unknown key 'partner'")


@pytest.mark.parametrize("expect", ["", ", expect: {}", ", expect: [population]", ", expect: 5"])
def test_check_expect_missing_or_not_a_non_empty_mapping(expect: str) -> None:
    error = parse_error(
        scenario_text(tail=f"checks:\n  - {{at: +1d, camp: kukes-1{expect}}}  # <-\n")
    )
    assert "check 1 (line" in str(error)
    assert "'expect'" in str(error)


def test_check_on_unknown_slug() -> None:
    check_error(
        "  - {at: +1d, camp: kukes-9, expect: {population: 0}}  # <-\n",
        "unknown camp 'kukes-9'",
    )


def test_check_before_the_entity_exists() -> None:
    check_error(
        "  - {at: +12h, camp: kukes-1, expect: {population: 0}}  # <-\n",
        "camp 'kukes-1' does not exist yet at 1999-03-24T12:00:00Z",
        "step 3 creates it at 1999-03-25T00:00:00Z",
    )


def test_check_slug_not_a_string() -> None:
    check_error("  - {at: +1d, camp: [kukes-1], expect: {a: 1}}  # <-\n", "must be a camp slug")


def test_duplicate_key_in_a_check() -> None:
    check_error(
        "  - at: +1d  # <-\n    camp: kukes-1\n    at: +2d\n    expect: {a: 1}\n",
        "duplicate key 'at'",
    )


def test_simulate_must_be_a_mapping() -> None:
    assert_error(
        scenario_text(tail="simulate: [1, 2]  # <-\n"), None, "'simulate' must be a mapping"
    )


# --------------------------------------------------------------------------------------------
# Files


def test_load_scenario_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "kosovo.yaml"
    path.write_text(VALID, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.path == str(path)
    assert scenario == parse_scenario(VALID, str(path))


def test_load_scenario_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert load_scenario(str(path)).slug == "kosovo-1999"


def test_load_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: cannot read the file")


def test_load_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(scenario_text(tail="description: Kuk\xebs\n").encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = scenario_text().count("\n") + 1
    assert str(info.value) == f"{path} (line {lines}): not UTF-8 text: byte 0xeb cannot be decoded"


def test_load_invalid_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("scenario: x\ntitle: [unclosed\nstart: 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path} (line ")
    assert "not valid YAML" in str(info.value)


def test_unsafe_yaml_tags_are_refused() -> None:
    error = parse_error("scenario: !!python/object:os.system x  # <-\n")
    assert "not valid YAML" in str(error)
    assert error.line == 1


# --------------------------------------------------------------------------------------------
# parse_offset_or_time


@pytest.mark.parametrize(
    ("value", "delta"),
    [
        ("+0d", timedelta(0)),
        ("+3d", timedelta(days=3)),
        ("+36h", timedelta(hours=36)),
        ("+2d12h", timedelta(days=2, hours=12)),
        ("+90m", timedelta(minutes=90)),
        ("+45s", timedelta(seconds=45)),
        ("+1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" +1h ", timedelta(hours=1)),
        ("+007d", timedelta(days=7)),
    ],
)
def test_offsets(value: str, delta: timedelta) -> None:
    assert parse_offset_or_time(value, START) == START + delta


@pytest.mark.parametrize(
    "value",
    [
        "1999-03-25T06:00:00Z",
        "1999-03-25T08:00:00+02:00",
        "1999-03-25 06:00:00+00:00",
        datetime(1999, 3, 25, 6, tzinfo=UTC),
        datetime(1999, 3, 25, 1, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_absolute_times_are_normalised_to_utc(value: object) -> None:
    moment = parse_offset_or_time(value, START)
    assert moment == datetime(1999, 3, 25, 6, tzinfo=UTC)
    assert moment.tzinfo == UTC


def test_offsets_from_a_start_with_an_offset_are_utc() -> None:
    start = datetime(1999, 3, 24, 2, tzinfo=timezone(timedelta(hours=2)))
    moment = parse_offset_or_time("+1d", start)
    assert moment == datetime(1999, 3, 25, tzinfo=UTC)
    assert moment.tzinfo == UTC


@pytest.mark.parametrize(
    "value",
    [
        "+",
        "+d",
        "+1",
        "+1.5d",
        "+1D",
        "+1h1d",
        "-1d",
        "+1d 2h",
        "+1w",
        "3d",
        "",
        "soon",
        "1999-03-25T06:00:00",
        datetime(1999, 3, 25, 6),
        date(1999, 3, 25),
        3,
        1.5,
        None,
        True,
        ["+1d"],
        "+99999999999d",
    ],
)
def test_bad_times_raise_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        parse_offset_or_time(value, START)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_offset_or_time("+1d", datetime(1999, 3, 24))


@given(days=st.integers(0, 5000), hours=st.integers(0, 1000))
def test_day_hour_offsets_add_to_start(days: int, hours: int) -> None:
    assert parse_offset_or_time(f"+{days}d{hours}h", START) == START + timedelta(
        days=days, hours=hours
    )


@given(
    days=st.integers(0, 400),
    hours=st.integers(0, 100),
    minutes=st.integers(0, 10_000),
    seconds=st.integers(0, 100_000),
)
def test_full_offsets_add_to_start(days: int, hours: int, minutes: int, seconds: int) -> None:
    delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    text = f"+{days}d{hours}h{minutes}m{seconds}s"
    assert parse_offset_or_time(text, START) == START + delta


@given(
    moment=st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.timezones(),
    )
)
def test_iso_strings_round_trip(moment: datetime) -> None:
    # The instant the string names, in UTC: a local time inside a daylight-saving gap (or
    # fold) compares unequal to every other zone's datetime (Python's rule), so the test
    # compares instants, not the zoned value itself.
    parsed = parse_offset_or_time(moment.isoformat(), START)
    assert parsed.utcoffset() == timedelta(0)
    assert parsed == moment.astimezone(UTC)


@pytest.mark.parametrize("fold", [0, 1])
def test_a_local_time_in_a_daylight_saving_gap_or_fold_keeps_its_instant(fold: int) -> None:
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    for local in (datetime(2021, 3, 14, 2, 30), datetime(2021, 11, 7, 1, 30)):  # gap, fold
        moment = local.replace(tzinfo=new_york, fold=fold)
        assert parse_offset_or_time(moment.isoformat(), START) == moment.astimezone(UTC)
