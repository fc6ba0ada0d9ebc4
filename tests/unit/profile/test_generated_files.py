"""Generated delimited files (hypothesis) through the whole profile: read, analyse, plots, EDP, report.

Whatever the bytes, the profile either completes with an EDP valid against the published schema and
a PDF report, or fails with :class:`context.JobFailed`: a sentence for the user. Any other exception
would reach the job as a bare ``SomeError: ...``, which the issue rules out.
"""

from __future__ import annotations

import json
import pathlib
import tempfile

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobsmith.processes import context
from jobsmith.processes.profile import process
from jobsmith.processes.profile.edp import schema
from tests.support.contexts import local_context

SCHEMA = schema.load()
_CELLS = st.one_of(
    st.integers(min_value=-10**15, max_value=10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10),
    st.sampled_from(["", "NA", "null", "n/a", "1,5", "1.234,5", "1,234.5", "12:30", "ä", '"a, b"', '"', "-",
                     "0", "1e308", "-0.0", "TRUE", "false"]),
)


def _profile_or_refusal(content: bytes) -> None:
    """Profile ``content`` uploaded as ``data.csv`` (connectors name everything so: the content decides)."""
    with tempfile.TemporaryDirectory() as scratch:
        root = pathlib.Path(scratch)
        source = root / "data.csv"
        source.write_bytes(content)
        options = process.ProfileOptions(memory_limit_mb=256)
        try:
            result = process.run(source, local_context(root, source, options), options)
        except context.JobFailed as refused:
            assert str(refused) and "\n" not in str(refused).strip()
            return
        jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(result.edp)
        assert (root / "out" / "report.pdf").read_bytes().startswith(b"%PDF")


@st.composite
def _delimited(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(min_value=1, max_value=5))
    rows = draw(st.lists(st.lists(_CELLS, min_size=width, max_size=width), max_size=40))
    lines = [delimiter.join(f"c{i}" for i in range(width))] if draw(st.booleans()) else []
    lines += [delimiter.join(row) for row in rows]
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))
    codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(codec, errors="replace")


# A character no installed font has (a private-use code point, say) is drawn as a box: matplotlib warns,
# and this suite turns warnings into errors; the plot and the report are still made.
@pytest.mark.filterwarnings("ignore:Glyph")
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(content=_delimited())
def test_any_delimited_file_is_profiled_or_refused_with_a_sentence(content: bytes) -> None:
    _profile_or_refusal(content)


_JSON_LEAF = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
              | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
              | st.dates().map(lambda d: d.isoformat()))
_RECORD = st.dictionaries(st.sampled_from(["a", "b", "c", "when", "nested"]),
                          st.recursive(_JSON_LEAF, lambda inner: st.lists(inner, max_size=3)
                                       | st.dictionaries(st.sampled_from(["x", "y"]), inner, max_size=2),
                                       max_leaves=4), max_size=5)


@st.composite
def _json_documents(draw: st.DrawFn) -> bytes:
    """A JSON array of records, NDJSON, or one nested document."""
    records = draw(st.lists(_RECORD, max_size=30))
    shape = draw(st.sampled_from(["array", "ndjson", "document"]))
    if shape == "array":
        return json.dumps(records).encode()
    if shape == "ndjson":
        return "\n".join(json.dumps(r) for r in records).encode()
    return json.dumps({"meta": {"n": len(records)}, "items": records}).encode()


@pytest.mark.filterwarnings("ignore:Glyph")
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(content=_json_documents())
def test_any_json_document_is_profiled_or_refused_with_a_sentence(content: bytes) -> None:
    _profile_or_refusal(content)
