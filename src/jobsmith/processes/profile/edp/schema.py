"""The JSON Schema of the Extended Dataset Profile, version 0.26.1, shipped inside the package.

Every ``edp.json`` the profile writes must validate against it, so that dataspace catalogues that
read EDPs accept ours unchanged; it is the schema the Mission-KI ``extended_dataset_profile``
models publish, byte for byte. It ships with the code so that a clone or an installed package can
check its own output. The product itself does not validate at run time: the tests do, and
``jsonschema`` is a test dependency only.
"""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

FILE_NAME = "edp-schema-0.26.1.json"
"""Next to this module, declared as package data in ``pyproject.toml``; its version is
:data:`.document.SCHEMA_VERSION`."""


def load() -> dict[str, Any]:
    """The schema as a new dict on every call, so a caller may change its copy without affecting others."""
    text = importlib.resources.files(__package__).joinpath(FILE_NAME).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
