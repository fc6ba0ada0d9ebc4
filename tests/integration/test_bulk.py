"""``POST /v1/jobs/bulk``: each item created on its own, refused with a single create's detail and code."""

from __future__ import annotations

import httpx


def test_each_item_is_created_or_refused_on_its_own_in_order(client: httpx.Client) -> None:
    bad_items = [{"process": "nope"}, {"process": "echo", "priority": 500}, {"parameters": {}},
                 {"process": "echo", "surprise": 1}, {"process": "test-exclusive"}]
    singles = [client.post("/v1/jobs", json=item).json() for item in bad_items]
    answer = client.post("/v1/jobs/bulk", json={"jobs": [
        {"process": "echo", "parameters": {"message": "hi"}}, *bad_items,
        {"process": "test-exclusive", "target": "t"}, {"process": "test-exclusive", "target": "t"}]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert set(results[0]) == {"index", "job_id", "state"} and results[0]["state"] in (
        "QUEUED", "PROCESSING", "COMPLETED")
    for single, result in zip(singles, results[1:6], strict=True):
        assert result == {"index": result["index"], "error": single}
    holder = results[6]
    assert holder["state"] == "WAITING_FOR_DATA"
    assert results[7]["error"]["code"] == "target_busy" and results[7]["error"]["job_id"] == holder["job_id"]
    assert client.get(f"/v1/jobs/{results[0]['job_id']}", headers={"Prefer": "wait=10"},
                      params={"until": "final"}).json()["state"] == "COMPLETED"  # queued items wake the executor


def test_a_body_that_is_not_a_list_of_at_most_1000_objects_is_refused_whole(client: httpx.Client) -> None:
    for body in ({"jobs": [{"process": "echo"}] * 1001}, {"jobs": ["echo"]}, [{"process": "echo"}],
                 {"jobs": [], "more": 1}, {"items": []}):
        refused = client.post("/v1/jobs/bulk", json=body)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid", body
    assert client.get("/v1/jobs").json()["results"] == []
    assert client.post("/v1/jobs/bulk", json={"jobs": []}).json() == {"results": []}
