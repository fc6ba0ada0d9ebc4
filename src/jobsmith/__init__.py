"""jobsmith: a job service for data work.

``jobsmith.submit(...)`` creates, uploads and queues a job in one call (against a server, or an
``jobsmith.EmbeddedService`` the application runs itself). They load on first use, so that
``import jobsmith`` stays cheap for the command line and the workers.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {"submit": "jobsmith.submission", "Job": "jobsmith.submission", "JobNotCompleted": "jobsmith.submission",
         "EmbeddedService": "jobsmith.embedded"}
__all__ = ["EmbeddedService", "Job", "JobNotCompleted", "__version__", "submit"]


def __getattr__(name: str) -> Any:
    """The lazy names above; no import here at module level, so that importing any part of jobsmith
    (a worker, a process) loads neither the faces nor the service."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jobsmith' has no attribute {name!r}")
