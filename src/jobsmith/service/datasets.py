"""Importable datasets as clients see them: the list of the input directory, and removing one (admins)."""

from __future__ import annotations

import anyio.to_thread

from jobsmith.domain import errors
from jobsmith.service import backend, callers
from jobsmith.store import input_dir

Dataset = input_dir.Dataset


class DatasetService:
    """Reads and changes the input directory (``JOBSMITH_INPUT_DIR``); file work runs in a thread."""

    def __init__(self, back: backend.Backend) -> None:
        self.backend = back

    async def list(self, caller: callers.Caller) -> list[Dataset]:
        """Every dataset, archives surveyed (a problem they would be refused for is named); none when no
        input directory is configured. Every caller may read the list: it is the server's, not an owner's."""
        return await anyio.to_thread.run_sync(self.backend.datasets.datasets)

    async def delete(self, caller: callers.Caller, name: str) -> Dataset:
        """Remove a dataset (and its metadata beside it); admins only. Jobs that imported it keep their copy."""
        if not caller.admin:
            raise errors.Forbidden("only an admin key may delete a dataset", code="admin_only")
        return await anyio.to_thread.run_sync(self.backend.datasets.delete, name)
