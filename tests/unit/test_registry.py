"""The process registry: how functions become processes, how they are found, how parameters are checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic
import pytest

from jobsmith.domain import errors
from jobsmith.processes import context, registry

THIS_MODULE = __name__


class Greeting(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    name: str
    times: int = pydantic.Field(default=2, ge=1, le=10)
    loud: bool = False


@registry.process("test-registry-greet", parameters=Greeting,
                  inputs=[registry.FileInput("table", "A table."), registry.FileInput("notes", required=False)])
def greet(ctx: context.JobContext) -> None:
    """Greets someone a few times.

    Used by the registry tests only.
    """


@registry.process("test-registry-many", title="Takes many files",
                  inputs=[registry.FileInput("files", multiple=True)])
def many(ctx: context.JobContext) -> None:
    """Takes a list of files."""


def not_a_process(ctx: context.JobContext) -> None:
    """A plain function without the decorator."""


def test_the_built_ins_are_found_through_entry_points() -> None:
    found = registry.load()
    assert {"echo", "inspect", "sleep"} <= {p.id for p in found.all()}
    echo, inspect, sleep = found.get("echo"), found.get("inspect"), found.get("sleep")
    assert not echo.needs_upload, "a job of echo has no required input, so it is queued at creation"
    assert echo.input("files").multiple
    assert inspect.needs_upload and inspect.queues_on_upload
    assert sleep.inputs == () and not sleep.needs_upload
    assert found.get("inspect").function.__name__ == "inspect_files"


def test_a_module_attribute_target_loads_just_that_process() -> None:
    found = registry.load(f"{THIS_MODULE}:greet", entry_points=False)
    assert [p.id for p in found.all()] == ["test-registry-greet"]
    assert found.get("test-registry-greet").function is greet


def test_a_module_target_loads_every_decorated_function_in_it() -> None:
    found = registry.load(f" {THIS_MODULE} , ", entry_points=False)
    assert [p.id for p in found.all()] == ["test-registry-greet", "test-registry-many"]


def test_entry_points_and_extra_targets_combine() -> None:
    found = registry.load(f"{THIS_MODULE}:many")
    assert "test-registry-many" in found and "sleep" in found


def test_a_target_that_is_not_a_process_is_refused() -> None:
    with pytest.raises(ValueError, match="not a jobsmith process"):
        registry.load(f"{THIS_MODULE}:not_a_process", entry_points=False)


def test_a_target_in_a_missing_module_is_refused() -> None:
    with pytest.raises(ModuleNotFoundError):
        registry.load("tests.unit.no_such_module_here:thing", entry_points=False)


def test_the_decorator_describes_the_function_and_returns_it_unchanged() -> None:
    spec = registry.describe(greet)
    assert spec is not None and spec.function is greet
    assert spec.title == "Greets someone a few times."
    assert "Used by the registry tests only." in spec.description
    assert [i.name for i in spec.inputs] == ["table", "notes"]
    assert spec.needs_upload and spec.queues_on_upload
    assert registry.describe(not_a_process) is None
    assert registry.describe(spec) is spec


def test_an_explicit_title_wins_over_the_docstring() -> None:
    spec = registry.describe(many)
    assert spec is not None
    assert spec.title == "Takes many files" and spec.description == "Takes a list of files."
    assert not spec.queues_on_upload, "a multiple input waits for an explicit start"


def test_validate_parameters_fills_in_defaults() -> None:
    spec = registry.load(f"{THIS_MODULE}:greet", entry_points=False).get("test-registry-greet")
    params = spec.validate_parameters({"name": "Ada"})
    assert isinstance(params, Greeting)
    assert params.model_dump() == {"name": "Ada", "times": 2, "loud": False}


def test_the_sleep_parameters_have_their_documented_defaults() -> None:
    params = registry.load().get("sleep").validate_parameters({})
    assert params.model_dump() == {"seconds": 1.0, "cpu": False}


def test_bad_parameters_raise_invalid_with_a_sentence_naming_each_fault() -> None:
    spec = registry.load(f"{THIS_MODULE}:greet", entry_points=False).get("test-registry-greet")
    with pytest.raises(errors.Invalid) as caught:
        spec.validate_parameters({"times": 0, "colour": "red"})
    fault = caught.value
    assert fault.code == "invalid_parameters"  # an Invalid: a 422 on every face
    assert fault.detail.startswith("invalid parameters for process 'test-registry-greet': ")
    assert "name: Field required" in fault.detail
    assert "times: Input should be greater than or equal to 1" in fault.detail
    assert "colour: Extra inputs are not permitted" in fault.detail


def test_a_process_without_parameters_refuses_any() -> None:
    spec = registry.load(f"{THIS_MODULE}:many", entry_points=False).get("test-registry-many")
    assert spec.parameters is registry.NoParameters
    assert spec.validate_parameters({}).model_dump() == {}
    with pytest.raises(errors.Invalid, match="speed: Extra inputs are not permitted"):
        spec.validate_parameters({"speed": 3})


def test_a_second_process_with_the_same_id_is_refused() -> None:
    spec = registry.describe(greet)
    assert spec is not None

    @registry.process("test-registry-greet")
    def impostor(ctx: context.JobContext) -> None:
        """Claims an id that is taken."""

    other = registry.describe(impostor)
    assert other is not None
    with pytest.raises(ValueError, match="two processes are registered as 'test-registry-greet'"):
        registry.Registry([spec, other])


def test_an_extra_target_cannot_take_a_built_in_id() -> None:
    @registry.process("sleep")
    def fake_sleep(ctx: context.JobContext) -> None:
        """Not the real sleep."""

    found = registry.load()
    spec = registry.describe(fake_sleep)
    assert spec is not None
    with pytest.raises(ValueError, match="'sleep'"):
        found.add(spec)


def test_registering_the_same_process_twice_is_harmless() -> None:
    found = registry.load(f"{THIS_MODULE}:greet,{THIS_MODULE}", entry_points=False)
    assert len(found.all()) == 2


def test_an_unknown_process_is_not_found_and_the_message_lists_the_known_ones() -> None:
    found = registry.load(f"{THIS_MODULE}", entry_points=False)
    with pytest.raises(errors.NotFound) as caught:
        found.get("no-such-process")
    assert caught.value.code == "unknown_process"  # a NotFound: a 404 on every face
    assert caught.value.detail == (
        "unknown process 'no-such-process'; this server runs: test-registry-greet, test-registry-many"
    )
    assert "no-such-process" not in found


def test_an_empty_registry_says_it_runs_nothing() -> None:
    with pytest.raises(errors.NotFound, match="this server runs: none"):
        registry.Registry().get("echo")


def test_an_unknown_input_name_is_invalid() -> None:
    spec = registry.describe(greet)
    assert spec is not None
    assert spec.input("notes").required is False
    with pytest.raises(errors.Invalid, match=r"no input named 'data' \(its inputs: table, notes\)"):
        spec.input("data")


def flat(path: str, metadata: Mapping[str, Any], job_id: str) -> str | None:
    """An archive layout: every result at the root, the job's name in front; text files left out."""
    return None if path.endswith(".txt") else f"{metadata.get('name', job_id)}-{path.rsplit('/', 1)[-1]}"


def test_a_process_declares_the_archives_its_faces_serve() -> None:
    @registry.process("test-registry-archived", archives=[registry.Archive("flat", flat)])
    def archived(ctx: context.JobContext) -> None:
        """Writes nothing."""

    spec = registry.describe(archived)
    assert spec is not None and spec.archives == (registry.Archive("flat", flat),)
    assert spec.archives[0].layout("plots/a.png", {"name": "x"}, "j1") == "x-a.png"
    plain = registry.describe(greet)
    assert plain is not None and plain.archives == ()


@pytest.mark.parametrize("name", ["", "Dataspace", "../up", "a b", "a.zip", "-dash", "x" * 65])
def test_an_archive_name_is_a_plain_lower_case_name(name: str) -> None:
    with pytest.raises(ValueError, match="an archive name is"):
        registry.Archive(name, flat)


def test_two_archives_of_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="two archives of one name"):
        registry.process("test-registry-twice", archives=[registry.Archive("flat", flat)] * 2)
