"""A query parameter a list does not know is a 422 naming it: a typo never returns an unfiltered list."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("path", ["/v1/jobs", "/v1/targets", "/v1/targets/dataset-a/jobs",
                                  "/v1/maintenance/history"])
def test_an_unknown_query_parameter_is_refused_naming_it(client: httpx.Client, path: str) -> None:
    for name, value in (("compendium_id", "x"), ("start", "2"), ("ignoreCompleted", "true")):
        refused = client.get(path, params={name: value})
        assert refused.status_code == 422 and refused.json()["code"] == "unknown_parameter", refused.text
        assert name in refused.json()["detail"]


def test_every_declared_parameter_is_still_taken(client: httpx.Client) -> None:
    everything = {"state": "QUEUED", "process": "echo", "target": "t", "owner": "anonymous", "label": "a:b",
                  "active": "true", "created_after": "2020-01-01T00:00:00Z", "created_before": "2999-01-01T00:00:00Z",
                  "limit": "5", "fields": "state"}
    assert client.get("/v1/jobs", params=everything).status_code == 200
    del everything["target"]
    assert client.get("/v1/targets/t/jobs", params=everything).status_code == 200
    assert client.get("/v1/targets", params={"limit": "5"}).status_code == 200
    assert client.get("/v1/maintenance/history").status_code == 200
    assert client.get("/v1/targets/t/jobs", params={"target": "u"}).status_code == 422  # the path fixes it
