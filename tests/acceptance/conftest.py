"""Fixtures shared by the acceptance tests: private brokers that a test may crash and start again."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from tests.support.cluster import RabbitMQServer, RedisServer


@pytest.fixture
def redis(tmp_path: pathlib.Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rabbitmq() -> Iterator[RabbitMQServer]:
    server = RabbitMQServer()
    server.start()
    yield server
    server.remove()
