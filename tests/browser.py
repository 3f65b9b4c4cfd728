"""A real headless Chromium for the report tests, or the reason there is none (a test helper: not shipped).

Playwright drives it. Its own browser (`playwright install chromium`) is used when present; otherwise a
Chromium from the system (`EDI837_CHROMIUM`, else `chromium`, `chromium-browser`, `google-chrome` on PATH),
because the sandboxes and CI images this runs on often cannot download Playwright's build.
"""

from __future__ import annotations

import os
import re
import shutil
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def chromium_path() -> str | None:
    """The system Chromium to use when Playwright has no browser of its own."""
    named = os.environ.get("EDI837_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def browser() -> Iterator[Any]:
    """A launched Chromium; raises RuntimeError saying why when none can be started."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        raise RuntimeError("playwright is not installed (pip install -e '.[test]')") from exc
    with sync_playwright() as p:
        try:
            launched = p.chromium.launch()
        except Error:
            path = chromium_path()
            if path is None:
                raise RuntimeError("no Chromium: run `playwright install chromium`, install chromium, "
                                   "or set EDI837_CHROMIUM") from None
            launched = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def pdf_pages_text(pdf: bytes) -> list[str]:
    """The text of each page of a PDF Chromium printed (Skia's: no object streams, Type0 fonts with a
    ToUnicode map, text drawn as `<glyphs> Tj`), in page order; enough to ask what a printed page says
    without a PDF library. Text objects (BT ... ET) are separated by a space."""
    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", pdf, re.S)}

    def stream(number: int) -> bytes:
        body = objects[number].split(b"stream", 1)[1].lstrip(b"\r\n")
        return zlib.decompressobj().decompress(body)

    def cmap(number: int) -> dict[int, str]:
        text, out = stream(number).decode("latin-1"), {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for code, uni in re.findall(r"<([0-9A-F]+)>\s*<([0-9A-F]+)>", block):
                out[int(code, 16)] = bytes.fromhex(uni).decode("utf-16-be")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            for first, last, uni in re.findall(r"<([0-9A-F]+)>\s*<([0-9A-F]+)>\s*<([0-9A-F]+)>", block):
                for i in range(int(first, 16), int(last, 16) + 1):
                    out[i] = chr(int(uni, 16) + i - int(first, 16))
        return out

    pages_obj = next(body for body in objects.values() if b"/Type /Pages" in body)
    pages = []
    for page in re.findall(rb"(\d+) 0 R", pages_obj.split(b"/Kids", 1)[1]):
        body = objects[int(page)]
        fonts = {name.decode(): cmap(int(re.search(rb"/ToUnicode (\d+) 0 R", objects[int(ref)]).group(1)))  # type: ignore[union-attr]
                 for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body)}
        content = stream(int(re.search(rb"/Contents (\d+) 0 R", body).group(1)))  # type: ignore[union-attr]
        font: dict[int, str] = {}
        text = []
        for token in re.finditer(rb"/(F\d+) [\d.]+ Tf|<([0-9A-F]*)> Tj|\bET\b", content):
            if token.group(1):
                font = fonts.get(token.group(1).decode(), {})
            elif token.group(2) is not None:
                hexa = token.group(2)
                text += [font.get(int(hexa[i:i + 4], 16), "") for i in range(0, len(hexa), 4)]
            else:
                text.append(" ")
        pages.append("".join(text))
    return pages
