"""The tabular processes: load, filter_rows, select_columns, aggregate, join, sort, limit and save.

Each is an ordinary process whose table arguments are file inputs and whose other arguments are
parameters, so a job of one of them runs on an uploaded file today and a node of a process graph
runs on the file the node before it wrote. Every step but ``save`` writes its table as one typed
``table.parquet``, which the next step reads fast; DuckDB streams every read and write (COPY), so
memory stays bounded whatever the size of the table.
"""
