"""Running a command over HTTP: rights, If-Match, retries, idempotency, the response.

Every command endpoint is built by `add_command_route()` and runs `run_command()` in the thread
pool (saving events is blocking work). Order of checks: authentication (401) → body and path
validation (422) → then, inside the service's group (under the writer lock): the
idempotency key (a replay, 422 or 409; the key is stored with the events) → rights (403,
domain.rights) → If-Match (412) → the domain (404, 409). Nothing is stored unless every check
passes.
"""

from __future__ import annotations

import hashlib
import inspect
import random
import re
import time
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Header, Path, Response

from api.auth import Principal
from api.context import ApiContext
from api.deps import authenticate, get_context
from api.errors import ApiProblem, invalid, precondition_failed
from api.idempotency import PENDING, IdempotencyReceipt, StoredResponse
from api.policy import actor_of
from api.reads import JSON
from api.schemas import (
    PATH_ARGS,
    REQUEST_MODELS,
    SERVICE_ONLY_ARGS,
    CommandBody,
    CommandResponse,
    Problem,
    Sector,
    Slug,
)
from domain.commands import COMMANDS, validate_args
from domain.errors import AlreadyRecorded, ConcurrencyError
from domain.service import CommandResult

RESOURCE_PATHS = {
    "partner": "/partners",
    "plan": "/plans",
    "stockpile": "/stockpiles",
    "camp": "/camps",
    "shipment": "/shipments",
    "offer": "/offers",
}
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"?[0-9]{1,15}"?)\s*$'  # what parse_if_match takes
_MAX_VERSION_DIGITS = 15  # a version is a whole number below 2**53 (no entity gets near)
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class CommandCall:
    """One command request, validated by pydantic."""

    command: str
    path_args: dict[str, str]
    body: CommandBody | None
    if_match: str | None
    idempotency_key: str | None
    principal: Principal


def parse_if_match(value: str | None) -> int | str | None:
    """The expected version of an If-Match header: an int, "*", or None without the header."""
    if value is None:
        return None
    if value.strip() == "*":
        return "*"
    match = _ETAG.match(value)
    if match is None or len(match.group(1)) > _MAX_VERSION_DIGITS:
        raise invalid(
            f'If-Match must be one entity tag like "3" (a version) or *, got {value!r}',
            field="If-Match",
        )
    return int(match.group(1))


def _checked_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _KEY.match(value):
        raise invalid(
            "Idempotency-Key must be 1 to 200 visible ASCII characters", field="Idempotency-Key"
        )
    return value


def run_command(ctx: ApiContext, call: CommandCall) -> Response:
    """Run one command for a caller; the response to send (or raise a problem)."""
    spec = COMMANDS[call.command]
    given = {**call.path_args, **(call.body.arguments() if call.body is not None else {})}
    extras = {name: given.pop(name) for name in SERVICE_ONLY_ARGS if name in given}
    args = validate_args(spec, given) | extras
    expected = parse_if_match(call.if_match)
    key = _checked_key(call.idempotency_key)
    receipt = None
    fingerprint = ""
    if key is not None:
        fingerprint = hashlib.sha256(
            orjson.dumps([call.command, args, expected], option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
        created = _creates(call.command)
        receipt = ctx.idempotency.receipt(
            call.principal.scope,
            key,
            fingerprint,
            lambda result: _stored(result, fingerprint, created),
        )
    try:
        result = _execute(ctx, call.principal, call.command, args, expected, receipt)
    except AlreadyRecorded as done:
        assert isinstance(done.recorded, StoredResponse)
        return _replay(done.recorded, fingerprint)
    ctx.planner.follower.poke()
    if receipt is not None and receipt.recorded is not None:
        recorded = receipt.recorded
        return Response(
            recorded.body, status_code=recorded.status, media_type=JSON, headers=recorded.headers
        )
    return command_response(result, created=_creates(call.command))


def _stored(result: CommandResult, fingerprint: str, created: bool) -> StoredResponse:
    """The response stored under an idempotency key with the command's events."""
    response = command_response(result, created=created)
    headers = {k: v for k, v in response.headers.items() if k in _REPLAY_HEADERS}
    return StoredResponse(fingerprint, response.status_code, bytes(response.body), headers)


_REPLAY_HEADERS = ("etag", "location")


def _creates(command: str) -> bool:
    return any(arg.creates for arg in COMMANDS[command].args)


def _replay(stored: StoredResponse, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        raise ApiProblem(
            422,
            "idempotency-key-reused",
            "Idempotency key reused",
            "this Idempotency-Key was first used with another request (command, arguments or "
            "If-Match); use a new key for a new request",
            field="Idempotency-Key",
        )
    if stored.status == PENDING:
        raise _in_progress()
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=JSON,
        headers={**stored.headers, REPLAYED_HEADER: "true"},
    )


def _in_progress() -> ApiProblem:
    return ApiProblem(
        409,
        "idempotency-key-in-use",
        "Request in progress",
        "a request with this Idempotency-Key is still running; retry in a moment",
        field="Idempotency-Key",
        headers={"Retry-After": "1"},
    )


def _execute(
    ctx: ApiContext,
    principal: Principal,
    command: str,
    args: dict[str, Any],
    expected: object,
    receipt: IdempotencyReceipt | None,
) -> CommandResult:
    service = ctx.planner.service
    spec = COMMANDS[command]
    slug = str(args[spec.entity])  # validated: a slug
    if expected is not None and not service.exists(spec.entity, slug):
        raise precondition_failed(
            f"{spec.entity} '{slug}' does not exist, so If-Match {expected} cannot hold"
        )
    attempts = 1 if expected is not None else max(1, ctx.settings.retry_attempts)
    # No lock here: the service runs this process's commands in groups, one after another.
    for attempt in range(1, attempts + 1):
        try:
            return _once(ctx, principal, command, args, expected, receipt)
        except ConcurrencyError:
            if expected is not None:
                raise precondition_failed(
                    f"{spec.entity} '{slug}' was changed by another writer after version "
                    f"{expected}; nothing was stored"
                ) from None
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0, min(0.25, 0.004 * 2**attempt)))  # full jitter
    raise AssertionError("unreachable")  # pragma: no cover


