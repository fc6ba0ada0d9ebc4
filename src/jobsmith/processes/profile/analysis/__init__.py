"""The analysis stage of the ``profile`` process: datasets opened in DuckDB in; the EDP, plot requests and notes out.

:func:`.datasets.analyse` is the entry point. :mod:`.table_profile` profiles one table in as few
scans as possible: type inference (:mod:`.infer`, :mod:`.parsers`), then :mod:`.numeric`,
:mod:`.strings`, :mod:`.temporal`, :mod:`.seasonality`, :mod:`.correlation` and
:mod:`.distribution` (the SQL among them built from :mod:`.sqlbits`). :mod:`.model` is what the
analysis hands to the plots and the report.

Nothing is imported here: the process registry loads :mod:`.options` to describe the process's
parameters, and that must not pull in DuckDB, SciPy or statsmodels.
"""

from __future__ import annotations
