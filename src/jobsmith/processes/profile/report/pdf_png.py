"""Plots in the PDF as they are: a PNG's compressed rows become the image stream, never decoded.

reportlab's own path decodes every PNG, recompresses it at zlib's default level and hashes it:
two thirds of the PDF's build time (0.35 of 0.54 CPU-s for the 200 MB benchmark's 32 plots).
"""

from __future__ import annotations

import dataclasses
import hashlib
import pathlib
import struct
from typing import Any

from reportlab import platypus  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfdoc  # type: ignore[import-untyped]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclasses.dataclass(frozen=True)
class PngRows:
    """The compressed rows of an 8-bit RGB PNG, which a PDF image stream can hold as they are."""

    width: int
    height: int
    rows: bytes

    @classmethod
    def read(cls, path: pathlib.Path) -> PngRows | None:
        """The rows of ``path``; None unless it is a non-interlaced 8-bit RGB PNG (as plots draws them)."""
        data = path.read_bytes()
        if data[:8] != PNG_SIGNATURE:
            return None
        header, rows, at = b"", [], 8
        while at + 8 <= len(data):
            (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
            chunk = data[at + 8:at + 8 + length]
            header = chunk if kind == b"IHDR" else header
            if kind == b"IDAT":
                rows.append(chunk)
            at += 12 + length
        if len(header) != 13 or header[8:13] != b"\x08\x02\x00\x00\x00" or not rows:
            return None  # not 8 bits, RGB, deflate, adaptive filters, no interlace
        width, height = struct.unpack(">II", header[:8])
        return cls(width, height, b"".join(rows))


class _PngXObject(pdfdoc.PDFImageXObject):  # type: ignore[misc]
    """An image XObject whose stream is a PNG's compressed rows: PDF's Flate filter undoes the PNG
    row filters itself (``/Predictor 15``), so the pixels are never decoded and compressed again.

    ``/Filter`` is one name and ``/DecodeParms`` one dictionary: the PDF format pairs them by
    shape, and an array of filters with a lone dictionary makes poppler, PDFium and MuPDF drop
    the predictor and draw every plot black (pypdf accepts either, so only a renderer shows it).

    reportlab's own path decodes every PNG, recompresses it at zlib's default level and hashes
    it: two thirds of the PDF's build time (0.35 of 0.54 CPU-s for the 200 MB benchmark's 32 plots).
    """

    def __init__(self, name: str, png: PngRows) -> None:
        super().__init__(name)
        self.width, self.height, self.streamContent = png.width, png.height, png.rows
        self.bitsPerComponent, self.colorSpace, self._filters, self.mask = 8, "DeviceRGB", ("FlateDecode",), None

    def format(self, document: Any) -> Any:
        stream = pdfdoc.PDFStream(content=self.streamContent)
        stream.dictionary.dict.update({
            "Type": pdfdoc.PDFName("XObject"), "Subtype": pdfdoc.PDFName("Image"), "Width": self.width,
            "Height": self.height, "BitsPerComponent": 8, "ColorSpace": pdfdoc.PDFName("DeviceRGB"),
            "Filter": pdfdoc.PDFName("FlateDecode"), "Length": len(self.streamContent),
            "DecodeParms": pdfdoc.PDFDictionary({"Predictor": 15, "Colors": 3, "BitsPerComponent": 8,
                                                 "Columns": self.width}),
        })
        return stream.format(document)


class PngFlowable(platypus.Flowable):  # type: ignore[misc]
    """A plot drawn at ``width`` x ``height`` points from its PNG rows (see :class:`_PngXObject`)."""

    def __init__(self, png: PngRows, width: float, height: float) -> None:
        super().__init__()
        self._png, self.drawWidth, self.drawHeight = png, width, height
        self.hAlign = "CENTER"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.drawWidth, self.drawHeight

    def draw(self) -> None:
        draw_png(self.canv, self._png, self.drawWidth, self.drawHeight)


def draw_png(canvas: Any, png: PngRows, width: float, height: float) -> None:
    """Draw ``png`` at the origin, registered once as an XObject as ``drawImage`` registers images."""
    name = f"jsm-png-{hashlib.sha256(png.rows).hexdigest()[:32]}"
    registered = canvas._doc.getXObjectName(name)
    if registered not in canvas._doc.idToObject:
        image = _PngXObject(name, png)
        canvas._setXObjects(image)
        canvas._doc.Reference(image, registered)
        canvas._doc.addForm(name, image)
    canvas._currentPageHasImages = 1
    canvas.saveState()
    canvas.scale(width, height)
    canvas._code.append(f"/{registered} Do")
    canvas.restoreState()
    canvas._formsinuse.append(name)
