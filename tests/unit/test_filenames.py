from __future__ import annotations

import pytest

from jobsmith.api import errors as api_errors
from jobsmith.domain import errors, filenames


@pytest.mark.parametrize(("raw", "safe"), [
    ("data.csv", "data.csv"),
    ("../../etc/passwd", "passwd"),
    ("/abs/path/file.txt", "file.txt"),
    ("C:\\Users\\me\\report.xlsx", "report.xlsx"),
    (".hidden", "hidden"),
    ("Äöüß.csv", "Äöüß.csv"),
    ("semi;colon|pipe.csv", "semi_colon_pipe.csv"),
    ("line\nbreak.csv", "linebreak.csv"),
])
def test_names_are_reduced_to_a_safe_base_name(raw: str, safe: str) -> None:
    assert filenames.sanitise(raw) == safe


@pytest.mark.parametrize("raw", ["", "..", "../", "/", "...", "\x00\x01", "%%%"])
def test_names_with_nothing_usable_are_refused_with_422(raw: str) -> None:
    with pytest.raises(errors.Invalid) as refused:
        filenames.sanitise(raw)
    assert api_errors.status_of(refused.value) == 422
    assert "no usable characters" in refused.value.detail


def test_long_names_keep_their_extension() -> None:
    name = filenames.sanitise("x" * 500 + ".csv")
    assert len(name) <= filenames.MAX_LENGTH and name.endswith(".csv")
