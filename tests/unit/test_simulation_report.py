"""The simulation HTML report: rendered from its Jinja2 template, every text escaped."""

from __future__ import annotations

import json
import textwrap
from html.parser import HTMLParser

from planner.scenario import parse_scenario
from planner.simulate_report import render_html
from planner.simulation import simulate_scenario, validate_simulate
from tests.unit.test_simulation import SURGE_PLAN

HOSTILE = "<script>alert('x')</script> & \"quotes\""


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_texts_are_escaped_and_the_page_is_self_contained() -> None:
    text = SURGE_PLAN.replace(
        "title: A camp that is ready iff arrivals fit its shelter capacity",
        f"title: {json.dumps(HOSTILE)}",
    ) + textwrap.dedent(f"""\
        simulate:
          shocks:
            arrival_surge: {{factor: [1.0, 2.0]}}
          require:
            - {{camp: c1, after: +2d, status: ready, name: {json.dumps(HOSTILE)}}}
        """)
    scenario = parse_scenario(text, "hostile<b>.yaml")
    assert scenario.title == HOSTILE
    report = simulate_scenario(scenario, runs=8, seed=1, spec=validate_simulate(scenario, text))
    page = render_html(report, {1: "x<i>.yaml"})
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "b" not in parser.tags and "i" in parser.tags
    assert parser.tags.count("i") == 5  # the legend's colour swatches only
    shown = "".join(parser.text)
    assert f"Stress test: {HOSTILE}" in shown
    assert f"[{HOSTILE}]" in shown  # the requirement's name
    assert "hostile<b>.yaml" in shown and "planner replay x<i>.yaml" in shown
    assert "<link" not in page and "src=" not in page and page.count("<svg") >= 4
