"""The ``jobsmith`` command line: the service's roles (serve, worker, migrate) and a client."""

from __future__ import annotations

from jobsmith.cli.commands import app, main

__all__ = ["app", "main"]
