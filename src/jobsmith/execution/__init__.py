"""jobsmith execution."""

from __future__ import annotations
