"""The built-in ``profile`` process: a dataset in, an Extended Dataset Profile (EDP) out.

``readers`` recognise the format from the content and open every table in DuckDB; the analysis
modules compute the EDP's figures in a few scans; ``plots`` and ``report`` draw from the small
aggregates the analysis hands over (:mod:`.model`); :mod:`.process` ties them into the job.
"""
