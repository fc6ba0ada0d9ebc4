"""The human outputs of the ``profile`` process: PNG plots, ``report.html`` and ``report.pdf``.

:mod:`.plots` draws every plot from the small aggregates the analysis hands over, without the
data; :mod:`.view` turns the EDP into what the report says, once, and :mod:`.html_report` and
:mod:`.pdf_report` both render that view, so the two reports always say the same thing.
"""

from __future__ import annotations
