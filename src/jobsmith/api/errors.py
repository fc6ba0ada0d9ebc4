"""The one mapping from errors to HTTP: ``{"detail": <sentence>, "code": <machine code>}``.

Every refusal below the API is a :class:`~jobsmith.domain.errors.JobsmithError`, whose kind (its
class) becomes a status through :data:`STATUS`, the table of API.md; request
validation and routing errors get the same shape. Anything else is a defect in jobsmith, logged
with its traceback and answered with a 500 in the same shape (never an HTML page).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from jobsmith.domain import errors

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
DATASPACE_PREFIX = "/v1/dataspace/"
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 413: "too_large"}
STATUS: dict[type[errors.JobsmithError], int] = {
    errors.NotFound: 404, errors.Conflict: 409, errors.Gone: 410, errors.TooLarge: 413, errors.Invalid: 422,
    errors.Unauthorized: 401, errors.Forbidden: 403, errors.Unavailable: 503}


class Refusal(errors.JobsmithError):
    """A refusal a face answers with its own status (a compatible face's 400, say), not its kind's."""

    def __init__(self, detail: str, *, code: str, status: int) -> None:
        super().__init__(detail, code=code)
        self.status = status


class OnlyMethods(HTTPException):
    """A 405 for a path whose methods a route states itself (``/v1/jobs/bulk``, which the
    ``/v1/jobs/{job_id}`` routes would otherwise claim as a job id)."""

    def __init__(self, detail: str, methods: list[str]) -> None:
        super().__init__(405, detail, headers={"Allow": ", ".join(methods)})


def status_of(error: errors.JobsmithError) -> int:
    """The HTTP status of a refusal: its own for a :class:`Refusal`, else its kind's (400 if none)."""
    if isinstance(error, Refusal):
        return error.status
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def problem(status: int, detail: str, code: str, headers: dict[str, str] | None = None,
            fields: dict[str, str] | None = None) -> JSONResponse:
    """The error body; ``fields`` are a refusal's own (a busy target's ``job_id``), after the two every body has."""
    return JSONResponse({"detail": detail, "code": code, **(fields or {})}, status_code=status, headers=headers)


def _sentence(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
    where = ".".join(location[1:] if location and location[0] in ("query", "path", "header") else location)
    kind = location[0] if location and location[0] in ("query", "path", "header") else "body"
    return f"{kind} {where}: {error.get('msg', 'is invalid')}" if where else f"{kind}: {error.get('msg')}"


def validation_detail(faults: Sequence[Any]) -> str:
    """The sentence of a 422 for pydantic's errors: the same for a request and for one item of a bulk create."""
    return f"invalid request: {'; '.join(_sentence(e) for e in faults)}"


async def _jobsmith(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.JobsmithError)
    status = status_of(exc)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return problem(status, exc.detail, exc.code, headers, exc.fields())


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(DATASPACE_PREFIX):  # connectors expect FastAPI's own 422 body there
        return await request_validation_exception_handler(request, exc)
    return problem(422, validation_detail(exc.errors()), "invalid")


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405 and not isinstance(exc, OnlyMethods) and (documented := allowed_methods(request)):
        headers = {**(headers or {}), "Allow": ", ".join(documented)}
    if exc.status_code == 400 and not request.url.path.startswith(DATASPACE_PREFIX):
        # The framework's own 400s are bodies it could not parse (not UTF-8, nested too deep, a form
        # without a boundary): an invalid body, which the contract answers with 422.
        return problem(422, f"invalid request body: {exc.detail}", "invalid_body", headers)
    return problem(exc.status_code, str(exc.detail), _HTTP_CODES.get(exc.status_code, "http_error"), headers)


def allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document gives this path. Starlette's own 405 names only the first
    route whose path matched, so ``OPTIONS /v1/jobs`` would say ``Allow: POST`` and hide the list."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}:]+:path\\\}", ".+", re.escape(template))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        if re.fullmatch(pattern, path):
            methods |= {method.upper() for method in operations if method != "parameters"}
    return sorted(methods)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal error; it has been logged", "internal_error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.JobsmithError, _jobsmith)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


def document(app: FastAPI) -> None:
    """Make the OpenAPI document tell the truth: a 422 has the same body as every other error."""
    from fastapi.openapi.utils import get_openapi

    from jobsmith.api import schemas as views

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            if "HTTPValidationError" in components:  # the dataspace face keeps FastAPI's own 422 body
                components["FastAPIValidationError"] = components["HTTPValidationError"]
                _point_dataspace_422s_at(schema, "#/components/schemas/FastAPIValidationError")
            components["HTTPValidationError"] = views.Problem.model_json_schema()
            _errors_as_json(schema)
            # API keys, when the server has any: either header; without keys, no credentials at all.
            schema["components"]["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API key (JOBSMITH_API_KEYS)."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
            schema["security"] = [{"bearer": []}, {"apiKey": []}, {}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _errors_as_json(schema: dict[str, Any]) -> None:
    """An error is JSON on every route: FastAPI documents a route's extra responses in the route's own
    media type (``text/plain`` for the log, a file type for downloads), which an error never is."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if not status.isdigit() or int(status) < 400 or "application/json" in content:
                    continue
                described = next((media["schema"] for media in content.values() if "schema" in media), None)
                if described is not None:
                    response["content"] = {"application/json": {"schema": described}}


def _point_dataspace_422s_at(schema: dict[str, Any], reference: str) -> None:
    """The 422 of every dataspace route is FastAPI's validation body, as the service it replaces answers."""
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(DATASPACE_PREFIX):
            continue
        for operation in operations.values():
            content = operation.get("responses", {}).get("422", {}).get("content", {})
            for media in content.values():
                media["schema"] = {"$ref": reference}
