"""The processes every jobsmith installation has: ``echo``, ``inspect`` and ``sleep``.

They are registered through the ``jobsmith.processes`` entry points in ``pyproject.toml``, the same
way a third-party package adds its own, so the built-ins prove that path works.
"""

from __future__ import annotations
