"""``/v1/datasets``: the importable datasets of the input directory (``JOBSMITH_INPUT_DIR``). Thin:
parse, call the service, present."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from jobsmith.api import presenters
from jobsmith.api import schemas as views
from jobsmith.api.deps import CallerDep, KnownQueryOnly, ServiceDep
from jobsmith.api.native import jobs

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])
DatasetName = Annotated[str, Path(
    description="The dataset's name, as `GET /v1/datasets` lists it (one entry of the input directory: not "
                "hidden, no '/', '\\' or control character).",
    examples=["cities.csv"], json_schema_extra={"pattern": "^[^./\\\\\\x00-\\x1f\\x7f-\\x9f][^/\\\\\\x00-\\x1f\\x7f-\\x9f]{0,254}$"})]


@router.get("", response_model=views.DatasetList, responses=jobs.PROBLEMS,
            summary="The importable datasets of the input directory",
            description="Every file, directory and archive (`.zip`, `.tar`, `.tar.gz`, `.tgz`) of "
                        "`JOBSMITH_INPUT_DIR`, by name. A JSON document of the same stem beside a dataset (or "
                        "inside it) is its metadata, not a dataset; a directory holding only metadata has "
                        "`has_data: false`. An archive that its import would refuse (a member escaping it, a "
                        "link, a bomb) is listed with the reason in `problem`. Without an input directory the "
                        "list is empty. A create fills an input with one: `{\"inputs\": {\"data\": "
                        "{\"dataset\": \"cities.csv\"}}}`.",
            dependencies=[KnownQueryOnly])
async def list_datasets(service: ServiceDep, caller: CallerDep) -> views.DatasetList:
    return views.DatasetList(results=[presenters.dataset_view(d) for d in await service.datasets.list(caller)])


@router.delete("/{name:path}", response_model=views.DatasetDeleted, responses=jobs.PROBLEMS,
               summary="Remove an importable dataset",
               description="Removes the dataset and its metadata from the input directory (a symlink is removed, "
                           "never what it points to). Admin only when API keys are configured. Jobs that already "
                           "imported it keep their own copy; a queued job that has not yet imported it fails "
                           "saying it is gone. A name that is not one entry of the input directory is a 422, an "
                           "unknown one a 404.")
async def delete_dataset(name: DatasetName, service: ServiceDep, caller: CallerDep) -> views.DatasetDeleted:
    deleted = await service.datasets.delete(caller, name)
    return views.DatasetDeleted(name=deleted.name, deleted=True)
