"""Where the tests' data files are: inside the repository, so that a clone runs its own tests."""

from __future__ import annotations

import pathlib

EDP_TESTDATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "edp"
"""Sample inputs of the EDP service's test suite and a connector's ``user_provided_data.json``."""
