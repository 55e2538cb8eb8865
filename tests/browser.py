"""Open an HTML file in a real headless browser (Debian's chromium via Playwright) for tests.

`open_html(path, screenshot)` loads the page and reports what a reader's browser would do: the
page title, console errors (and uncaught page errors), every network request other than the
file itself, and a full-page PNG screenshot. `evaluate` runs JavaScript expressions on the
loaded page (e.g. count SVG bars). Playwright's own browser download is never used:
`.ci/run` installs Debian's chromium, and `skip_without_browser()` skips locally when it is
missing but fails on CI, where a skipped browser test would hide a regression.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOAD_TIMEOUT_MS = 20_000


@dataclass
class PageReport:
    title: str
    console_errors: list[str]
    requests: list[str]  # every URL the page asked for besides the file itself
    screenshot: Path
    values: dict[str, Any] = field(default_factory=dict)  # results of `evaluate`


def skip_without_browser() -> None:
    """Skip when chromium or playwright is missing, except on CI (CI=true), where it fails."""
    problems = []
    if not Path(CHROMIUM).exists():
        problems.append(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("playwright not installed (pip install -e '.[test]')")
    if problems:
        message = "headless browser unavailable: " + "; ".join(problems)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


def open_html(
    path: str | Path,
    screenshot: str | Path,
    evaluate: dict[str, str] | None = None,
    width: int = 1100,
    actions: Callable[[Any], dict[str, Any]] | None = None,
) -> PageReport:
    """Load `path` (a local HTML file) and return what happened; write `screenshot` (PNG).

    `actions(page)` runs after `evaluate` and drives the page as a reader would (keys, typing:
    what a synthetic DOM event would not prove); what it returns is added to `values`.
    Skips (fails on CI) when no browser is available, so no browser test can forget to."""
    skip_without_browser()
    from playwright.sync_api import sync_playwright

    page_url = Path(path).resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
            page.on("request", lambda r: requests.append(r.url) if r.url != page_url else None)
            # Anything besides the file is recorded above and then refused, so a test never
            # depends on (or leaks to) the network.
            page.route(
                "**/*",
                lambda route: route.continue_() if route.request.url == page_url else route.abort(),
            )
            page.goto(page_url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
            title = page.title()
            values = {k: page.evaluate(js) for k, js in (evaluate or {}).items()}
            if actions is not None:
                values.update(actions(page))
            shot = Path(screenshot)
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return PageReport(title, errors, requests, shot, values)
