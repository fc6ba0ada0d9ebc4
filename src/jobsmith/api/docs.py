"""The OpenAPI document, Swagger UI and ReDoc, behind the same API keys as every other route.

The contract lets only ``/healthz`` and ``/readyz`` answer without a key: the document describes
every route and parameter of a server that may be private. Without configured keys nothing changes
for anyone (the caller is the anonymous admin). With keys, a browser needs a way to send one (a
header extension, a proxy that adds it); ``curl -H 'Authorization: Bearer …' …/openapi.json`` works.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from jobsmith.api.deps import CallerDep

OPENAPI_URL = "/openapi.json"
router = APIRouter(include_in_schema=False)


@router.get(OPENAPI_URL)
def openapi_document(request: Request, _: CallerDep) -> JSONResponse:
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)


@router.get("/docs")
def swagger_ui(request: Request, _: CallerDep) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - Swagger UI")


@router.get("/redoc")
def redoc(request: Request, _: CallerDep) -> HTMLResponse:
    return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - ReDoc")
