"""`/docs` and `/redoc` work offline: every script, stylesheet and icon comes from this server."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_load_nothing_from_the_internet(empty_client: TestClient, page: str) -> None:
    response = empty_client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "/openapi.json" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), html
    assert "fonts.googleapis" not in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        fetched = empty_client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 1000, asset


def test_only_the_packaged_assets_are_served(empty_client: TestClient) -> None:
    assert empty_client.get("/docs/assets/../core.py").status_code == 404
    assert empty_client.get("/docs/assets/core.py").status_code == 404
    assert empty_client.get("/docs/assets/%2e%2e%2fcore.py").status_code == 404
