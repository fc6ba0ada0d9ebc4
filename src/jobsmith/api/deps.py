"""How the service and the caller reach routes: ``Annotated`` dependencies.

The service is opened once in the lifespan (:mod:`jobsmith.api.app`) and kept on the app's state;
routes receive it and the caller as parameters and never reach the store themselves.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies import models
from fastapi.routing import APIRoute

from jobsmith.domain import errors
from jobsmith.service import callers, core

Caller = callers.Caller


async def get_service(request: Request) -> core.Service:
    service: core.Service = request.app.state.service
    return service


ServiceDep = Annotated[core.Service, Depends(get_service)]


def _presented(request: Request) -> str | None:
    """The credential of a request: ``Authorization: Bearer <it>`` or ``X-API-Key: <it>``."""
    authorization = request.headers.get("authorization")
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return request.headers.get("x-api-key") or None


def _is_worker_token(service: core.Service, presented: str) -> bool:
    return any(hmac.compare_digest(t.token.encode(), presented.encode()) for t in service.backend.worker_tokens)


async def get_caller(request: Request) -> Caller:
    """Who sent the request, from ``Authorization: Bearer <key>`` or ``X-API-Key``.

    The headers are read here rather than declared as parameters: every request resolves its caller,
    and each declared header costs the framework more than this whole function. A worker token is
    refused here: it may use only the worker protocol.
    """
    service: core.Service = request.app.state.service
    keys = service.backend.api_keys
    presented = _presented(request)
    if presented and service.backend.worker_tokens and _is_worker_token(service, presented):
        raise errors.Forbidden("a worker token may use only the worker protocol (/v1/worker)",
                               code="worker_token")
    if not keys:
        return Caller(callers.ANONYMOUS, admin=True)
    if not presented:
        raise errors.Unauthorized("this server needs an API key: send 'Authorization: Bearer <key>'",
                                  code="missing_credentials")
    for key in keys:
        if hmac.compare_digest(key.key.encode(), presented.encode()):
            return Caller(key.owner, admin=key.admin)
    raise errors.Unauthorized("the API key is not valid", code="invalid_credentials")


async def get_worker(request: Request) -> callers.Worker:
    """The external worker sending the request, by its token (``JOBSMITH_WORKER_TOKENS``).

    A user's API key is refused (403). With no worker tokens configured the protocol is open only on a
    server that has no API keys either (everyone is the admin there anyway), as worker ``anonymous``.
    """
    service: core.Service = request.app.state.service
    presented = _presented(request)
    for token in service.backend.worker_tokens:
        if presented and hmac.compare_digest(token.token.encode(), presented.encode()):
            return callers.Worker(token.name)
    if not service.backend.worker_tokens and not service.backend.api_keys:
        return callers.Worker(callers.ANONYMOUS)
    if presented and any(hmac.compare_digest(k.key.encode(), presented.encode()) for k in service.backend.api_keys):
        raise errors.Forbidden("an API key may not use the worker protocol; send a worker token "
                               "(JOBSMITH_WORKER_TOKENS)", code="not_a_worker")
    if not presented:
        raise errors.Unauthorized("the worker protocol needs a worker token: send 'Authorization: Bearer <token>'",
                                  code="missing_credentials")
    raise errors.Unauthorized("the worker token is not valid", code="invalid_credentials")


WorkerDep = Annotated[callers.Worker, Depends(get_worker)]


CallerDep = Annotated[Caller, Depends(get_caller)]





async def known_query_only(request: Request) -> None:
    """Refuse a query parameter the route does not declare (itself or through its dependencies).

    A list that ignored ``?compendium_id=x`` or a misspelt ``?stat=FAILED`` would answer with every
    job, which a client takes for the filtered list; a 422 naming the parameter is the safe answer.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _query_names(route.dependant)  # a handful of fields: walked per request, nothing cached
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise errors.Invalid(f"unknown query parameter(s) {', '.join(unknown)}; this route takes "
                             f"{', '.join(sorted(declared)) or 'none'}", code="unknown_parameter")


def _query_names(dependant: models.Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


KnownQueryOnly = Depends(known_query_only)
