"""OCR engines behind the reference readers: a whole-image pass that finds text lines,
and a recogniser for one cropped region.

- RapidOCR (`rapidocr_onnxruntime`, PP-OCR models in ONNX inside its wheel; the
  `gen-stress[readers]` extra): detection, angle classification and recognition.
- Tesseract (the Debian package `tesseract-ocr`), called as the `tesseract` binary: the
  whole image in sparse-text mode (`--psm 11`), a crop as one line (`--psm 7`). Images
  are enlarged UPSCALE times first: Tesseract wants letters about 20 px tall.

Engines are constructed by name; a missing one is a UserError naming how to install it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

from gen_stress.errors import UserError

ENGINES = ("rapidocr", "tesseract")
INSTALL_HINTS = {
    "rapidocr": "RapidOCR is not installed; install it with: pip install 'gen-stress[readers]'",
    "tesseract": "the tesseract binary is not on PATH; install it with: sudo apt-get install tesseract-ocr",
}


@dataclass(frozen=True)
class Line:
    """One text line the engine found: its text, its box in image pixels, its confidence."""

    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float

    @property
    def center(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)


class RapidOcr:
    name = "rapidocr"

    def __init__(self):
        try:
            from importlib.metadata import version

            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            raise UserError(INSTALL_HINTS["rapidocr"]) from None
        self.version = f"rapidocr_onnxruntime {version('rapidocr_onnxruntime')}"
        self._engine = RapidOCR()

    def lines(self, rgb: np.ndarray) -> list[Line]:
        result, _ = self._engine(rgb)
        lines = []
        for quad, text, score in result or ():
            q = np.asarray(quad, dtype=float)
            box = (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))
            if text.strip():
                lines.append(Line(text.strip(), box, float(score)))
        return lines

    def read_crop(self, rgb: np.ndarray) -> str:
        result, _ = self._engine(rgb, use_det=False, use_cls=True)
        return result[0][0].strip() if result else ""


class Tesseract:
    name = "tesseract"
    UPSCALE = 3

    def __init__(self):
        binary = shutil.which("tesseract")
        if binary is None:
            raise UserError(INSTALL_HINTS["tesseract"])
        self._binary = binary
        first = self._run(["--version"], b"").splitlines()
        self.version = first[0].strip() if first else "tesseract"

    def _run(self, args: list[str], stdin: bytes) -> str:
        done = subprocess.run([self._binary, *args], input=stdin, capture_output=True, check=False)
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"tesseract failed: {message[-1] if message else done.returncode}")
        return done.stdout.decode("utf-8", "replace")

    def _png(self, rgb: np.ndarray) -> bytes:
        from PIL import Image

        image = Image.fromarray(rgb)
        image = image.resize((image.width * self.UPSCALE, image.height * self.UPSCALE), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    def lines(self, rgb: np.ndarray) -> list[Line]:
        tsv = self._run(["stdin", "stdout", "--psm", "11", "-l", "eng", "tsv"], self._png(rgb))
        words: dict[tuple, list] = {}
        for row in tsv.splitlines()[1:]:
            cells = row.split("\t")
            if len(cells) < 12 or cells[0] != "5" or not cells[11].strip() or float(cells[10]) < 0:
                continue
            left, top, width, height = (int(c) / self.UPSCALE for c in cells[6:10])
            words.setdefault((cells[2], cells[3], cells[4]), []).append(
                (left, top, left + width, top + height, float(cells[10]) / 100, cells[11].strip()))
        lines = []
        for members in words.values():
            members.sort()
            box = (min(m[0] for m in members), min(m[1] for m in members), max(m[2] for m in members),
                   max(m[3] for m in members))
            lines.append(Line(" ".join(m[5] for m in members), box, float(np.mean([m[4] for m in members]))))
        return lines

    def read_crop(self, rgb: np.ndarray) -> str:
        return " ".join(self._run(["stdin", "stdout", "--psm", "7", "-l", "eng"], self._png(rgb)).split())


def make_engine(name: str):
    if name not in ENGINES:
        raise UserError(f"unknown reader {name!r}; choose from {', '.join(ENGINES)}")
    return RapidOcr() if name == "rapidocr" else Tesseract()
