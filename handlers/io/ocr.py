"""The text of a picture or of a scanned PDF, read by Tesseract (OCR) when it is installed.

Optional system tools: ``tesseract`` with its Vietnamese data (``tesseract-ocr-vie``) and, for a
PDF, ``pdftoppm`` (poppler-utils), which renders each page as a picture first. Without them
:func:`ocr_available` is false and the caller says that the document has no text layer.

Each tool runs as a subprocess with a timeout, in a temporary directory that is removed
afterwards; the calls block (run them in a thread). What Tesseract reads is text with its noise
(letters misread, diacritics lost): the plan reader expects that.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from handlers.domain.errors import UserError

__all__ = ["IMAGE_SUFFIXES", "OCR_LANG", "OCR_PAGES", "ocr_available", "ocr_image", "ocr_pdf"]

_LOGGER = logging.getLogger(__name__)

#: Tesseract's language data used (Vietnamese).
OCR_LANG = "vie"
#: The most pages of a scanned PDF read.
OCR_PAGES = 20
#: Picture types Tesseract reads.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
#: Seconds allowed to list the languages, to read one page, to render a PDF's pages.
_LIST_TIMEOUT = 15.0
_PAGE_TIMEOUT = 90.0
_RENDER_TIMEOUT = 120.0
#: Resolution pages are rendered at (Tesseract reads best at about 300 dpi).
_DPI = 300


def ocr_available(*, pdf: bool = False) -> bool:
    """Whether Tesseract with Vietnamese is installed (and ``pdftoppm`` too, for a PDF)."""
    exe = shutil.which("tesseract")
    if exe is None or (pdf and shutil.which("pdftoppm") is None):
        return False
    try:
        found = subprocess.run(
            [exe, "--list-langs"],
            capture_output=True,
            text=True,
            timeout=_LIST_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as err:
        _LOGGER.warning("tesseract --list-langs failed: %s", err)
        return False
    return OCR_LANG in (found.stdout + found.stderr).split()


def _run(args: list[str], name: str, timeout: float) -> str:
    """Run a tool; its standard output, or ``plan_file_ocr_failed`` naming the file."""
    try:
        done = subprocess.run(
            args, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        _LOGGER.warning("%s timed out after %.0f s on %s", args[0], timeout, name)
        raise UserError("plan_file_ocr_failed", name=name) from None
    except OSError as err:
        _LOGGER.warning("%s could not run on %s: %s", args[0], name, err)
        raise UserError("plan_file_ocr_failed", name=name) from None
    if done.returncode != 0:
        _LOGGER.info(
            "%s failed on %s (%d): %s",
            args[0],
            name,
            done.returncode,
            done.stderr.decode("utf-8", "replace")[-500:],
        )
        raise UserError("plan_file_ocr_failed", name=name)
    return done.stdout.decode("utf-8", "replace").replace("\f", "\n")


def ocr_image(path: Path, *, name: str | None = None) -> str:
    """The text Tesseract reads in the picture ``path`` (``name``: the file, for messages).

    Raises:
        UserError: ``plan_file_ocr_failed`` when Tesseract fails or takes too long.
    """
    return _run(
        ["tesseract", str(path), "stdout", "-l", OCR_LANG, "--psm", "3"],
        name or path.name,
        _PAGE_TIMEOUT,
    )


def ocr_pdf(path: Path, *, pages: int = OCR_PAGES) -> str:
    """The text of the first ``pages`` pages of a scanned PDF: each rendered, then read.

    Raises:
        UserError: ``plan_file_ocr_failed`` when a tool fails or takes too long.
    """
    with tempfile.TemporaryDirectory(prefix="tdkt-ocr-") as folder:
        stem = Path(folder) / "page"
        render = ["pdftoppm", "-r", str(_DPI), "-gray", "-png", "-f", "1", "-l", str(pages)]
        _run([*render, str(path), str(stem)], path.name, _RENDER_TIMEOUT)
        images = sorted(Path(folder).glob("page*.png"))
        if not images:
            raise UserError("plan_file_ocr_failed", name=path.name)
        return "\n".join(ocr_image(image, name=path.name) for image in images)
