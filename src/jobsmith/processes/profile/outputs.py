"""The names of the files the ``profile`` process writes at the root of its results.

Read by its declaration (the decorator in :mod:`.process`) and by its dataspace archive
(:mod:`.dataspace_archive`). Plots go under ``<dataset name>/`` (:mod:`.paths`).
"""

from __future__ import annotations

EDP = "edp.json"
ALERTS = "alerts.json"
"""The data-quality alerts: a JSON list of ``model.Alert.as_json()``, in the order the report shows them."""
REPORT_PDF = "report.pdf"
REPORT_HTML = "report.html"
PLOTS = "<dataset name>/<plot>.png"
