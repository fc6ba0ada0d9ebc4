"""Labels as the list finds them: an index of rows beside the job, kept true by create and patch,
and filled from existing jobs by the migration that introduced it (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

import httpx
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from jobsmith.domain import queries
from jobsmith.store import migrate, models, repository
from jobsmith.store.database import Database


def new_job(labels: dict[str, str]) -> repository.NewJob:
    return repository.NewJob(process="p", process_version="1", owner="o", parameters={}, metadata={},
                             labels=labels, target=None, description=None, priority=0, timeout_s=60,
                             max_retries=0, queued=True)


def labelled(jobs: repository.Repository, *pairs: tuple[str, str]) -> list[str]:
    return [j.id for j in jobs.page(queries.JobQuery(labels=pairs), limit=50).jobs]


def test_a_label_filter_finds_exactly_the_jobs_holding_every_pair(database: Database) -> None:
    jobs = repository.Repository(database)
    geo, _ = jobs.create(new_job({"team": "geo", "batch": "7"}))
    stats, _ = jobs.create(new_job({"team": "stats", "batch": "7"}))
    jobs.create(new_job({}))
    assert labelled(jobs, ("team", "geo")) == [geo.id]
    assert labelled(jobs, ("batch", "7")) == [stats.id, geo.id]  # newest first
    assert labelled(jobs, ("batch", "7"), ("team", "stats")) == [stats.id]
    assert labelled(jobs, ("team", "nobody")) == []


def test_a_patch_of_labels_replaces_what_the_filter_finds(database: Database) -> None:
    jobs = repository.Repository(database)
    job, _ = jobs.create(new_job({"team": "geo"}))
    jobs.patch(job.id, None, {"labels": {"team": "ops", "ticket": "42"}})
    assert labelled(jobs, ("team", "geo")) == []
    assert labelled(jobs, ("team", "ops"), ("ticket", "42")) == [job.id]
    jobs.patch(job.id, None, {"labels": {}})
    assert labelled(jobs, ("team", "ops")) == []


def test_pages_back_and_forth_stay_in_order_under_a_label(database: Database) -> None:
    jobs = repository.Repository(database)
    made = [jobs.create(new_job({"set": "a" if n % 2 else "b"}))[0].id for n in range(9)]
    wanted = [job_id for n, job_id in enumerate(made) if n % 2][::-1]  # newest first
    where = queries.JobQuery(labels=[("set", "a")])
    first = jobs.page(where, limit=3)
    second = jobs.page(where, limit=3, after=first.last_seq)
    back = jobs.page(where, limit=3, before=second.first_seq)
    assert [j.id for j in first.jobs] == wanted[:3] and first.has_next and not first.has_previous
    assert [j.id for j in second.jobs] == wanted[3:] and not second.has_next and second.has_previous
    assert [j.id for j in back.jobs] == wanted[:3] and back.has_next and not back.has_previous


def test_the_migration_indexes_the_labels_of_jobs_created_before_it(database: Database) -> None:
    jobs = repository.Repository(database)
    old, _ = jobs.create(new_job({"team": "geo"}))
    with database.engine.begin() as connection:  # a label stored before values had a limit
        connection.execute(sa.update(models.Job).where(models.Job.id == old.id)
                           .values(labels={"team": "geo", "note": "x" * 600}))
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
        assert "job_labels" not in sa.inspect(connection).get_table_names()
    migrate.upgrade(database.engine)
    assert labelled(jobs, ("team", "geo")) == [old.id]
    with database.engine.connect() as connection:  # a value over the limit is left out of the index
        keys = connection.execute(sa.select(models.JobLabel.key)).scalars().all()
    assert keys == ["team"]
    assert dataclasses.asdict(jobs.get(old.id))["labels"] == {"team": "geo", "note": "x" * 600}


def test_labels_that_cannot_be_stored_are_refused_naming_why(client: httpx.Client) -> None:
    too_long = client.post("/v1/jobs", json={"process": "echo", "labels": {"note": "x" * 501}})
    assert too_long.status_code == 422 and "at most 500" in too_long.text
    job = client.post("/v1/jobs", json={"process": "echo", "labels": {"team": "geo"}}).json()
    colon = client.patch(f"/v1/jobs/{job['id']}", json={"labels": {"a:b": "c"}})
    assert colon.status_code == 422 and "without ':'" in colon.text
    assert client.get(f"/v1/jobs/{job['id']}").json()["labels"] == {"team": "geo"}
    found = client.get("/v1/jobs", params={"label": "team:geo"}).json()["results"]
    assert [j["id"] for j in found] == [job["id"]]
