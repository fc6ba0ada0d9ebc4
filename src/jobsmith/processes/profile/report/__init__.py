"""The human outputs of the ``profile`` process: PNG plots, ``report.html`` and ``report.pdf``.

:mod:`.plots` draws every plot from the small aggregates the analysis hands over, without the
data (:mod:`.charts` per kind, :mod:`.fonts` for text of any script); :mod:`.view` turns the EDP
into what the report says, once (:mod:`.content`), and :mod:`.html_report` and :mod:`.pdf_report`
both render that view, so the two reports always say the same thing. Numbers are written by
:mod:`.numbers` in both, and in the plots.
"""

from __future__ import annotations
