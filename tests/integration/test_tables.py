"""The tabular processes over real HTTP: a CSV uploaded to load, then filter_rows, aggregate and save as
successive jobs chained by their results; failures as the user reads them; their description."""

from __future__ import annotations

import csv
import io
import json
import pathlib
from typing import Any

import duckdb
import httpx
import pytest

from jobsmith.config import Settings
from tests.support import waiting
from tests.unit.profile.test_readers import write_xlsx

PEOPLE = ("id;name;city;age;score\n1;Ann;Bonn;34;7,5\n2;Bob;Koeln;;3,0\n3;Cem;Bonn;28;\n4;Dora;;45;9,25\n"
          "5;Eve;Muenster;28;6,0\n6;Fynn;Bonn;51;8,0\n")


@pytest.fixture
def settings(settings: Settings, tmp_path: pathlib.Path) -> Settings:
    """An input directory holding a workbook, importable as the dataset ``customers.xlsx``."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_xlsx(inputs / "customers.xlsx", {"Kunden": [["customer", "country"], [10, "DE"], [11, "AT"], [12, "FR"]]})
    return settings.model_copy(update={"input_dir": inputs})


def chained(client: httpx.Client, process: str, job_id: str, **parameters: Any) -> dict[str, Any]:
    """A job of ``process`` over the table.parquet of ``job_id``, run to its end."""
    body = {"process": process, "parameters": parameters, "inputs": {"data": {"job": job_id, "path": "table.parquet"}}}
    created = client.post("/v1/jobs", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "QUEUED"  # its input is there already
    return waiting.final(client, created.json()["id"], timeout=60)


def test_load_filter_aggregate_save_as_chained_jobs(client: httpx.Client) -> None:
    created = client.post("/v1/jobs", json={"process": "load"})
    assert created.status_code == 201 and created.json()["state"] == "WAITING_FOR_DATA"
    load_id = created.json()["id"]
    assert client.put(f"/v1/jobs/{load_id}/inputs/people.csv", content=PEOPLE.encode()).status_code == 200
    loaded = waiting.final(client, load_id, timeout=60)
    assert loaded["state"] == "COMPLETED", loaded
    assert [r["path"] for r in loaded["results"]] == ["table.parquet"]
    assert [(s["name"], s["state"]) for s in loaded["steps"]] == [("read", "success"), ("write table", "success")]

    filtered = chained(client, "filter_rows", load_id, conditions=[{"column": "age", "op": ">=", "value": 30},
                                                                  {"column": "city", "op": "not_null"}])
    assert filtered["state"] == "COMPLETED", filtered
    assert filtered["steps"][1]["message"] == "2 rows in table.parquet"
    grouped = chained(client, "aggregate", filtered["id"], group_by=["city"], aggregates=[
        {"function": "count", "as": "people"}, {"column": "score", "function": "mean"},
        {"column": "age", "function": "median"}])
    assert grouped["state"] == "COMPLETED", grouped
    saved = chained(client, "save", grouped["id"], format="csv", name="by-city")
    assert saved["state"] == "COMPLETED", saved
    assert [r["path"] for r in saved["results"]] == ["by-city.csv"]
    text = client.get(f"/v1/jobs/{saved['id']}/results/by-city.csv").text
    assert list(csv.reader(io.StringIO(text))) == [["city", "people", "mean_score", "median_age"],
                                                   ["Bonn", "2", "7.75", "42.5"]]


def test_an_unknown_column_fails_the_job_with_a_sentence(client: httpx.Client) -> None:
    created = client.post("/v1/jobs", json={"process": "sort", "parameters": {"by": [{"column": "town"}]}})
    job_id = created.json()["id"]
    assert client.put(f"/v1/jobs/{job_id}/inputs/people.csv", content=PEOPLE.encode()).status_code == 200
    done = waiting.final(client, job_id, timeout=60)
    assert done["state"] == "FAILED"
    assert done["state_detail"] == ("people.csv has no column 'town' to sort by; its columns are 'id', 'name', "
                                    "'city', 'age', 'score'")
    assert [(s["name"], s["state"]) for s in done["steps"]] == [("read", "success"), ("sort", "failure")]
    assert done["results"] == []


def test_an_input_with_no_table_fails_the_job_with_a_sentence(client: httpx.Client) -> None:
    job_id = client.post("/v1/jobs", json={"process": "load"}).json()["id"]
    assert client.put(f"/v1/jobs/{job_id}/inputs/nothing.csv", content=b"\n \n").status_code == 200  # blank lines
    done = waiting.final(client, job_id, timeout=60)
    assert (done["state"], done["state_detail"]) == ("FAILED", "nothing.csv is empty: there is no table in it")


def test_parameters_of_the_wrong_shape_are_a_422(client: httpx.Client) -> None:
    for process, parameters, named in (
            ("filter_rows", {"conditions": [{"column": "a", "op": "LIKE", "value": "x"}]}, "conditions.0.op"),
            ("join", {"on": ["id"], "how": "cross"}, "how"),
            ("save", {"format": "xlsx"}, "format")):
        response = client.post("/v1/jobs", json={"process": process, "parameters": parameters})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_parameters" and named in response.json()["detail"]


def test_the_processes_are_described_with_their_inputs_and_parameters(client: httpx.Client) -> None:
    join = client.get("/v1/processes/join").json()
    assert [i["name"] for i in join["inputs"]] == ["left", "right"] and join["outputs"] == ["table.parquet"]
    assert join["parameters"]["properties"]["how"]["enum"] == ["inner", "left", "right", "full"]
    assert join["parameters"]["examples"] == [{"on": ["customer_id"], "how": "left"}]
    listed = {p["id"] for p in client.get("/v1/processes").json()}
    assert {"load", "filter_rows", "select_columns", "aggregate", "join", "sort", "limit", "save"} <= listed


def test_a_join_of_a_dataset_and_another_jobs_table(client: httpx.Client, tmp_path: pathlib.Path) -> None:
    load_id = client.post("/v1/jobs", json={"process": "load"}).json()["id"]
    orders = [{"order": 1, "customer": 11, "amount": 8.0}, {"order": 2, "customer": 13, "amount": 2.5},
              {"order": 3, "customer": 10, "amount": 12.5}]
    assert client.put(f"/v1/jobs/{load_id}/inputs/orders.json", content=json.dumps(orders).encode()).status_code == 200
    assert waiting.final(client, load_id, timeout=60)["state"] == "COMPLETED"
    created = client.post("/v1/jobs", json={"process": "join", "parameters": {"on": ["customer"], "how": "right"},
                                            "inputs": {"left": {"dataset": "customers.xlsx"},
                                                       "right": {"job": load_id, "path": "table.parquet"}}})
    assert created.status_code == 201, created.text
    done = waiting.final(client, created.json()["id"], timeout=60)
    assert done["state"] == "COMPLETED", done
    result = tmp_path / "joined.parquet"
    result.write_bytes(client.get(f"/v1/jobs/{done['id']}/results/table.parquet").content)
    with duckdb.connect() as con:
        joined = con.execute(f"SELECT * FROM read_parquet('{result}')").fetchall()
    assert joined == [(10, "DE", 3, 12.5), (11, "AT", 1, 8.0), (13, None, 2, 2.5)]
