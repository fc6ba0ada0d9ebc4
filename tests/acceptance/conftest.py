"""Fixtures shared by the acceptance tests: a private broker that a test may stop and start."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from tests.support.cluster import RedisServer


@pytest.fixture
def redis(tmp_path: pathlib.Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
