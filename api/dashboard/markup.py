"""Escaped-by-default HTML building: `h(template, *values)` escapes every value it inserts.

`Html` marks a string as trusted markup; anything else inserted through `h()`, `esc()` or
`join()` is escaped (`&`, `<`, `>`, `"`, `'`). Templates are literals in this package's code,
never data.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any


class Html(str):
    """A string of trusted markup (inserted without escaping)."""

    __slots__ = ()


def esc(value: Any) -> Html:
    """Markup for a value: trusted markup as is, anything else escaped as text."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def h(template: str, *args: Any, **kwargs: Any) -> Html:
    """`template.format()` with every argument escaped (unless it is already Html)."""
    return Html(template.format(*(esc(a) for a in args), **{k: esc(v) for k, v in kwargs.items()}))


def join(parts: Iterable[Any], separator: str = "") -> Html:
    """Concatenate markup (escaping any plain string among the parts)."""
    return Html(separator.join(esc(part) for part in parts))
