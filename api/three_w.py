"""The 3W table as CSV with HXL hashtags: one writer for the API and the dashboard.

Cells written from text a partner typed (names, locations) are neutralised against formula
injection (OWASP "CSV injection"): a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage
return gets a leading `'`, so that a spreadsheet shows it as text. Numbers are written as numbers
(a negative longitude stays a number).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Final

from projections.queries import THREE_W_COLUMNS

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A CSV cell safe to open in a spreadsheet: text that could start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def three_w_csv(rows: Iterable[Mapping[str, object]]) -> bytes:
    """Header row, HXL hashtag row, then one row per sector lead (UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column for column, _ in THREE_W_COLUMNS])
    writer.writerow([tag for _, tag in THREE_W_COLUMNS])
    for row in rows:
        writer.writerow([neutralise(row.get(column)) for column, _ in THREE_W_COLUMNS])
    return out.getvalue().encode("utf-8")
