"""Settings from the environment (``JOBSMITH_*``), each with an embedded default.

Built once by ``create_app()`` or a worker's ``main()`` and passed down; never read at import.
The defaults give the zero-setup embedded mode: SQLite and files under ``data_dir``, worker
processes started by the server itself, bound to 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Literal

import pydantic
import pydantic_settings

from jobsmith import safe_archive


@dataclasses.dataclass(frozen=True)
class ApiKey:
    """One configured credential: the owner it stands for and whether it may administer."""

    owner: str
    key: str
    admin: bool


@dataclasses.dataclass(frozen=True)
class WorkerToken:
    """A credential of an executor outside jobsmith: the name its history entries carry, and the token."""

    name: str
    token: str


class Settings(pydantic_settings.BaseSettings):
    """Every knob of jobsmith. The README's settings table lists these with their defaults."""

    model_config = pydantic_settings.SettingsConfigDict(env_prefix="JOBSMITH_", extra="ignore")

    data_dir: pathlib.Path = pydantic.Field(
        default=pathlib.Path("jobsmith-data"),
        description="Directory for the embedded database and the stored files.",
    )
    database_url: str | None = pydantic.Field(
        default=None, description="SQLAlchemy URL; default: SQLite in data_dir."
    )
    storage: pathlib.Path | None = pydantic.Field(
        default=None, description="Directory for inputs, results and logs; default data_dir/storage."
    )
    executor: Literal["local", "celery"] = pydantic.Field(
        default="local",
        description="Where jobs run: 'local' worker processes of the server, or 'celery': `jobsmith worker` "
                    "processes on any machine, reached through the broker (the server then runs none).",
    )
    workers: int = pydantic.Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        ge=0,
        le=256,
        description="Local worker processes (0: the server runs no jobs).",
    )
    host: str = "127.0.0.1"
    port: int = pydantic.Field(default=8000, ge=0, le=65535)
    api_keys: str = pydantic.Field(
        default="",
        description="Comma list of owner:key or owner:key:admin; empty: no authentication.",
    )
    worker_tokens: str = pydantic.Field(
        default="",
        description="Comma list of name:token for external workers (the /v1/worker routes); empty: those routes "
                    "are open only while no API keys are configured either.",
    )
    max_upload_mb: int = pydantic.Field(default=10240, ge=1, description="Largest upload accepted.")
    job_timeout_s: int = pydantic.Field(default=3600, ge=1, description="Default wall-clock limit of a job.")
    job_memory_mb: int = pydantic.Field(
        default=4096, ge=64, description="Resident memory limit of a job's process tree."
    )
    max_retries: int = pydantic.Field(default=2, ge=0, le=100, description="Default retries after a lost worker.")
    lease_s: float = pydantic.Field(default=30.0, gt=0, description="How long a claim lives without a heartbeat.")
    cancel_grace_s: float = pydantic.Field(
        default=3.0, ge=0, description="Time a cancelled job gets to stop before it is killed."
    )
    shutdown_grace_s: float = pydantic.Field(
        default=20.0, ge=0, description="On SIGTERM, time running jobs get to finish before they are re-queued."
    )
    retention_days: float = pydantic.Field(default=30.0, gt=0, description="How long a final job's files are kept.")
    sweep_interval_s: float = pydantic.Field(default=10.0, gt=0, description="How often recovery and cleaning run.")
    poll_interval_s: float = pydantic.Field(default=1.0, gt=0, description="Idle worker's fallback poll for new jobs.")
    supervise_interval_s: float = pydantic.Field(
        default=0.25, gt=0, description="How often a running job is checked for cancel, timeout and memory."
    )
    worker_nice: int = pydantic.Field(default=10, ge=0, le=19, description="Scheduling niceness of workers.")
    idempotency_ttl_h: float = pydantic.Field(default=24.0, gt=0)
    processes: str = pydantic.Field(
        default="", description="Extra processes: comma list of module or module:function to load."
    )
    log_level: str = "info"
    broker_url: str = pydantic.Field(
        default="redis://127.0.0.1:6379/0",
        description="Celery broker of the cluster mode: redis://host:port/db or amqp://user:password@host:port/vhost.",
    )
    queues: str = pydantic.Field(
        default="",
        description="Cluster mode: comma list of process=queue sending a process's jobs to its own Celery queue; "
                    "every other process goes to default_queue.",
    )
    default_queue: str = pydantic.Field(
        default="jobsmith", min_length=1, description="Cluster mode: the Celery queue of every process not in queues."
    )
    resend_after_s: float = pydantic.Field(
        default=60.0,
        gt=0,
        description="Cluster mode: a wake-up task not started within this time expires, and a job still QUEUED "
                    "after this long while a worker is idle is sent again.",
    )

    input_dir: pathlib.Path | None = pydantic.Field(
        default=None,
        description="Directory of importable datasets (files, directories, .zip/.tar/.tar.gz/.tgz archives) that a "
                    "create may name instead of uploading; in cluster mode a directory every worker reaches. "
                    "Unset: no datasets.",
    )
    archive_max_mb: int = pydantic.Field(
        default=10240, ge=1, description="Most an imported archive may unpack to, in MiB (in total).")
    archive_max_members: int = pydantic.Field(
        default=10_000, ge=1, description="Most files an imported archive may hold.")
    archive_max_ratio: float = pydantic.Field(
        default=250.0, gt=1, description="Most an imported archive may expand (unpacked over packed bytes) past its "
                                         "first MiB; more is how archive bombs look.")

    @property
    def resolved_storage(self) -> pathlib.Path:
        return (self.storage or self.data_dir / "storage").resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'jobsmith.db').resolve()}"

    @property
    def is_embedded_db(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_input_dir(self) -> pathlib.Path | None:
        return self.input_dir.resolve() if self.input_dir is not None else None

    def archive_limits(self) -> safe_archive.Limits:
        """What an imported archive may unpack to (the profile reads uploaded archives under its own)."""
        total = self.archive_max_mb * 1024 * 1024
        return safe_archive.Limits(max_members=self.archive_max_members, max_total_bytes=total,
                                   max_member_bytes=total, max_ratio=self.archive_max_ratio)

    @property
    def upload_limit_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def parsed_api_keys(self) -> list[ApiKey]:
        """The configured keys; refuses malformed entries rather than silently ignoring them."""
        keys: list[ApiKey] = []
        for entry in filter(None, (e.strip() for e in self.api_keys.split(","))):
            parts = entry.split(":")
            if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
                raise ValueError(f"JOBSMITH_API_KEYS entry {entry!r} is not owner:key or owner:key:admin")
            if len(parts) == 3 and parts[2] != "admin":
                raise ValueError(f"JOBSMITH_API_KEYS entry {entry!r}: the third part may only be 'admin'")
            keys.append(ApiKey(owner=parts[0], key=parts[1], admin=len(parts) == 3))
        return keys

    def parsed_worker_tokens(self) -> list[WorkerToken]:
        """The configured worker tokens; refuses malformed entries rather than silently ignoring them."""
        tokens: list[WorkerToken] = []
        for entry in filter(None, (e.strip() for e in self.worker_tokens.split(","))):
            name, _, token = entry.partition(":")
            if not name or not token or ":" in token:
                raise ValueError(f"JOBSMITH_WORKER_TOKENS entry {entry!r} is not name:token")
            if len(name) > 36:
                raise ValueError(f"JOBSMITH_WORKER_TOKENS: the name {name!r} is longer than 36 characters")
            tokens.append(WorkerToken(name=name, token=token))
        return tokens

    def parsed_queues(self) -> dict[str, str]:
        """``queues`` as ``{process: queue}``; refuses malformed entries rather than ignoring them."""
        routes: dict[str, str] = {}
        for entry in filter(None, (e.strip() for e in self.queues.split(","))):
            process, sep, queue = (part.strip() for part in entry.partition("="))
            if not sep or not process or not queue:
                raise ValueError(f"JOBSMITH_QUEUES entry {entry!r} is not process=queue")
            if routes.get(process, queue) != queue:
                raise ValueError(f"JOBSMITH_QUEUES sends process {process!r} to two queues")
            routes[process] = queue
        return routes
