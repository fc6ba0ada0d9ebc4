"""The typed table written in the reader's pass over a delimited file (analysis/first_pass.py).

Each profile is compared with the same file profiled the way it was before the reader wrote the
typed table (its pass counting and sampling only, the analysis copying the file again): the
figures must be the same whether the first rows' types were kept or not.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import duckdb
import pytest

from jobsmith.processes.profile import readers
from jobsmith.processes.profile.analysis import datasets, first_pass, infer, model
from jobsmith.processes.profile.readers import sources

OPTIONS = datasets.AnalysisOptions(inference_sample_rows=100)


@pytest.fixture
def con(tmp_path: pathlib.Path) -> Iterator[duckdb.DuckDBPyConnection]:
    (tmp_path / "spill").mkdir()
    connection = duckdb.connect(config={"threads": 2, "temp_directory": str(tmp_path / "spill"),
                                        "memory_limit": "256MB"})
    yield connection
    connection.close()


def profile(con: duckdb.DuckDBPyConnection, path: pathlib.Path, work: pathlib.Path,
            sampling: sources.Sampling | None) -> tuple[readers.TabularSource, model.ProfileResult]:
    found = readers.read(path, con, display_name=path.name, work_dir=work, sampling=sampling)
    (source,) = found
    assert isinstance(source, readers.TabularSource)
    result = datasets.analyse(found, con, file_name=path.name, file_size=path.stat().st_size, sha256="ab" * 32,
                              metadata=None, options=OPTIONS)
    return source, result


def both(con: duckdb.DuckDBPyConnection, path: pathlib.Path,
         tmp_path: pathlib.Path) -> tuple[readers.TabularSource, model.ProfileResult, model.ProfileResult]:
    """The file profiled with the typed copy in the reader's pass, and as before (no copy there)."""
    source, once = profile(con, path, tmp_path / "a", infer.reader_sampling(OPTIONS.inference_sample_rows, OPTIONS.seed))
    _, twice = profile(con, path, tmp_path / "b", sources.Sampling(OPTIONS.inference_sample_rows, OPTIONS.seed))
    return source, once, twice


def leftovers(con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> list[str]:
    tables = [str(row[0]) for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    return tables + [path.name for path in (tmp_path / "spill").glob("jsm_store_*")]


def write(path: pathlib.Path, header: str, rows: list[str]) -> pathlib.Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_file_typed_alike_throughout_is_profiled_from_the_readers_copy(con: duckdb.DuckDBPyConnection,
                                                                         tmp_path: pathlib.Path) -> None:
    rows = [f"{i},{i % 7 * 1.5},2024-01-{1 + i % 28:02d} 10:00:00,{'abc'[i % 3]}x,n/a" if i % 50 == 0 else
            f"{i},{i % 7 * 1.5},2024-01-{1 + i % 28:02d} 10:00:00,{'abc'[i % 3]}x,{i % 11}" for i in range(3000)]
    path = write(tmp_path / "alike.csv", "id,value,when,code,score", rows)
    source, once, twice = both(con, path, tmp_path)
    assert source.typed is not None and source.row_count == 3000
    assert 'TRY_CAST("score" AS DOUBLE)' in source.typed.typing  # the placeholder in row 0 did not make it text
    assert once.edp == twice.edp and once.plots == twice.plots and once.notes == twice.notes
    assert once.edp["structuredDatasets"][0]["numericColumnCount"] == 3
    assert leftovers(con, tmp_path) == []


def test_a_column_typed_otherwise_further_down_is_copied_again_with_its_real_type(
        con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path) -> None:
    # empty in its first 500 rows: the first rows say text, the seeded sample says numbers
    rows = [f"{i},{'' if i < 500 else i * 0.25}" for i in range(3000)]
    path = write(tmp_path / "late.csv", "id,late", rows)
    source, once, twice = both(con, path, tmp_path)
    assert source.typed is not None and 'TRY_CAST("late"' not in source.typed.typing  # text by its first rows
    assert once.edp == twice.edp and once.notes == twice.notes
    numeric = {c["name"]: c for c in once.edp["structuredDatasets"][0]["numericColumns"]}
    assert numeric["late"]["nullCount"] == 500 and numeric["late"]["max"] == 2999 * 0.25
    assert leftovers(con, tmp_path) == []


def test_a_file_breaking_its_rules_further_down_is_read_again_relaxed(con: duckdb.DuckDBPyConnection,
                                                                     tmp_path: pathlib.Path) -> None:
    rows = [f"{i},{i * 2}" for i in range(2000)] + ["2000"] + [f"{i},{i * 2}" for i in range(2001, 2500)]
    path = write(tmp_path / "ragged.csv", "a,b", rows)
    source, once, twice = both(con, path, tmp_path)
    assert source.row_count == 2500
    assert any("fewer fields" in note for note in source.notes)
    assert once.edp == twice.edp and once.notes == twice.notes
    assert leftovers(con, tmp_path) == []


def test_a_copy_too_large_for_memory_goes_to_a_scratch_file_and_is_removed(
        con: duckdb.DuckDBPyConnection, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [f"{i},{i % 13},word{i % 17}" for i in range(3000)]
    path = write(tmp_path / "wide.csv", "id,n,w", rows)
    _, in_memory, _ = both(con, path, tmp_path / "m")
    monkeypatch.setattr(first_pass, "typed_bytes", lambda *_: 2**62)
    source = readers.read(path, con, display_name=path.name, work_dir=tmp_path / "c",
                          sampling=infer.reader_sampling(OPTIONS.inference_sample_rows, OPTIONS.seed))[0]
    assert isinstance(source, readers.TabularSource) and source.typed is not None and source.typed.store is not None
    on_disk = datasets.analyse([source], con, file_name=path.name, file_size=path.stat().st_size, sha256="ab" * 32,
                               metadata=None, options=OPTIONS)
    assert on_disk.edp == in_memory.edp and on_disk.plots == in_memory.plots
    assert leftovers(con, tmp_path) == []
