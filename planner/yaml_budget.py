"""What a scenario file may cost to build: a node budget proportional to its size, and a depth.

A YAML alias repeats the value its anchor names without repeating its text, so a few hundred
bytes of nested aliases can stand for billions of values ("billion laughs"). Building a file
spends one unit per scalar and container, and an alias spends the size of the value it repeats
(measured once per anchor), so a file is refused as soon as it would expand beyond
`NODES_PER_BYTE` values per byte of text (plus `BASE_NODES`), before anything is copied.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

NODES_PER_BYTE: Final = 2
BASE_NODES: Final = 10_000
MAX_DEPTH: Final = 64


class NodeBudget:
    """Values a file may still build; refuses (yaml.MarkedYAMLError) beyond its limit."""

    def __init__(self, text_length: int) -> None:
        self.limit = BASE_NODES + NODES_PER_BYTE * text_length
        self.spent = 0
        self.depth = 0
        self._sizes: dict[int, int] = {}  # id of a container -> values it expands to
        self._keep: list[Any] = []  # the measured containers (their ids stay theirs)

    def spend(self, nodes: int, mark: Any) -> None:
        """Count `nodes` more values; refuse when the file would pass its limit."""
        self.spent += nodes
        if self.spent > self.limit:
            raise yaml.MarkedYAMLError(
                None,
                None,
                f"the file expands to more than {self.limit:,} values (aliases count what they "
                f"repeat; at most {NODES_PER_BYTE} values per byte of the file)",
                mark,
            )

    def enter(self, mark: Any) -> None:
        """Open a container; refuse nesting deeper than MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                None, None, f"the file nests more than {MAX_DEPTH} levels deep", mark
            )

    def leave(self) -> None:
        """Close a container."""
        self.depth -= 1

    def measure(self, value: object) -> int:
        """How many values `value` expands to (shared parts counted each time they appear)."""
        if not isinstance(value, dict | list):
            return 1
        known = self._sizes.get(id(value))
        if known is not None:
            return known
        self._sizes[id(value)] = self.limit + 1  # a value containing itself expands for ever
        items = list(value.keys()) + list(value.values()) if isinstance(value, dict) else value
        size = 1 + sum(self.measure(item) for item in items)
        self._sizes[id(value)] = size
        self._keep.append(value)
        return size
