"""``python -m jobsmith`` is the ``jobsmith`` command."""

from __future__ import annotations

from jobsmith.cli import main

main()
