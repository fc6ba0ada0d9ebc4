"""Which processes this installation can run, and how a plain function becomes one.

A process is a function ``f(ctx: JobContext) -> None`` decorated with :func:`process`. It is found
through the ``jobsmith.processes`` entry-point group (how third-party packages plug in, and how the
built-ins are registered) or named in ``JOBSMITH_PROCESSES``. The registry is built explicitly by
:func:`load` and passed down; the decorator only attaches a description to the function.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.metadata
import inspect
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pydantic

from jobsmith.domain import errors

if TYPE_CHECKING:
    from jobsmith.processes.context import JobContext

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "jobsmith.processes"
_ATTRIBUTE = "__jobsmith_process__"

ProcessFunction = Callable[["JobContext"], None]
ArchiveLayout = Callable[[str, Mapping[str, Any], str], str | None]
MAX_STEP_NAME = 500  # the width of ``job_steps.name``
_ARCHIVE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class NoParameters(pydantic.BaseModel):
    """The parameters of a process that takes none."""

    model_config = pydantic.ConfigDict(extra="forbid")


@dataclasses.dataclass(frozen=True)
class FileInput:
    """A named file input of a process."""

    name: str
    description: str = ""
    required: bool = True
    multiple: bool = False
    media_types: tuple[str, ...] = ("*/*",)


@dataclasses.dataclass(frozen=True)
class Archive:
    """A zip of a job's results that a face serves besides the zip of all of them, laid out its own way.

    ``layout(result_path, job_metadata, job_id)`` gives the path of a result inside the archive, or
    None to leave the result out. The worker calls it for every result file as the job completes
    (in the worker, not in the job's process: it must be quick and pure) and writes the archive once,
    in the same read of each file as the results' manifest and zip; faces only send the file. When
    two results get the same path, the first in result order keeps it and the other is left out.
    ``name`` (lower-case letters, digits, ``-`` and ``_``) names the archive to the faces.
    """

    name: str
    layout: ArchiveLayout

    def __post_init__(self) -> None:
        if not _ARCHIVE_NAME.fullmatch(self.name):
            raise ValueError(f"an archive name is 1 to 64 lower-case letters, digits, '-' and '_' "
                             f"(starting with a letter or digit), not {self.name!r}")


@dataclasses.dataclass(frozen=True)
class Process:
    """A runnable process: the function plus what the API tells clients about it."""

    id: str
    function: ProcessFunction
    title: str
    description: str
    version: str
    inputs: tuple[FileInput, ...]
    parameters: type[pydantic.BaseModel]
    outputs: tuple[str, ...]
    exclusive: bool
    archives: tuple[Archive, ...] = ()
    steps: tuple[str, ...] = ()
    """The steps a job of this process goes through, in order: shown ``queued`` from the job's creation.
    Empty: the process declares none and its steps appear as it enters them."""

    @property
    def needs_upload(self) -> bool:
        """A job of this process waits for data when any input is required."""
        return any(i.required for i in self.inputs)

    @property
    def queues_on_upload(self) -> bool:
        """One file per input: the upload that fills the last required input queues the job."""
        return not any(i.multiple for i in self.inputs)

    def archive_layouts(self, metadata: dict[str, Any], job_id: str) -> dict[str, Callable[[str], str | None]]:
        """Each declared archive's layout bound to one job: the result path is all it still needs
        (what the worker completing the job hands to the blob store's sealing)."""
        return {archive.name: functools.partial(_lay_out, archive.layout, metadata=metadata, job_id=job_id)
                for archive in self.archives}

    def input(self, name: str) -> FileInput:
        for candidate in self.inputs:
            if candidate.name == name:
                return candidate
        names = ", ".join(i.name for i in self.inputs) or "none"
        raise errors.Invalid(
            f"process {self.id!r} has no input named {name!r} (its inputs: {names})", code="unknown_input"
        )

    def validate_parameters(self, raw: dict[str, Any]) -> pydantic.BaseModel:
        """Parameters as the process will see them, defaults filled in; a 422 names the fault."""
        try:
            return self.parameters.model_validate(raw)
        except pydantic.ValidationError as exc:
            faults = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'parameters'}: {e['msg']}" for e in exc.errors()
            )
            raise errors.Invalid(
                f"invalid parameters for process {self.id!r}: {faults}", code="invalid_parameters"
            ) from None


