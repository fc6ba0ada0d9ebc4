"""jobsmith processes/builtin."""

from __future__ import annotations
