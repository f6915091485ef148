"""HTML pages as ``lekk web`` reads them: script sources, links, inline scripts."""

from __future__ import annotations

import urllib.parse
from html.parser import HTMLParser


class Page(HTMLParser):
    """Script sources, links and inline scripts (with the position of their first character)."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=False)
        self.base = base
        self.scripts: list[str] = []
        self.links: list[str] = []
        self.inline: list[tuple[str, int, int]] = []  # text, line, column
        self._in_script: tuple[int, int] | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "base" and a.get("href"):
            self.base = urllib.parse.urljoin(self.base, a["href"])
        elif tag == "script":
            if a.get("src"):
                self.scripts.append(urllib.parse.urljoin(self.base, a["src"]))
            line, col = self.getpos()
            text = self.get_starttag_text() or ""
            self._in_script = (line, col + 1 + len(text))
            self._buf = []
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            if "modulepreload" in rel or ("preload" in rel and a.get("as") == "script"):
                self.scripts.append(urllib.parse.urljoin(self.base, a["href"]))
        elif tag == "a" and a.get("href"):
            self.links.append(urllib.parse.urljoin(self.base, a["href"]))

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script is not None:
            text = "".join(self._buf)
            if text.strip():
                self.inline.append((text, *self._in_script))
            self._in_script = None