def process(
    id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    version: str = "1.0.0",
    inputs: Iterable[FileInput] = (),
    parameters: type[pydantic.BaseModel] = NoParameters,
    outputs: Iterable[str] = (),
    exclusive: bool = False,
    archives: Iterable[Archive] = (),
    steps: Iterable[str] = (),
) -> Callable[[ProcessFunction], ProcessFunction]:
    """Declare ``function`` a jobsmith process. The function itself is returned unchanged.

    ``archives`` are the zips its faces serve besides the zip of all results (:class:`Archive`), each
    under a name of its own. ``steps`` names the steps it enters with ``ctx.step(name)``, in order: a
    new job shows them all ``queued``, and a declared step the job never enters ends as ``skip``. A
    step entered but not declared is added after the declared ones as the job reaches it; declaring
    none at all keeps that behaviour for every step.
    """
    declared = tuple(archives)
    names = [a.name for a in declared]
    if len(set(names)) < len(names):
        raise ValueError(f"process {id!r} declares two archives of one name: {', '.join(sorted(names))}")
    step_names = _step_names(id, steps)

    def decorate(function: ProcessFunction) -> ProcessFunction:
        doc = inspect.getdoc(function) or ""
        spec = Process(
            id=id,
            function=function,
            title=title or doc.split("\n", 1)[0] or id,
            description=description or doc,
            version=version,
            inputs=tuple(inputs),
            parameters=parameters,
            outputs=tuple(outputs),
            exclusive=exclusive,
            archives=declared,
            steps=step_names,
        )
        setattr(function, _ATTRIBUTE, spec)
        return function

    return decorate


def _step_names(process_id: str, steps: Iterable[str]) -> tuple[str, ...]:
    """Declared step names, checked once at import: a job view cannot show two steps of one name."""
    names = tuple(steps)
    if any(not isinstance(n, str) or not n.strip() or len(n) > MAX_STEP_NAME for n in names):
        raise ValueError(f"process {process_id!r}: a step name is 1 to {MAX_STEP_NAME} characters, not blank")
    if len(set(names)) < len(names):
        raise ValueError(f"process {process_id!r} declares a step twice: {', '.join(names)}")
    return names


def describe(obj: object) -> Process | None:
    """The :class:`Process` attached to ``obj`` by the decorator, if any."""
    if isinstance(obj, Process):
        return obj
    spec = getattr(obj, _ATTRIBUTE, None)
    return spec if isinstance(spec, Process) else None


class Registry:
    """Processes by id. Built once at start-up; read-only afterwards."""

    def __init__(self, processes: Iterable[Process] = ()) -> None:
        self._by_id: dict[str, Process] = {}
        for spec in processes:
            self.add(spec)

    def add(self, spec: Process) -> None:
        existing = self._by_id.get(spec.id)
        if existing is not None and existing.function is not spec.function:
            raise ValueError(f"two processes are registered as {spec.id!r}")
        self._by_id[spec.id] = spec

    def get(self, process_id: str) -> Process:
        try:
            return self._by_id[process_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise errors.NotFound(
                f"unknown process {process_id!r}; this server runs: {known}", code="unknown_process"
            ) from None

    def __contains__(self, process_id: object) -> bool:
        return process_id in self._by_id

    def all(self) -> list[Process]:
        return [self._by_id[k] for k in sorted(self._by_id)]


def _from_target(target: str) -> list[Process]:
    """``module`` (every decorated function in it) or ``module:attribute``."""
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    if attribute:
        spec = describe(getattr(module, attribute))
        if spec is None:
            raise ValueError(f"{target} is not a jobsmith process (decorate it with @process)")
        return [spec]
    found = [s for s in (describe(v) for v in vars(module).values()) if s is not None]
    return list({id(s): s for s in found}.values())  # an alias is one process; two under one id clash in add()


def load(extra: str = "", *, entry_points: bool = True) -> Registry:
    """Build the registry from entry points plus ``extra`` (comma list of import targets)."""
    registry = Registry()
    if entry_points:
        for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                spec = describe(entry.load())
            except Exception:
                log.exception("cannot load process entry point %s", entry.value)
                continue
            if spec is None:
                log.error("entry point %s is not a jobsmith process", entry.value)
                continue
            registry.add(spec)
    for target in filter(None, (t.strip() for t in extra.split(","))):
        for spec in _from_target(target):
            registry.add(spec)
    return registry


def _lay_out(layout: ArchiveLayout, path: str, *, metadata: dict[str, Any], job_id: str) -> str | None:
    return layout(path, metadata, job_id)
