"""The FastAPI application: routers, error mapping, OpenAPI. The planner is wired elsewhere.

`create_app(planner, tokens)` takes an open planner (the `api.ports.Planner` that
planner.wiring.open_planner returns) and the token registry; it opens no database itself (the
idempotency table is created through the views' datastore). Starting and stopping the
projection follower is the caller's business (`planner serve`), except that
`settings.close_planner_on_shutdown` closes the planner when the app shuts down (the app factory
of multi-worker servers uses it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from api.auth import TokenRegistry
from api.commands import RESOURCE_PATHS
from api.context import ApiContext, ApiSettings
from api.deps import reject_unknown_query
from api.errors import PROBLEM_JSON, install_error_handlers
from api.idempotency import IdempotencyStore
from api.ports import Planner
from api.routers import (
    areas,
    camps,
    dashboard,
    dashboard_field,
    dashboard_pipeline,
    dashboard_session,
    docs,
    events,
    health,
    offers,
    partners,
    plans,
    readiness,
    scenarios,
    shipments,
    site_imports,
    stockpiles,
    sync,
)
from api.schemas import Problem
from api.sessions import SessionStore
from projections.store import PostgresViewStore

API_VERSION = "1.0.0"

DESCRIPTION = """
Commands and readiness queries of the response planner.

* **Commands** are `POST`s on their resource; the response names the entity, its new `version`
  (also the `ETag`) and the `position` of the last stored event. Send `If-Match: "<version>"`
  to change an entity only at that version (412 otherwise, nothing stored), and
  `Idempotency-Key` to make a retry safe.
* **Queries** read the readiness views; `?as_of=` travels in time, `?after=<position>` waits
  (at most a few seconds) until the views include a command's events.
* **Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `detail` and the
  offending `field`; domain refusals are 409 with the `rule` that refused.
* **Auth**: `Authorization: Bearer <token>`; roles admin, coordinator, partner, viewer
  (see docs/api.md). `/healthz` and `/readyz` are public.
"""

COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no bearer token, or an unknown one"},
    409: {"model": Problem, "description": "?after= names a position not stored yet"},
    422: {"model": Problem, "description": "invalid path, query, header or body (see `errors`)"},
    503: {"model": Problem, "description": "?after= not reached in time, or no database"},
}

TAGS = [
    {"name": "partners", "description": "the registry of organizations"},
    {"name": "plans", "description": "plans, members, pooled funds; plan readiness"},
    {"name": "stockpiles", "description": "depots and supplies; stock levels"},
    {"name": "camps", "description": "camps, sector leads, residents; camp readiness"},
    {"name": "areas", "description": "administrative areas: camps rolled up by adm1 and adm2"},
    {"name": "shipments", "description": "supplies on the road to camps; overdue shipments"},
    {"name": "offers", "description": "donor offers, accepted for camps; needs by camp and plan"},
    {"name": "readiness", "description": "timeline and 3W across camps and plans"},
    {"name": "events", "description": "the notification log for integrators"},
    {"name": "scenarios", "description": "validate or replay scenario files"},
    {
        "name": "sync",
        "description": "field instances and headquarters: events, commands, conflicts",
    },
    {"name": "health", "description": "probes"},
]


def build_context(
    planner: Planner, tokens: TokenRegistry, settings: ApiSettings | None = None
) -> ApiContext:
    """The collaborators of the request handlers (creates the idempotency table if need be)."""
    settings = settings or ApiSettings()
    idempotency = IdempotencyStore(
        planner.views.datastore,
        postgres=isinstance(planner.views, PostgresViewStore),
        in_events_transaction=planner.views.datastore
        is getattr(planner.service.recorder, "datastore", None),
    )
    idempotency.create_table()
    sessions = SessionStore(
        planner.views.datastore, postgres=isinstance(planner.views, PostgresViewStore)
    )
    sessions.create_table()
    return ApiContext(
        planner=planner,
        tokens=tokens,
        settings=settings,
        idempotency=idempotency,
        sessions=sessions,
    )


def create_app(
    planner: Planner, tokens: TokenRegistry, *, settings: ApiSettings | None = None
) -> FastAPI:
    """The HTTP API over an open planner, authenticating with these tokens."""
    context = build_context(planner, tokens, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        planner.scenarios.warm_up()  # start the scenario workers now, not on a first upload
        yield
        current: ApiContext = app.state.api
        current.close()
        if current.settings.close_planner_on_shutdown:
            current.planner.close()

    app = FastAPI(
        title="response-planner",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served offline by api.routers.docs
        redoc_url=None,
    )
    app.state.api = context
    install_error_handlers(app, scenario_error=planner.scenarios.error)
    strict_query = [Depends(reject_unknown_query)]
    for module in (
        partners,
        plans,
        stockpiles,
        camps,
        site_imports,
        areas,
        readiness,
        events,
        scenarios,
        sync,
    ):
        app.include_router(module.router, responses=COMMON_RESPONSES, dependencies=strict_query)
    for router in (shipments.router, offers.router, offers.needs_router):
        app.include_router(router, responses=COMMON_RESPONSES, dependencies=strict_query)
    app.include_router(health.router, dependencies=strict_query)
    app.include_router(dashboard_session.router)
    app.include_router(dashboard.router)
    app.include_router(dashboard_field.router)
    app.include_router(dashboard_pipeline.router)
    app.include_router(docs.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with error responses typed as application/problem+json."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                body = content.get("application/json", {})
                if body.get("schema", {}).get("$ref", "").endswith("/Problem"):
                    content[PROBLEM_JSON] = content.pop("application/json")
    _link_created_entities(schema)
    app.openapi_schema = schema
    return schema


def _link_created_entities(schema: dict[str, Any]) -> None:
    """OpenAPI links from each command creating an entity to the operations on that entity.

    `POST /camps` answers 201 with the new camp's `slug`: it links to `GET /camps/{camp}` and
    to every command whose only path parameter is `{camp}` (tools such as schemathesis follow
    them to chain requests).
    """
    paths: dict[str, dict[str, Any]] = schema.get("paths", {})
    for entity, resource in RESOURCE_PATHS.items():
        created = paths.get(resource, {}).get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        links: dict[str, Any] = {}
        for path, item in paths.items():
            if not path.startswith(f"{resource}/{{{entity}}}"):
                continue
            for operation in item.values():
                names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                if names == {entity}:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {entity: "$response.body#/slug"},
                        "description": f"the {entity} just created",
                    }
        created["links"] = links