def _once(
    ctx: ApiContext,
    principal: Principal,
    command: str,
    args: dict[str, Any],
    expected: object,
    receipt: IdempotencyReceipt | None,
) -> CommandResult:
    version = expected if isinstance(expected, int) else None
    return ctx.planner.service.execute(
        command, args, expected_version=version, actor=actor_of(principal), receipt=receipt
    )


def command_response(result: CommandResult, *, created: bool) -> Response:
    """The JSON answer of a command, with its ETag (and Location when it created an entity)."""
    doc = {
        "entity": result.entity,
        "slug": result.slug,
        "id": str(result.aggregate_id),
        "version": result.version,
        "position": result.position,
    }
    headers = {"ETag": f'"{result.version}"'}
    if created:
        headers["Location"] = f"{RESOURCE_PATHS[result.entity]}/{result.slug}"
    return Response(
        orjson.dumps(doc), status_code=201 if created else 200, media_type=JSON, headers=headers
    )


# -- routes ---------------------------------------------------------------------------------------

COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no bearer token, or an unknown one"},
    403: {"description": "the token's role or organization has no right to this command"},
    404: {"description": "an entity the command names does not exist"},
    409: {"description": "refused by a domain rule (see `rule`), or the slug is taken"},
    412: {"description": "If-Match does not match the entity's version; nothing changed"},
    422: {"description": "invalid body, path or header (see `errors`), or a reused key"},
}


def add_command_route(
    router: APIRouter, path: str, command: str, *, summary: str, description: str = ""
) -> None:
    """Add `POST path` running `command`; path parameters are named after the arguments."""
    model = REQUEST_MODELS[command]
    path_args = PATH_ARGS[command]
    created = _creates(command)
    body_required = any(f.is_required() for f in model.model_fields.values())

    def endpoint(**values: Any) -> Response:
        call = CommandCall(
            command=command,
            path_args={name: values[name] for name in path_args},
            body=values["body"],
            if_match=values["if_match"],
            idempotency_key=values["idempotency_key"],
            principal=values["principal"],
        )
        return run_command(values["ctx"], call)

    parameters = [
        inspect.Parameter(
            "ctx",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[ApiContext, Depends(get_context)],
        ),
        inspect.Parameter(
            "principal",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[Principal, Depends(authenticate)],
        ),
    ]
    for name in path_args:
        kind: Any = Sector if name == "sector" else Slug
        about = "cluster code" if name == "sector" else f"slug of the {name}"
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[kind, Path(description=about)],
            )
        )
    body_annotation: Any = (
        Annotated[model, Body()] if body_required else Annotated[model | None, Body()]
    )
    parameters.append(
        inspect.Parameter(
            "body",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=body_annotation,
            default=inspect.Parameter.empty if body_required else None,
        )
    )
    parameters.append(
        inspect.Parameter(
            "if_match",
            inspect.Parameter.KEYWORD_ONLY,
            # `str`, not `str | None`: a header is absent or a string, never JSON null (the
            # schema must not offer null, which clients would send as the text "null").
            annotation=Annotated[
                str,
                Header(
                    alias="If-Match",
                    description='the version the entity must be at, as an ETag ("3"), or *',
                    pattern=IF_MATCH_PATTERN,
                ),
            ],
            default=None,
        )
    )
    parameters.append(
        inspect.Parameter(
            "idempotency_key",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[
                str,
                Header(
                    alias="Idempotency-Key",
                    description="retry-safe key: the same key and body replay the first "
                    "response; another body with the key is refused (422)",
                    pattern=_KEY.pattern,
                ),
            ],
            default=None,
        )
    )
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = command
    endpoint.__doc__ = description or summary
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        status_code=201 if created else 200,
        response_model=CommandResponse,
        responses={code: {**doc, "model": Problem} for code, doc in COMMAND_ERRORS.items()},
        summary=summary,
        description=description or summary,
        operation_id=command,
        name=command,
    )
