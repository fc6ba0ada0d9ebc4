"""jobsmith processes."""

from __future__ import annotations
