"""The Extended Dataset Profile (EDP) written from the analysis' summaries, and the schema it must meet.

:mod:`.document` assembles the whole EDP (user metadata, asset facts, the datasets and their
tree); :mod:`.columns` builds each column object together with the plot requests it names, at the
result paths :mod:`.plot_paths` gives, so the EDP never names a plot that is not drawn.
:mod:`.schema` loads the JSON Schema shipped beside them, which every ``edp.json`` must validate
against.
"""

from __future__ import annotations
