"""Files the package ships (stylesheets, scripts, icons), served by name from one folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import Response


def packaged_file(folder: Path, name: str, types: Mapping[str, str], max_age: int) -> Response:
    """The file `name` directly in `folder` with a known suffix, or 404 (never anything else)."""
    path = folder / name
    kind = types.get(path.suffix)
    if kind is None or path.parent != folder or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(
        path.read_bytes(),
        media_type=kind,
        headers={
            "Cache-Control": f"public, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
        },
    )
