"""The client's and the command line's own logic, without a server.

Argument parsing, safe extraction of a results zip, the mapping of server refusals to
:class:`JobsmithClientError`, settings precedence for ``serve``, rendering, and help. What a
user sees against a real server is tested end to end elsewhere.
"""

from __future__ import annotations

import io
import pathlib
import socket
import subprocess
import sys
import zipfile
from typing import Any

import httpx
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from jobsmith import client
from jobsmith.cli import commands as cli
from jobsmith.cli import render as cli_render

COMMANDS = ["serve", "migrate", "submit", "status", "jobs", "cancel", "log"]


# -- --param and --label -----------------------------------------------------------------------
def test_param_values_are_json_when_they_parse_and_strings_otherwise() -> None:
    parsed = cli.parse_params(["seconds=2", "cpu=true", "ratio=0.5", "name=abc", "items=[1,2]", "none=null",
                               "empty=", "quoted=\"2\"", "expr=a=b", "nan=NaN"])
    assert parsed == {"seconds": 2, "cpu": True, "ratio": 0.5, "name": "abc", "items": [1, 2], "none": None,
                      "empty": "", "quoted": "2", "expr": "a=b", "nan": "NaN"}


def test_a_later_param_with_the_same_key_wins() -> None:
    assert cli.parse_params(["n=1", "n=2"]) == {"n": 2}


@pytest.mark.parametrize("pair", ["novalue", "=value"])
def test_a_param_without_key_and_equals_sign_is_refused(pair: str) -> None:
    with pytest.raises(typer.BadParameter, match="key=value"):
        cli.parse_params([pair])


def test_label_values_stay_strings() -> None:
    assert cli.parse_labels(["team=data", "run=2"]) == {"team": "data", "run": "2"}


def test_a_bad_param_on_the_command_line_is_a_usage_error_not_a_traceback() -> None:
    result = CliRunner().invoke(cli.app, ["submit", "--process", "echo", "--param", "oops"])
    assert result.exit_code == 2
    assert "key=value" in result.output
    assert "Traceback" not in result.output


# -- safe extraction ---------------------------------------------------------------------------
def write_zip(path: pathlib.Path, members: dict[str, bytes]) -> pathlib.Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_extraction_writes_every_member_inside_the_destination(tmp_path: pathlib.Path) -> None:
    archive = write_zip(tmp_path / "results.zip", {"edp.json": b"{}", "data/plot.png": b"png"})
    destination = tmp_path / "out"
    with zipfile.ZipFile(archive) as opened:
        written = client.safe_extract(opened, destination)
    root = destination.resolve()
    assert written == [root / "edp.json", root / "data" / "plot.png"]
    assert (root / "data" / "plot.png").read_bytes() == b"png"


@pytest.mark.parametrize("evil", ["../evil", "data/../../evil", "/tmp/jobsmith-evil-absolute"])
def test_extraction_refuses_a_member_that_escapes_and_writes_nothing(tmp_path: pathlib.Path, evil: str) -> None:
    archive = write_zip(tmp_path / "results.zip", {"good.txt": b"ok", evil: b"owned"})
    destination = tmp_path / "out"
    destination.mkdir()
    with zipfile.ZipFile(archive) as opened, pytest.raises(client.UnsafeArchiveError, match="outside"):
        client.safe_extract(opened, destination)
    assert not (tmp_path / "evil").exists()
    assert not pathlib.Path("/tmp/jobsmith-evil-absolute").exists()
    assert list(destination.iterdir()) == []  # checked before anything was written


