"""OCR engines behind the reference readers: a whole-image pass that finds text lines,
and a recogniser for one cropped region.

- RapidOCR (`rapidocr_onnxruntime`, PP-OCR models in ONNX inside its wheel; the
  `gen-stress[readers]` extra): detection, angle classification and recognition.
- Tesseract (the Debian package `tesseract-ocr`), called as the `tesseract` binary: the
  whole image in sparse-text mode (`--psm 11`), a crop as one line (`--psm 7`). Images
  are enlarged first: the whole image UPSCALE times, a crop to about CROP_PX tall
  (Tesseract wants letters some 20-40 px tall).

Engines are constructed by name; a missing one is a UserError naming how to install it.
Each reads the languages it has models for (`supports`): RapidOCR's bundled models read
Chinese and English; Tesseract reads every language whose Debian data package
(`tesseract-ocr-<code>`) is installed, passed as `-l`.
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


# gen-stress language code -> Tesseract traineddata (Debian: tesseract-ocr-<name, "_" as "-">).
TESSERACT_LANGUAGES = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "ru": "rus", "uk": "ukr", "el": "ell", "ar": "ara",
    "fa": "fas", "he": "heb", "hi": "hin", "mr": "mar", "bn": "ben", "th": "tha", "zh": "chi_sim", "ja": "jpn",
    "ko": "kor",
}
# Outside the Latin script Tesseract also loads English ("ara+eng"): codes, dates and prices
# hold Latin digits. Measured on rendered words, pseudowords, prices, dates and codes of
# each language (60 crops, 40 px): Arabic 0.23 -> 0.43 exact, Greek 0.43 -> 0.62, Chinese
# 0.40 -> 0.48, Hebrew 0.65 -> 0.70; the others within a few points either way.
LATIN_SCRIPT = ("en", "de", "fr", "es")
RAPIDOCR_LANGUAGES = ("en", "zh")  # PP-OCR's Chinese recogniser, whose dictionary holds Latin too
# Scripts written without spaces between words: spaces an engine puts between their
# characters are dropped.
_UNSPACED = ("\u3040", "\u30ff", "\u3400", "\u9fff", "\uff00", "\uffef", "\u0e00", "\u0e7f")


def _unspaced(char: str) -> bool:
    return any(lo <= char <= hi for lo, hi in zip(_UNSPACED[::2], _UNSPACED[1::2]))


def join_unspaced(text: str) -> str:
    """Drop the spaces an engine puts between two CJK, kana or Thai characters."""
    out = []
    for i, char in enumerate(text):
        if char == " " and 0 < i < len(text) - 1 and _unspaced(text[i - 1]) and _unspaced(text[i + 1]):
            continue
        out.append(char)
    return "".join(out)


def is_rtl(language: str) -> bool:
    return language in ("ar", "fa", "he")


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

    def supports(self, language: str) -> bool:
        return language in RAPIDOCR_LANGUAGES

    def unsupported(self, language: str) -> str:
        return f"rapidocr's bundled models do not read {language!r} (they read Chinese and English)"

    def lines(self, rgb: np.ndarray, language: str = "en") -> list[Line]:
        result, _ = self._engine(rgb)
        lines = []
        for quad, text, score in result or ():
            q = np.asarray(quad, dtype=float)
            box = (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))
            if text.strip():
                lines.append(Line(text.strip(), box, float(score)))
        return lines

    def read_crop(self, rgb: np.ndarray, language: str = "en") -> str:
        result, _ = self._engine(rgb, use_det=False, use_cls=True)
        return result[0][0].strip() if result else ""


class Tesseract:
    name = "tesseract"
    UPSCALE = 3
    CROP_PX = 40  # height a one-line crop is enlarged to

    def __init__(self):
        binary = shutil.which("tesseract")
        if binary is None:
            raise UserError(INSTALL_HINTS["tesseract"])
        self._binary = binary
        first = self._run(["--version"], b"").splitlines()
        self.version = first[0].strip() if first else "tesseract"
        listed = self._run(["--list-langs"], b"").splitlines()[1:]
        self.installed = frozenset(name.strip() for name in listed)

    def supports(self, language: str) -> bool:
        return TESSERACT_LANGUAGES.get(language) in self.installed and "eng" in self.installed

    def unsupported(self, language: str) -> str:
        data = TESSERACT_LANGUAGES.get(language)
        if data is None:
            return f"tesseract has no model for {language!r}"
        return f"tesseract has no {data!r} data here (apt-get install tesseract-ocr-{data.replace('_', '-')})"

    def _run(self, args: list[str], stdin: bytes) -> str:
        done = subprocess.run([self._binary, *args], input=stdin, capture_output=True, check=False)
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"tesseract failed: {message[-1] if message else done.returncode}")
        return done.stdout.decode("utf-8", "replace")

    def _png(self, rgb: np.ndarray, scale: float | None = None) -> bytes:
        from PIL import Image

        image = Image.fromarray(rgb)
        scale = self.UPSCALE if scale is None else scale
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    @staticmethod
    def models(language: str) -> str:
        """The `-l` argument for a language."""
        own = TESSERACT_LANGUAGES[language]
        return own if language in LATIN_SCRIPT else f"{own}+eng"

    def lines(self, rgb: np.ndarray, language: str = "en") -> list[Line]:
        tsv = self._run(["stdin", "stdout", "--psm", "11", "-l", self.models(language), "tsv"], self._png(rgb))
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
            members.sort(key=lambda m: -m[2] if is_rtl(language) else m[0])  # words in reading order
            box = (min(m[0] for m in members), min(m[1] for m in members), max(m[2] for m in members),
                   max(m[3] for m in members))
            text = join_unspaced(" ".join(m[5] for m in members))
            lines.append(Line(text, box, float(np.mean([m[4] for m in members]))))
        return lines

    def read_crop(self, rgb: np.ndarray, language: str = "en") -> str:
        # One line, enlarged to about CROP_PX tall (at most UPSCALE times): Tesseract's
        # recogniser reads worse on letters far larger than it was trained on (3x of a
        # 32 px Thai word read 18 of 30 exactly, about 40 px tall 26 of 30).
        scale = min(self.UPSCALE, max(1.0, self.CROP_PX / max(1, rgb.shape[0])))
        out = self._run(["stdin", "stdout", "--psm", "7", "-l", self.models(language)], self._png(rgb, scale))
        return join_unspaced(" ".join(out.split()))


def make_engine(name: str):
    if name not in ENGINES:
        raise UserError(f"unknown reader {name!r}; choose from {', '.join(ENGINES)}")
    return RapidOcr() if name == "rapidocr" else Tesseract()
