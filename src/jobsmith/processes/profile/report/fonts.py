"""Fonts that draw names and values of any script, not as boxes: DejaVu Sans, then fallbacks found at run time.

DejaVu Sans ships with matplotlib, so it is always there; it covers Latin, Greek, Cyrillic,
Armenian, Georgian, Hebrew and much of Arabic, but no Chinese, Japanese, Korean or Indic script.
A character it lacks is looked up in the fonts installed on the system: the Noto font for the
character's script (``NotoSansDevanagari-Regular.ttf`` for ``क``, from Debian's
``fonts-noto-core``), then general Noto fonts, then WenQuanYi Micro Hei for Chinese, Japanese and
Korean (``fonts-wqy-microhei``; Droid Sans Fallback, ``fonts-droid-fallback``, has no Hangul).
Only TrueType outlines (``.ttf``, ``.ttc``) are taken: reportlab embeds no other kind, which
rules out the OpenType CJK fonts of ``fonts-noto-cjk``. Without any of these the text is still
written, with boxes for what DejaVu Sans lacks.

Both the plots (matplotlib, :func:`matplotlib_families`) and the PDF (reportlab, :func:`runs`)
take their fallbacks from here, so a name is drawn alike in both. Neither shapes text: Arabic
letters are drawn in their isolated forms and Indic conjuncts unjoined, but drawn.
"""

from __future__ import annotations

import functools
import os
import pathlib
import unicodedata
from collections.abc import Iterable

import matplotlib
from matplotlib import font_manager, ft2font

BASE = pathlib.Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
BASE_BOLD = BASE.with_name("DejaVuSans-Bold.ttf")
FONT_DIRS = (pathlib.Path("/usr/share/fonts"), pathlib.Path("/usr/local/share/fonts"))
"""Where system fonts are looked for (Debian's font packages install under ``/usr/share/fonts``)."""
EAST_ASIAN = ("wqy-microhei.ttc", "DroidSansFallbackFull.ttf", "DroidSansFallback.ttf")
GENERAL = ("NotoSans-Regular.ttf", "NotoSansSymbols-Regular.ttf", "NotoSansSymbols2-Regular.ttf",
           "NotoSansMath-Regular.ttf")
EAST_ASIAN_NAMES = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC", "FULLWIDTH", "HALFWIDTH",
                    "KANGXI", "YI")
"""First words of the Unicode character names of the scripts the :data:`EAST_ASIAN` fonts cover."""


def runs(text: str) -> list[tuple[str, pathlib.Path | None]]:
    """``text`` cut into runs drawn by one font each: None for DejaVu Sans, else a fallback's file.

    A character no font has stays in the run it appears in (it is drawn as a box either way).
    """
    base = _base_chars()
    pieces: list[tuple[str, pathlib.Path | None]] = []
    for char in text:
        font = None if ord(char) in base else font_for(char)
        if font is None and ord(char) not in base and pieces:
            font = pieces[-1][1]
        if pieces and pieces[-1][1] == font:
            pieces[-1] = (pieces[-1][0] + char, font)
        else:
            pieces.append((char, font))
    return pieces


def fallbacks(text: str) -> list[pathlib.Path]:
    """The fallback fonts ``text`` needs, in order of first use; empty for most text."""
    base = _base_chars()
    found = [font_for(char) for char in set(text) if ord(char) not in base]
    return sorted({path for path in found if path is not None}, key=str)


def matplotlib_families(texts: Iterable[str]) -> list[str]:
    """Font families for matplotlib's ``font.family``: DejaVu Sans, then the fallbacks ``texts``
    need, each made known to matplotlib's font manager (its cache may predate the fonts)."""
    needed: set[pathlib.Path] = set()
    for text in texts:
        needed.update(fallbacks(text))
    return ["DejaVu Sans", *(_matplotlib_family(path) for path in sorted(needed, key=str))]


@functools.cache
def _matplotlib_family(path: pathlib.Path) -> str:
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@functools.cache
def font_for(char: str) -> pathlib.Path | None:
    """The first installed fallback font that has ``char``: its script's, the general ones, then
    the East Asian one. None when none has it (or DejaVu Sans does)."""
    if ord(char) in _base_chars():
        return None
    for name in _candidates(char):
        path = _installed().get(name)
        if path is not None and ord(char) in _chars(path):
            return path
    return None


def _candidates(char: str) -> list[str]:
    """File names to try for ``char``, from its Unicode name: ``OL CHIKI LETTER LA`` gives
    ``NotoSansOl-Regular.ttf`` and ``NotoSansOlChiki-Regular.ttf``."""
    words = unicodedata.name(char, "").split()
    if words and words[0] in EAST_ASIAN_NAMES:
        return [*EAST_ASIAN, *GENERAL]
    scripts = ["".join(word.capitalize() for word in words[:length]) for length in (1, 2, 3) if len(words) >= length]
    return [*(f"NotoSans{script}-Regular.ttf" for script in scripts), *GENERAL, *EAST_ASIAN]


@functools.cache
def _installed() -> dict[str, pathlib.Path]:
    """Every TrueType file (or collection) under :data:`FONT_DIRS` by file name (the first found of a name)."""
    found: dict[str, pathlib.Path] = {}
    for root in FONT_DIRS:
        for folder, _, names in os.walk(root):
            for name in names:
                if name.endswith((".ttf", ".ttc")):
                    found.setdefault(name, pathlib.Path(folder) / name)
    return found


@functools.cache
def _base_chars() -> frozenset[int]:
    return _chars(BASE)


@functools.cache
def _chars(path: pathlib.Path) -> frozenset[int]:
    """The code points a font has glyphs for; empty for a file FreeType cannot read."""
    try:
        return frozenset(ft2font.FT2Font(str(path)).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()
