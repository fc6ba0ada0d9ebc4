"""Content negotiation of the native face: which of two media types an ``Accept`` header asks for."""

from __future__ import annotations

import pytest

from jobsmith.api import preferences

JSON, TEXT = "application/json", "text/plain"


@pytest.mark.parametrize(("accept", "json"), [
    (None, False), ("", False), ("*/*", False), ("text/plain", False), ("text/*", False),
    ("application/json", True), ("application/*", True), ("Application/JSON", True),
    ("application/json, text/plain", False), ("text/plain, application/json", False),  # a tie: the default
    ("application/json;q=0.5, text/plain", False), ("text/plain;q=0.2, application/*", True),
    ("application/json;q=0, */*", False), ("application/json, */*;q=0.1", True),
    ("image/png", False), ("application/json;q=oops", False),
])
def test_json_only_when_the_client_prefers_it(accept: str | None, json: bool) -> None:
    assert preferences.prefers(accept, JSON, TEXT) is json
