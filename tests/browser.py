"""A real headless Chromium for the report tests, or the reason there is none (a test helper: not shipped).

Playwright drives it. Its own browser (`playwright install chromium`) is used when present; otherwise a
Chromium from the system (`EDI837_CHROMIUM`, else `chromium`, `chromium-browser`, `google-chrome` on PATH),
because the sandboxes and CI images this runs on often cannot download Playwright's build.
"""

from __future__ import annotations

import os
import shutil
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
