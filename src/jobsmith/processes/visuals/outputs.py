"""Writing a visualization's two results: the PNG (matplotlib's Agg canvas, no pyplot) and its JSON.

No pyplot means no global figure registry to leak in a long-lived job host; the JSON never holds
NaN or infinity (not JSON), which become null.
"""

from __future__ import annotations

import json
import math
import pathlib
from typing import Any

import numpy as np
from matplotlib import figure
from matplotlib.backends import backend_agg

DPI = 100


def new_figure(width: float, height: float) -> figure.Figure:
    """A white figure laid out by constrained layout, so labels and colour bars never overlap."""
    return figure.Figure(figsize=(width, height), dpi=DPI, layout="constrained", facecolor="white")


def save_png(fig: figure.Figure, target: pathlib.Path) -> None:
    backend_agg.FigureCanvasAgg(fig)
    fig.savefig(target, format="png", dpi=DPI)


def write_json(document: dict[str, Any], target: pathlib.Path) -> None:
    target.write_text(json.dumps(_plain(document), allow_nan=False, ensure_ascii=False, separators=(",", ":")))


def rounded(values: Any, digits: int) -> Any:
    """A numpy array as nested lists of floats rounded to ``digits`` (non-finite values as None)."""
    return _plain(np.round(np.asarray(values, dtype=np.float64), digits))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def frequency_unit(frequencies: Any) -> tuple[float, str]:
    """The divisor and name of the unit an axis over ``frequencies`` is labelled in: the one in which
    its span is at least 1, so ticks 2 MHz apart around 2.4 GHz read 2399.5, 2400.0 (MHz), not
    2.3995, 2.4000 (GHz)."""
    span = float(np.max(frequencies) - np.min(frequencies)) if np.size(frequencies) > 1 else 0.0
    return _unit(span or (float(np.max(np.abs(frequencies))) if np.size(frequencies) else 0.0))


def _unit(value: float) -> tuple[float, str]:
    for divisor, name in ((1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if abs(value) >= divisor:
            return divisor, name
    return 1.0, "Hz"


def hertz(value: float) -> str:
    """A frequency for a title: ``2.4 GHz``, ``12.5 kHz``."""
    divisor, name = _unit(value)
    return f"{value / divisor:.6g} {name}"
