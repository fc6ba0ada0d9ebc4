"""The OpenAPI document of every face is served, and says what each route takes and gives."""

from __future__ import annotations

import httpx


def test_the_document_is_served_with_every_face(client: httpx.Client) -> None:
    document = client.get("/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    for path in ("/v1/jobs", "/v1/worker/claims", "/v1/worker/jobs/{job_id}/inputs/{name}",
                 "/v1/dataspace/analysisjob", "/v1/datasets", "/v1/targets"):
        assert path in paths, path
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
