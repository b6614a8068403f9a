"""Escaped-by-default HTML building for the charts, with Jinja2's own escaper (MarkupSafe).

`Html` is MarkupSafe's `Markup`: trusted markup, inserted as is by `h()`, `join()` and by the
templates (which escape everything else). `h(template, *values)` escapes every value it
inserts (`&`, `<`, `>`, `"`, `'`). Templates are literals in this package's code, never data.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

Html = Markup


def esc(value: object) -> Markup:
    """Markup for a value: trusted markup as is, anything else escaped as text (None: empty)."""
    return Markup("") if value is None else escape(value)


def h(template: str, *args: object, **kwargs: object) -> Markup:
    """`template.format()` with every argument escaped (unless it is already markup)."""
    return Markup(template).format(*args, **kwargs)


def join(parts: Iterable[object], separator: str = "") -> Markup:
    """Concatenate markup (escaping any plain string among the parts)."""
    return Markup(separator).join(esc(part) for part in parts)
