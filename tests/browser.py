"""Open a page in Debian's headless Chromium, driven by Playwright, and record what it did.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``.ci/run``
installs it where missing) with an empty profile.  Every request the page makes goes through a
route that lets only the page itself through and records the rest; console messages, page
errors and dialogs are recorded, and the screenshot is saved where the test says.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MARKER = "__lekk_pwned"  # what planted script would set on window


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@dataclass
class Visit:
    url: str
    requests: list[str] = field(default_factory=list)  # every request, the page's own included
    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    marker: Any = None
    scripts: int = 0
    event_handlers: int = 0  # elements with an on* attribute
    text: str = ""
    timeline_rows: int = 0

    @property
    def other_requests(self) -> list[str]:
        return [u for u in self.requests if u != self.url]

    @property
    def errors(self) -> list[str]:
        return [t for kind, t in self.console if kind == "error"] + self.page_errors


_INSPECT = """() => ({
  marker: window.MARKER === undefined ? null : String(window.MARKER),
  scripts: document.querySelectorAll("script").length,
  handlers: [...document.querySelectorAll("*")].filter(
      e => [...e.attributes].some(a => a.name.toLowerCase().startsWith("on"))).length,
  text: document.body ? document.body.innerText : "",
  rows: document.querySelectorAll(".tl-row[data-state]").length,
})""".replace("MARKER", MARKER)


class Browser:
    def __init__(self, context: Any) -> None:
        self.context = context

    def visit(self, page_file: Path, screenshot: Path, width: int = 1200, height: int = 0) -> Visit:
        """Open the page; screenshot the whole page, or only its top ``height`` pixels."""
        url = page_file.resolve().as_uri()
        seen = Visit(url)

        def route(r: Any) -> None:
            if r.request.url == url:
                r.continue_()
            else:
                r.abort()

        page = self.context.new_page()
        page.route("**/*", route)
        page.on("request", lambda req: seen.requests.append(req.url))
        page.on("console", lambda msg: seen.console.append((msg.type, msg.text)))
        page.on("pageerror", lambda exc: seen.page_errors.append(str(exc)))
        page.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
        try:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url, wait_until="load")
            page.wait_for_timeout(200)  # let anything deferred run (nothing should)
            found = page.evaluate(_INSPECT)
            seen.marker, seen.scripts = found["marker"], found["scripts"]
            seen.event_handlers, seen.text = found["handlers"], found["text"]
            seen.timeline_rows = found["rows"]
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if height:
                clip = {"x": 0, "y": 0, "width": width, "height": height}
                page.screenshot(path=str(screenshot), full_page=True, clip=clip)
            else:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            page.close()
        return seen


@contextmanager
def launch(executable: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lekk-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=ARGS
        )
        try:
            yield Browser(context)
        finally:
            context.close()


def keep_screenshot(shot: Path, name: str) -> Path:
    """Also copy the screenshot into $LEKK_SCREENSHOTS when set; print where it is."""
    where = os.environ.get("LEKK_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(where) / f"{name}.png")
    print(f"screenshot: {shot}" + (f" (and {where}/{name}.png)" if where else ""))
    return shot


def main(argv: list[str]) -> int:
    """``python tests/browser.py PAGE.html OUT.png [WIDTH [HEIGHT]]``: a screenshot of the page
    (its top HEIGHT pixels, or all of it), as docs/img/ was made."""
    page, out = Path(argv[0]), Path(argv[1])
    width = int(argv[2]) if len(argv) > 2 else 1200
    height = int(argv[3]) if len(argv) > 3 else 0
    exe = chromium()
    if exe is None:
        print("no chromium: apt-get install chromium")
        return 2
    with launch(exe) as b:
        seen = b.visit(page, out, width=width, height=height)
    print(f"{out}: {len(seen.requests) - 1} other request(s), {len(seen.errors)} error(s)")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
