"""`/docs` (Swagger UI) and `/redoc` (ReDoc), working offline.

FastAPI's own pages load their scripts from a CDN; these load them from the assets the
`fastapi-offline` package ships, served here under `/docs/assets/`. Nothing comes from the
internet (ReDoc without Google Fonts).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)

from api.assets import packaged_file

router = APIRouter(include_in_schema=False)

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PATH = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
ASSET_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


@router.get("/docs")
def swagger_ui(request: Request) -> Response:
    """Swagger UI over /openapi.json."""
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} — API",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
    )


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect() -> Response:
    """The page Swagger UI's OAuth2 flow returns to."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> Response:
    """ReDoc over /openapi.json."""
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} — API reference",
        redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        with_google_fonts=False,
    )


@router.get(f"{ASSETS_PATH}/{{name}}")
def asset(name: str) -> Response:
    """A script, stylesheet or icon of the documentation pages (from the package)."""
    return packaged_file(ASSETS, name, ASSET_TYPES, max_age=86400)
