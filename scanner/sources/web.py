"""A deployed site: the page, the scripts it loads, their source maps, inline scripts.

Standard library only (``urllib``).  Plain GETs without cookies or credentials; bounded by
``WebLimits`` (pages, total bytes, per-request timeout, redirects).  Scripts are followed on the
start page's origin and on ``allow_hosts`` only; everything fetched ships to browsers, so every
fragment is client-side and its path is the URL.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPException, HTTPMessage
from typing import IO, Any

from scanner import __version__
from scanner.errors import SourceError
from scanner.finding import Finding, redact
from scanner.sources import (
    Fragment,
    Prefilter,
    ScanFn,
    Source,
    Warn,
    bundles,
    line_breaks,
    scan_all,
    sourcemap,
    webpage,
)

READ = 64 << 10
PAGE_EXT = ("", ".html", ".htm", ".php", ".asp", ".aspx", ".jsp")


@dataclass(frozen=True)
class WebLimits:
    max_pages: int = 20  # HTML pages fetched (the start page included)
    max_bytes: int = 50 << 20  # bytes read in total; a response is cut off at what is left
    timeout: float = 10.0  # seconds per request, from connecting to the last byte
    max_redirects: int = 5


class FetchError(Exception):
    """One URL could not be fetched; the message says why in a few words, and ``limit`` names
    the limit that stopped it, if one did (the scan is then partial)."""

    def __init__(self, msg: str, limit: str | None = None) -> None:
        super().__init__(msg)
        self.limit = limit


@dataclass
class Fetched:
    url: str  # after redirects
    body: bytes
    content_type: str
    headers: Message
    truncated: str = ""  # the limit that cut the body short, if one did
    short: bool = False  # the server closed the connection before Content-Length


def _origin(url: str) -> tuple[str, str]:
    p = urllib.parse.urlsplit(url)
    return p.scheme.lower(), p.netloc.lower()


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Redirects of one request: counted (urllib only counts distinct URLs), http(s) only, and
    for everything but the start page, kept on the site."""

    def __init__(self, limit: int, allowed: Crawler | None) -> None:
        self.limit = limit
        self.hops = 0
        self.allowed = allowed

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        self.hops += 1
        if self.hops > self.limit:
            raise FetchError(f"more than {self.limit} redirects", "--max-redirects")
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise FetchError(f"redirect to a non-HTTP URL {newurl!r} refused")
        if self.allowed is not None and not self.allowed.allowed(newurl):
            raise FetchError(f"redirect to another host {newurl!r} not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Deadline:
    """Bounds a whole request, redirects included: when the time is up, every socket it opened
    is shut down, so a server that sends a byte a second (each within the socket's timeout)
    cannot hold the scan."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _watched(deadline: _Deadline) -> list[urllib.request.BaseHandler]:
    """HTTP and HTTPS handlers whose connections register their socket with ``deadline``."""

    class Http(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class Https(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class HttpHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Http, req)

    class HttpsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Https, req, context=self._context)  # type: ignore[attr-defined]

    return [HttpHandler(), HttpsHandler()]


class Crawler:
    def __init__(
        self,
        start: str,
        allow_hosts: Sequence[str],
        limits: WebLimits,
        warn: Warn,
        prefilter: Prefilter,
    ) -> None:
        if urllib.parse.urlsplit(start).scheme.lower() not in ("http", "https"):
            raise SourceError(f"{start}: not an http:// or https:// URL")
        self.start = start
        self.hosts = {h.lower() for h in allow_hosts}
        self.origins: set[tuple[str, str]] = {_origin(start)}
        self.limits = limits
        self.warn = warn
        self.prefilter = prefilter
        self.left = limits.max_bytes
        self.fetched = 0
        self.seen: set[str] = set()
        self.cut: dict[str, str] = {}  # limit -> the first thing it cut short (a partial scan)

    def allowed(self, url: str) -> bool:
        p = urllib.parse.urlsplit(url)
        if p.scheme.lower() not in ("http", "https"):
            return False
        return _origin(url) in self.origins or (p.hostname or "").lower() in self.hosts

    def fetch(self, url: str, *, first: bool = False) -> Fetched:
        """One plain GET, bounded in time, size and redirects; a limit it hits is in ``cut``."""
        try:
            got = self._fetch(url, first)
        except FetchError as exc:
            if exc.limit:
                self.cut.setdefault(exc.limit, f"{url}: {exc}")
            raise
        if got.truncated or got.short:
            self.cut.setdefault(got.truncated or "a response cut off", f"{got.url}: cut off")
        return got

    def _fetch(self, url: str, first: bool) -> Fetched:
        if self.left <= 0:
            raise FetchError(
                f"the {self.limits.max_bytes}-byte total limit is reached", "--max-bytes"
            )
        deadline = _Deadline(self.limits.timeout)
        opener = urllib.request.build_opener(
            _Redirects(self.limits.max_redirects, None if first else self), *_watched(deadline)
        )
        req = urllib.request.Request(
            url,
            method="GET",
            headers={"User-Agent": f"lekk/{__version__} (secret scanner)", "Accept": "*/*"},
        )
        chunks: list[bytes] = []
        truncated = ""  # the limit that cut the body short
        try:
            with opener.open(req, timeout=self.limits.timeout) as resp:
                final, headers = resp.geturl(), resp.headers
                size = 0
                while True:
                    try:
                        block = resp.read1(min(READ, self.left - size + 1))
                    except (OSError, HTTPException):
                        if not deadline.expired:
                            raise
                        block = b""
                    if not block:
                        truncated = "--timeout" if deadline.expired else ""
                        break
                    chunks.append(block)
                    size += len(block)
                    if size > self.left:
                        truncated = "--max-bytes"
                        break
        except urllib.error.HTTPError as exc:
            raise FetchError(f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError) or deadline.expired:
                raise FetchError(f"timed out after {self.limits.timeout:g}s", "--timeout") from None
            raise FetchError(str(getattr(reason, "strerror", None) or reason)) from None
        except (
            TimeoutError,
            OSError,
            ValueError,
            HTTPException,
        ) as exc:  # cut-off bodies, bad URLs
            if isinstance(exc, TimeoutError) or deadline.expired:
                raise FetchError(f"timed out after {self.limits.timeout:g}s", "--timeout") from None
            raise FetchError(str(exc) or type(exc).__name__) from None
        finally:
            deadline.cancel()
        body = b"".join(chunks)[: self.left]
        self.left -= len(body)
        self.fetched += 1
        if truncated:
            self.warn(f"{final}: response cut off after {len(body)} bytes (size or time limit)")
        declared = headers.get("Content-Length", "")
        short = not truncated and declared.isdigit() and len(body) < int(declared)
        if short:
            self.warn(
                f"{final}: connection closed after {len(body)} of {declared} bytes; "
                "scanned what arrived"
            )
        return Fetched(final, body, headers.get_content_type(), headers, truncated, short)

    def fragments(self) -> Iterator[Fragment]:
        try:
            page = self.fetch(self.start, first=True)
        except FetchError as exc:
            raise SourceError(f"{self.start}: cannot fetch: {exc}") from None
        self.origins.add(_origin(page.url))  # a redirect (http -> https, www.) is the site
        queue: deque[Fetched] = deque([page])
        pages = 1
        self.seen.update({self.start, page.url})
        while queue:
            page = queue.popleft()
            yield from self._page(page)
            for link in self._links:
                link = urllib.parse.urldefrag(link)[0]
                if link in self.seen or not self._is_page(link):
                    continue
                if pages >= self.limits.max_pages:
                    self.cut.setdefault("--max-pages", f"{link} and the pages after it not fetched")
                    continue
                self.seen.add(link)
                try:
                    got = self.fetch(link)
                except FetchError as exc:
                    self.warn(f"{link}: cannot fetch: {exc}; skipped")
                    continue
                pages += 1
                queue.append(got)

    def _is_page(self, url: str) -> bool:
        if _origin(url) not in self.origins:
            return False
        name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
        return ("." + name.rsplit(".", 1)[-1].lower() if "." in name else "") in PAGE_EXT

    def _text(self, got: Fetched) -> str:
        charset = got.headers.get_content_charset() or "utf-8"
        try:
            text = got.body.decode(charset, "replace")
        except LookupError:
            text = got.body.decode("utf-8", "replace")
        return line_breaks(text)  # so that positions in a page agree with its fragments

    def _page(self, got: Fetched) -> Iterator[Fragment]:
        """A fetched page or link; the start URL may also be a script or a map itself."""
        self._links: list[str] = []
        path = urllib.parse.urlsplit(got.url).path.lower()
        if "html" not in got.content_type:
            if path.endswith(".map") or b'"mappings"' in got.body[: 1 << 20]:
                yield from sourcemap.fragments(self._text(got), got.url, self.warn, self.prefilter)
            else:
                yield from self._script_body(got)
            return
        text = self._text(got)
        if self.prefilter(text, got.url.lower()):
            yield Fragment(text, got.url, client_side=True)
        parser = webpage.parse(text, got.url)
        if parser.dropped:
            self.warn(
                f"{got.url}: more than {webpage.MAX_URLS} scripts and links; the rest skipped"
            )
        self._links = list(parser.links)
        for body, line, col in parser.inline:
            ref = bundles.map_ref_in_text(body, line, col)
            if ref is not None:
                yield from self._map(ref, got.url, got.url)
        for src in dict.fromkeys(parser.scripts):
            yield from self._script(src)

    def _script(self, url: str) -> Iterator[Fragment]:
        url = urllib.parse.urldefrag(url)[0]
        if url in self.seen:
            return
        self.seen.add(url)
        if not self.allowed(url):
            host = urllib.parse.urlsplit(url).hostname
            self.warn(f"{url}: script on another host not followed (--allow-host {host})")
            return
        try:
            got = self.fetch(url)
        except FetchError as exc:
            self.warn(f"{url}: cannot fetch: {exc}; skipped")
            return
        yield from self._script_body(got)

    def _script_body(self, got: Fetched) -> Iterator[Fragment]:
        text = self._text(got)
        if self.prefilter(text, got.url.lower()):
            yield Fragment(text, got.url, client_side=True)
        header = got.headers.get("SourceMap") or got.headers.get("X-SourceMap")
        ref = bundles.MapRef(header.strip(), 1, 1) if header else bundles.map_ref_in_text(text)
        if ref is not None:
            yield from self._map(ref, got.url, got.url)

    def _map(self, ref: bundles.MapRef, base: str, bundle: str) -> Iterator[Fragment]:
        if ref.inline:
            yield from bundles.inline_map_fragments(ref, bundle, self.warn, self.prefilter)
            return
        url = urllib.parse.urldefrag(urllib.parse.urljoin(base, ref.url))[0]
        if url in self.seen or not self.allowed(url):
            return
        self.seen.add(url)
        try:
            got = self.fetch(url)
        except FetchError:
            return  # maps are often not deployed: nothing to say
        if "html" in got.content_type or got.body.lstrip()[:1] == b"<":
            return  # a single-page app's fallback page, not a map
        yield from sourcemap.fragments(
            self._text(got), got.url, self.warn, self.prefilter, extra={"bundle": bundle}
        )


class WebSource(Source):
    """``lekk web``'s source: every fragment a crawl of the site yields.  URLs are shown with
    their credentials masked (``display_url``), in findings' paths and in every warning."""

    command = "web"

    def __init__(self, url: str, allow_hosts: Sequence[str], limits: WebLimits) -> None:
        self.url = url
        self.allow_hosts = list(allow_hosts)
        self.limits = limits
        self.crawler: Crawler | None = None

    def collect(self, scan: ScanFn, warn: Warn, jobs: int | None) -> list[Finding]:
        def say(msg: str) -> None:
            warn(redact_urls(msg))

        self.crawler = Crawler(self.url, self.allow_hosts, self.limits, say, scan.prefilter)
        try:
            found = scan_all(self.crawler.fragments(), scan, say)
        except SourceError as exc:
            raise SourceError(redact_urls(str(exc))) from None
        return [_displayed(f) for f in found]

    def coverage(self) -> tuple[int, int]:
        c = self.crawler
        return (c.fetched, self.limits.max_bytes - c.left) if c is not None else (0, 0)

    def cut_short(self) -> dict[str, str]:
        """The limits that cut the crawl short (limit -> what it cut, URLs masked)."""
        cut = self.crawler.cut if self.crawler is not None else {}
        return {k: redact_urls(v) for k, v in cut.items()}

    def properties(self) -> dict[str, Any]:
        return {"partial": True} if self.cut_short() else {}


def _displayed(f: Finding) -> Finding:
    extra = {
        k: display_url(v) if k == "bundle" and isinstance(v, str) else v for k, v in f.extra.items()
    }
    return f.with_(path=display_url(f.path), extra=extra)


# a query or fragment parameter that carries a credential by its name, or looks like one
_CRED_NAME = re.compile(r"(?i)key|secret|token|pass|pwd|auth|sig|cred|session|code|client")
_CRED_VALUE = re.compile(r"(?=[^0-9]*[0-9])(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9+/_~.=%-]{16,}")
_URL = re.compile(r"""(?i)\bhttps?://[^\s'"<>]+""")


def display_url(url: str) -> str:
    """``url`` as a report may show it: the user and password, and every query or fragment value
    that is or looks like a credential, masked (``?sagapay_key=spk_********``: a source knows no
    rule, so no pack's prefix is kept)."""
    try:
        p = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    netloc = p.netloc
    if "@" in netloc:
        netloc = "********@" + netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(
        (p.scheme, netloc, p.path, _masked_params(p.query), _masked_params(p.fragment))
    )


def _masked_params(params: str) -> str:
    if not params:
        return params
    out = []
    for part in params.split("&"):
        name, eq, value = part.partition("=")
        if not eq and _CRED_VALUE.fullmatch(name):
            part = redact(name)
        elif value and (_CRED_NAME.search(name) or _CRED_VALUE.fullmatch(value)):
            part = f"{name}={redact(urllib.parse.unquote(value))}"
        out.append(part)
    return "&".join(out)


def redact_urls(text: str) -> str:
    """Every URL in a message shown with its credentials masked."""
    return _URL.sub(lambda m: display_url(m.group()), text)
