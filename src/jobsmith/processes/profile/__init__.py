"""The built-in ``profile`` process: a dataset in, an Extended Dataset Profile (EDP) out.

One package per stage: :mod:`.readers` recognise the format from the content and open every table
in DuckDB; :mod:`.analysis` computes the EDP's figures in a few scans and hands over small
aggregates (:mod:`.analysis.model`); :mod:`.edp` turns the analysis' summaries into the EDP
document (the analysis calls it) and ships the schema that document must meet; :mod:`.report`
draws the plots and renders the HTML and PDF reports from the aggregates. :mod:`.process` ties
them into the job: it is the registered entry point and imports the stages only when a job runs,
so loading the registry stays cheap.
"""

from __future__ import annotations