def test_extraction_refuses_to_follow_a_symlink_out_of_the_destination(tmp_path: pathlib.Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "out"
    destination.mkdir()
    (destination / "link").symlink_to(outside, target_is_directory=True)
    archive = write_zip(tmp_path / "results.zip", {"link/evil": b"owned"})
    with zipfile.ZipFile(archive) as opened, pytest.raises(client.UnsafeArchiveError):
        client.safe_extract(opened, destination)
    assert list(outside.iterdir()) == []


# -- error mapping (MockTransport stands in for the server's error body only) ------------------
def refusing(answer: httpx.Response) -> httpx.MockTransport:
    """A transport that answers every request with ``answer``: a stand-in for the server's refusal."""
    return httpx.MockTransport(lambda request: answer)


def test_a_json_refusal_becomes_a_client_error_with_status_code_and_detail() -> None:
    transport = refusing(httpx.Response(409, json={"detail": "job x is COMPLETED; it cannot be cancelled",
                                             "code": "state_conflict"}))
    with client.Client("http://server", transport=transport) as api, pytest.raises(client.JobsmithClientError) as info:
        api.cancel("x")
    error = info.value
    assert (error.status, error.code, error.detail) == (409, "state_conflict",
                                                        "job x is COMPLETED; it cannot be cancelled")
    assert str(error) == "job x is COMPLETED; it cannot be cancelled (HTTP 409, state_conflict)"


def test_a_refusal_that_is_not_json_keeps_its_text_as_the_detail() -> None:
    transport = refusing(httpx.Response(502, text="Bad Gateway from the proxy\n"))
    with client.Client("http://server", transport=transport) as api, pytest.raises(client.JobsmithClientError) as info:
        api.job("x")
    assert (info.value.status, info.value.code, info.value.detail) == (502, "http_error", "Bad Gateway from the proxy")


def test_a_refusal_of_a_streamed_download_is_mapped_the_same_way(tmp_path: pathlib.Path) -> None:
    transport = refusing(httpx.Response(410, json={"detail": "job x was deleted", "code": "gone"}))
    with client.Client("http://server", transport=transport) as api, pytest.raises(client.JobsmithClientError) as info:
        api.download_results("x", tmp_path / "out")
    assert (info.value.status, info.value.code, info.value.detail) == (410, "gone", "job x was deleted")


def test_a_failed_single_download_leaves_no_file_behind(tmp_path: pathlib.Path) -> None:
    transport = refusing(httpx.Response(404, json={"detail": "no result 'a.png'", "code": "not_found"}))
    with client.Client("http://server", transport=transport) as api, pytest.raises(client.JobsmithClientError):
        api.download_result("x", "a.png", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_cli_prints_a_refusal_as_one_error_line_and_exits_1() -> None:
    port = free_port()
    result = CliRunner().invoke(cli.app, ["status", "x", "--url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot reach http://127.0.0.1:{port}")
    assert result.stdout == ""
    assert "Traceback" not in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- serve's settings --------------------------------------------------------------------------
def test_serve_flags_override_the_environment_and_only_given_flags_count(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: pathlib.Path) -> None:
    monkeypatch.setenv("JOBSMITH_PORT", "9001")
    monkeypatch.setenv("JOBSMITH_WORKERS", "3")
    settings = cli.build_settings(host="0.0.0.0", port=None, data_dir=tmp_path, workers=None)
    assert (settings.host, settings.port, settings.data_dir, settings.workers) == ("0.0.0.0", 9001, tmp_path, 3)
    assert cli.build_settings(port=8123, workers=0).port == 8123
    assert cli.build_settings(port=8123, workers=0).workers == 0


def test_serve_refuses_invalid_settings_with_one_line() -> None:
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "1000"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid settings: JOBSMITH_WORKERS")


def test_serve_refuses_malformed_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBSMITH_API_KEYS", "justakey")
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 2
    assert "owner:key" in result.stderr


# -- rendering ---------------------------------------------------------------------------------
def rendered(renderable: object) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(renderable)
    return buffer.getvalue()


VIEW: dict[str, Any] = {"id": "7d0c2f5e-3a55-4b0f-9f55-0f5c1b8a2e11", "process": "inspect", "process_version": "1.0.0",
        "state": "FAILED", "state_detail": "column [x] is not numeric", "progress": 0.5, "labels": {"team": "data"},
        "priority": 0, "attempts": 1, "max_retries": 2, "created_at": "2024-05-01T10:00:00Z",
        "steps": [{"name": "read", "state": "success", "started_at": None, "ended_at": None, "message": None},
                  {"name": "stats", "state": "failure", "started_at": None, "ended_at": None, "message": "boom"}],
        "inputs": [{"input": "data", "name": "data.csv", "size": 2048, "sha256": "ab" * 32}],
        "results": [{"path": "edp.json", "size": 10, "sha256": "cd" * 32, "media_type": "application/json"}]}


def test_status_shows_state_detail_progress_steps_inputs_and_results() -> None:
    text = rendered(cli_render.job_view(VIEW))
    for expected in ("FAILED", "column [x] is not numeric", "50%", "team=data", "stats", "boom", "data.csv",
                     "2.0 KiB", "edp.json", "application/json"):
        assert expected in text


def test_a_job_list_keeps_ids_whole_in_80_columns() -> None:
    jobs = [dict(VIEW, state=state) for state in ("CANCELLATION_REQUESTED", "COMPLETED")]
    buffer = io.StringIO()
    Console(file=buffer, width=80, color_system=None).print(cli_render.job_list(jobs))
    lines = buffer.getvalue().splitlines()
    assert sum(VIEW["id"] in line for line in lines) == 2
    assert sum("CANCELLATION_REQUESTED" in line and "inspect" in line for line in lines) == 1


def test_times_are_shown_to_the_second_or_minute_in_utc() -> None:
    assert cli_render.time_text("2024-05-01T10:00:07.123456Z") == "2024-05-01 10:00:07Z"
    assert cli_render.minute_text("2024-05-01T10:00:07Z") == "2024-05-01 10:00"
    assert cli_render.clock_text("2024-05-01T10:00:07Z") == "10:00:07Z"
    assert cli_render.time_text(None) == ""


def test_the_current_step_is_the_running_one_else_the_last() -> None:
    steps = [{"name": "read", "state": "success"}, {"name": "plot", "state": "running", "message": "3 of 9"},
             {"name": "report", "state": "queued"}]
    assert cli_render.current_step({"steps": steps}) == "plot: 3 of 9"
    assert cli_render.current_step({"steps": steps[:1]}) == "read"
    assert cli_render.current_step({"steps": []}) == ""


def test_sizes_read_like_ls_h() -> None:
    assert [cli_render.size_text(n) for n in (0, 1023, 1024, 5 * 1024**2, 3 * 1024**4)] == [
        "0 B", "1023 B", "1.0 KiB", "5.0 MiB", "3.0 TiB"]


def test_the_final_line_names_the_state_and_its_reason() -> None:
    assert cli_render.final_line({"state": "FAILED", "state_detail": "out of memory"}).plain == "FAILED: out of memory"
    assert cli_render.final_line({"state": "COMPLETED", "state_detail": None}).plain == "COMPLETED"


# -- help --------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli.app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_submit_help_names_its_options() -> None:
    result = CliRunner().invoke(cli.app, ["submit", "--help"], terminal_width=200)
    for option in ("--process", "--param", "--label", "--priority", "--wait", "--output", "--url", "--api-key"):
        assert option in result.output


def test_the_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli.app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


def test_the_command_line_starts_without_the_http_client() -> None:
    """``jobsmith profile`` works offline: declaring the commands imports neither httpx nor the settings."""
    probe = "import sys, jobsmith.cli; print(sorted(m for m in ('httpx', 'jobsmith.client', 'jobsmith.config') " \
            "if m in sys.modules))"
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
    assert cli.DEFAULT_URL == client.DEFAULT_URL
