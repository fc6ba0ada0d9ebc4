"""Resources opened in the lifespan, and how they reach routes: ``Annotated`` dependencies."""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from jobsmith.api.changes import ChangeFeed
from jobsmith.config import ApiKey, Settings
from jobsmith.domain import errors
from jobsmith.processes import registry
from jobsmith.service.executors import Executor
from jobsmith.store import admin, blobs, repository
from jobsmith.store.database import Database

ANONYMOUS = "anonymous"
T = TypeVar("T")


@dataclasses.dataclass
class Services:
    """Everything a request may use, built once per app in the lifespan."""

    settings: Settings
    database: Database
    jobs: repository.Repository
    admin: admin.Admin
    blobs: blobs.BlobStore
    processes: registry.Registry
    executor: Executor
    api_keys: list[ApiKey]
    changes: ChangeFeed

    async def read(self, query: Callable[[], T]) -> T:
        """Run ``query`` (reads only) for a coroutine.

        The embedded SQLite database is read right here on the event loop: in WAL mode a reader never
        waits for a writer and a status read takes a fraction of a millisecond, less than the hop to a
        worker thread and back (and the threads' contention for the interpreter lock under load). A
        server database answers over the network, so its reads go to the thread pool.
        """
        return await self._here_or_in_a_thread(query)

    async def write(self, change: Callable[[], T]) -> T:
        """Run ``change`` (a short write transaction, no file I/O that may wait on a disk) for a coroutine.

        On the embedded SQLite database it runs here on the event loop, like a read. A hop to a worker
        thread cost the API more CPU than the transaction itself (thread wake-ups, the interpreter lock
        passed back and forth), and a thread holding SQLite's write lock while it waited for the
        interpreter held up every worker's claim and finish: jobs/s stopped at what that lock allowed.
        Waiting here is short: every jobsmith writer queues on :class:`~jobsmith.store.database.WriterLock`
        and holds it for one small transaction. A server database answers over the network, so its
        writes go to the thread pool.
        """
        return await self._here_or_in_a_thread(change)

    async def _here_or_in_a_thread(self, call: Callable[[], T]) -> T:
        """On the event loop for the embedded SQLite database, in the thread pool for a server database."""
        if self.database.dialect == "sqlite":
            return call()
        return await run_in_threadpool(call)


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who is asking. Without configured keys everyone is the anonymous admin."""

    owner: str
    admin: bool

    def scope(self) -> str | None:
        """The owner to restrict queries to; None lets an admin see every job."""
        return None if self.admin else self.owner


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_caller(request: Request) -> Caller:
    """Who sent the request, from ``Authorization: Bearer <key>`` or ``X-API-Key``.

    The headers are read here rather than declared as parameters: every request resolves its caller,
    and each declared header costs the framework more than this whole function.
    """
    services: Services = request.app.state.services
    if not services.api_keys:
        return Caller(ANONYMOUS, admin=True)
    authorization = request.headers.get("authorization")
    presented = request.headers.get("x-api-key")
    if authorization and authorization.lower().startswith("bearer "):
        presented = authorization[7:].strip()
    if not presented:
        raise errors.Unauthorized("this server needs an API key: send 'Authorization: Bearer <key>'",
                                  code="missing_credentials")
    for key in services.api_keys:
        if hmac.compare_digest(key.key.encode(), presented.encode()):
            return Caller(key.owner, admin=key.admin)
    raise errors.Unauthorized("the API key is not valid", code="invalid_credentials")


CallerDep = Annotated[Caller, Depends(get_caller)]


async def require_admin(caller: CallerDep) -> Caller:
    if not caller.admin:
        raise errors.Forbidden("only an admin key may do this", code="admin_only")
    return caller


AdminDep = Annotated[Caller, Depends(require_admin)]
