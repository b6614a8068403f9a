"""Scenario steps written as YAML flow mappings, in time order; whole-number apportioning."""

from __future__ import annotations

import json
import math
import re
from typing import Any


class Writer:
    """Steps as YAML flow mappings, one per line, put in time order when written (steps at the
    same time keep the order they were made in)."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, int, str]] = []
        self.steps = 0

    def comment(self, day: float, text: str) -> None:
        self.entries.append((day, len(self.entries), f"  # {text}"))

    def step(self, day: float, do: str, **args: Any) -> None:
        line = f"  - {{at: {offset(day)}, do: {do}, with: {flow(args)}}}"
        self.entries.append((day, len(self.entries), line))
        self.steps += 1

    @property
    def lines(self) -> list[str]:
        return [line for _, _, line in sorted(self.entries)]


def offset(day: float) -> str:
    """`+<days>d<hours>h`: a scenario time offset from its start."""
    hours = round(day * 24)
    d, h = divmod(hours, 24)
    return f"+{d}d{h}h" if h else f"+{d}d"


_PLAIN = re.compile(r"[a-z][a-z0-9_-]*")


def scalar(value: Any) -> str:
    """One value in YAML flow style (plain when unambiguous, else JSON-quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return flow(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text not in ("true", "false", "null", "yes", "no", "on", "off"):
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(args: dict[str, Any]) -> str:
    """A mapping in YAML flow style."""
    return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in args.items()) + "}"


def apportion(total: int, weights: list[float]) -> list[int]:
    """Whole numbers summing to `total`, proportional to `weights` (largest remainder)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
