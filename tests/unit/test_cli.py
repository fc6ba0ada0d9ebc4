"""The command line's own logic: argument parsing, safe extraction, error mapping, help."""

from __future__ import annotations

import io
import pathlib
import zipfile

import httpx
import pytest
import typer
from typer.testing import CliRunner

from jobsmith import cli, client


def test_params_are_json_when_they_parse_and_strings_otherwise() -> None:
    assert cli.parse_params(["seconds=2", "cpu=true", "name=abc", "list=[1,2]", "empty="]) == {
        "seconds": 2, "cpu": True, "name": "abc", "list": [1, 2], "empty": ""}
    with pytest.raises(typer.BadParameter):
        cli.parse_params(["novalue"])


def zip_with(member: str) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, b"data")
    buffer.seek(0)
    return zipfile.ZipFile(buffer)


def test_extraction_keeps_members_inside_the_destination(tmp_path: pathlib.Path) -> None:
    written = client.safe_extract(zip_with("plots/a.png"), tmp_path)
    assert written == [tmp_path.resolve() / "plots" / "a.png"]
    with pytest.raises(ValueError, match="outside"):
        client.safe_extract(zip_with("../evil.txt"), tmp_path / "sub")
    assert not (tmp_path / "evil.txt").exists()


def test_server_refusals_become_client_errors_with_their_code() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"detail": "job x is COMPLETED", "code": "state_conflict"})

    with client.Client("http://server", transport=httpx.MockTransport(handler)) as api:
        with pytest.raises(client.JobsmithClientError) as refused:
            api.cancel("x")
    assert (refused.value.status, refused.value.code, refused.value.detail) == (409, "state_conflict",
                                                                               "job x is COMPLETED")


@pytest.mark.parametrize("command", ["serve", "migrate", "submit", "status", "jobs", "cancel", "log"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli.app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_a_client_error_is_one_red_line_and_exit_code_1() -> None:
    result = CliRunner().invoke(cli.app, ["status", "x", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot reach http://127.0.0.1:9" in result.output
