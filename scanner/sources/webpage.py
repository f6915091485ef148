"""HTML pages as ``lekk web`` reads them: script sources, links, inline scripts.

A small tokenizer for just what lekk needs, in one linear pass.  The standard library's
``HTMLParser`` re-reads the rest of the page at every ``<`` that does not start a complete
tag: 240 KB of ``<a`` took 71 s.  Here each tag is read once; a tag, comment or script that
never ends ends the page (what a browser does at the end of the input).
"""

from __future__ import annotations

import html
import re
import urllib.parse
from dataclasses import dataclass, field

# the possessive quantifiers keep a tag linear: nothing read once is read again
_MARKUP = re.compile(r"<(?:(!--)|(!|\?)|(/?)([A-Za-z][^\s/>]*))")
_TAG_REST = re.compile(r"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_ATTR = re.compile(r"""([^\s/>"'=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
_END_SCRIPT = re.compile(r"</script[\s/>]", re.IGNORECASE)
MAX_URLS = 10_000  # script sources and links kept per page (a page of 200,000 links is an attack)


@dataclass
class Page:
    """Script sources, links and inline scripts (with the line and column of their first
    character) of one HTML page."""

    base: str
    scripts: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    inline: list[tuple[str, int, int]] = field(default_factory=list)
    dropped: bool = False  # script sources or links past MAX_URLS were left out


def _attrs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR.finditer(text):
        value = m.group(2) if m.group(2) is not None else m.group(3) or m.group(4) or ""
        out.setdefault(m.group(1).lower(), html.unescape(value))
    return out


class _Lines:
    """Line and column of positions met in increasing order, in linear time overall."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line, self.last_nl = text, 0, 1, -1

    def at(self, pos: int) -> tuple[int, int]:
        n = self.text.count("\n", self.pos, pos)
        if n:
            self.line += n
            self.last_nl = self.text.rfind("\n", self.pos, pos)
        self.pos = pos
        return self.line, pos - self.last_nl


def parse(text: str, base: str) -> Page:
    page = Page(base)
    lines = _Lines(text)
    i = 0
    while (m := _MARKUP.search(text, i)) is not None:
        if m.group(1):  # a comment: to its end, or to the end of the page
            end = text.find("-->", m.end())
            if end < 0:
                break
            i = end + 3
            continue
        rest = _TAG_REST.match(text, m.end())
        if rest is None:
            break  # a tag that never closes
        i = rest.end()
        if m.group(2) or m.group(3):  # <!DOCTYPE>, <?xml?>, an end tag
            continue
        tag = m.group(4).lower()
        if tag not in ("script", "link", "a", "base"):
            continue
        _start_tag(page, tag, _attrs(text[m.end() : i - 1]))
        if tag == "script":
            close = _END_SCRIPT.search(text, i)
            stop = close.start() if close is not None else len(text)
            body = text[i:stop]
            if body.strip():
                page.inline.append((body, *lines.at(i)))
            if close is None:
                break
            i = stop
    return page


def _start_tag(page: Page, tag: str, a: dict[str, str]) -> None:
    if tag != "base" and len(page.scripts) + len(page.links) >= MAX_URLS:
        page.dropped = True
        return
    if tag == "base" and a.get("href"):
        page.base = urllib.parse.urljoin(page.base, a["href"])
    elif tag == "script" and a.get("src"):
        page.scripts.append(urllib.parse.urljoin(page.base, a["src"]))
    elif tag == "link" and a.get("href"):
        rel = a.get("rel", "").lower().split()
        if "modulepreload" in rel or ("preload" in rel and a.get("as") == "script"):
            page.scripts.append(urllib.parse.urljoin(page.base, a["href"]))
    elif tag == "a" and a.get("href"):
        page.links.append(urllib.parse.urljoin(page.base, a["href"]))
