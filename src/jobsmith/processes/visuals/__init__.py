"""Visualizations of RF recordings and tables: ``spectrogram``, ``waterfall``, ``heatmap``, ``scatterplot``.

Each process writes ``<process id>.png`` and, beside it, ``<process id>.json`` with the numbers the
picture was drawn from, so a web page can draw them itself. The process modules import only what
the registry needs; numpy, scipy, sigmf, DuckDB and matplotlib are imported when a job runs, so
loading the registry stays cheap for the API server.
"""

from __future__ import annotations
