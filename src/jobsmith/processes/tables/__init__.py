"""The tabular processes: load, filter_rows, select_columns, aggregate, join, sort, limit and save.

Each is an ordinary process whose table arguments are file inputs and whose other arguments are
parameters, so a job of one of them runs on an uploaded file today and a node of a process graph
runs on the file the node before it wrote. Every step but ``save`` writes its table as one typed
``table.parquet``, which the next step reads fast; DuckDB streams every read and write (COPY), so
memory stays bounded whatever the size of the table.

The parts: :mod:`.declarations` (what the registry lists; imports nothing heavy), :mod:`.parameters`
(the argument shapes), :mod:`.reading` (any table file as a typed DuckDB view, through the profile's
format, encoding and dialect recognition), :mod:`.clauses` and :mod:`.queries` (each process as a
query over its input tables, from checked column names and bound values), :mod:`.work` (a job: read,
then one COPY into the result) and :mod:`.chain` (consecutive single-input steps as one statement,
with no file between them: what a graph engine can run for a run of tabular nodes).
"""
