"""``lekk web`` against real HTTP servers on 127.0.0.1 started by the test."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import fake, lekk


class Site:
    """A static site served from a dict; records every request line."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        self.redirects: dict[str, str] = {"/moved": "/"}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append(("GET", self.path))
                if self.path == "/endless":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    block = b"padding " * 8192
                    try:
                        while True:
                            self.wfile.write(block)
                    except OSError:
                        return
                if self.path == "/slow.js":  # answers after the client's --timeout
                    time.sleep(2)
                if self.path == "/cut.js":  # promises 100000 bytes, sends 10, hangs up
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"var a = 1;")
                    self.close_connection = True
                    return
                if self.path in site.redirects:
                    self.send_response(302)
                    self.send_header("Location", site.redirects[self.path])
                    self.end_headers()
                    return
                if self.path not in site.files:
                    self.send_error(404)
                    return
                ctype, body = site.files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # never expected
                site.requests.append(("POST", self.path))
                self.send_error(405)

            do_HEAD = do_POST

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path: str, body: str, ctype: str = "text/html; charset=utf-8") -> None:
        self.files[path] = (ctype, body.encode())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


@pytest.fixture
def cdn() -> Iterator[Site]:
    try:
        s = Site("127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here: off-host test skipped")
    yield s
    s.close()


def web(*args: str, cwd: Path) -> tuple[int, dict, str]:
    r = lekk("web", *args, "--format", "json", "--show-secrets", cwd=cwd)
    return r.returncode, json.loads(r.stdout) if r.stdout.strip() else {}, r.stderr


def found(report: dict) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in report["findings"]}


@pytest.fixture
def keys() -> dict[str, str]:
    return {
        n: fake(p, 24)
        for n, p in [
            ("inline", "spk_live_"),
            ("a", "sps_live_"),
            ("mapped", "spk_live_"),
            ("cdn", "spk_live_"),
            ("next", "sps_live_"),
        ]
    }


def build_site(site: Site, cdn: Site, keys: dict[str, str]) -> None:
    next_data = json.dumps({"props": {"sagapay": {"secret": keys["next"]}}})
    page = f"""<!doctype html>
<html><head>
<script src="/assets/a.js"></script>
<script type="module" src="assets/b.js"></script>
<script src="{cdn.url}/lib/cdn.js"></script>
</head><body>
<script>
  window.sagapayKey = "{keys["inline"]}";
</script>
<script id="__NEXT_DATA__" type="application/json">{next_data}</script>
<a href="/about.html">about</a>
</body></html>
"""
    site.add("/", page)
    site.add("/about.html", "<html><body>About us.</body></html>")
    site.add(
        "/assets/a.js",
        f'const h={{"X-API-Secret":"{keys["a"]}"}};// sagapay\n',
        "application/javascript",
    )
    site.add(
        "/assets/b.js", "console.log(1);\n//# sourceMappingURL=b.js.map\n", "application/javascript"
    )
    mapped = f'import "./x";\n// SagaPay checkout\n\nconst KEY = "{keys["mapped"]}";\n'
    site.add(
        "/assets/b.js.map",
        json.dumps(
            {
                "version": 3,
                "sources": [
                    "webpack:///./src/a.ts",
                    "webpack:///./src/b.ts",
                    "webpack:///./src/checkout.ts",
                ],
                "sourcesContent": ["a", "b", mapped],
                "mappings": "AAAA",
            }
        ),
        "application/json",
    )
    cdn.add("/lib/cdn.js", f'var k="{keys["cdn"]}";// sagapay\n', "application/javascript")


def test_site_page_scripts_map_inline(
    site: Site, cdn: Site, keys: dict[str, str], tmp_path: Path
) -> None:
    build_site(site, cdn, keys)
    code, report, err = web(site.url + "/", cwd=tmp_path)
    assert code == 1, err
    u = site.url
    assert found(report) == {
        ("sagapay-api-key", f"{u}/", 8),
        ("sagapay-api-secret", f"{u}/", 10),  # __NEXT_DATA__
        ("sagapay-api-secret", f"{u}/assets/a.js", 1),
        ("sagapay-api-key", f"{u}/assets/b.js.map", 1),
    }
    by_path = {f["path"]: f for f in report["findings"]}
    mapped = by_path[f"{u}/assets/b.js.map"]
    assert mapped["origin"] == {"path": "src/checkout.ts", "line": 4}
    assert mapped["bundle"] == f"{u}/assets/b.js"
    assert all(f["client_side"] and f["severity"] == "error" for f in report["findings"])
    assert {f["secret"] for f in report["findings"]} == {
        keys["inline"],
        keys["next"],
        keys["a"],
        keys["mapped"],
    }
    assert "partial" not in report  # a script on another host is not a limit
    # the off-host script is named but not fetched
    assert f"{cdn.url}/lib/cdn.js: script on another host not followed" in err
    assert cdn.requests == []
    assert {m for m, _ in site.requests} == {"GET"}
    assert sorted(p for _, p in site.requests) == [
        "/",
        "/about.html",
        "/assets/a.js",
        "/assets/b.js",
        "/assets/b.js.map",
    ]


def test_allow_host_follows_cdn(
    site: Site, cdn: Site, keys: dict[str, str], tmp_path: Path
) -> None:
    build_site(site, cdn, keys)
    code, report, err = web(site.url + "/", "--allow-host", "127.0.0.2", cwd=tmp_path)
    assert code == 1, err
    assert ("sagapay-api-key", f"{cdn.url}/lib/cdn.js", 1) in found(report)
    assert cdn.requests == [("GET", "/lib/cdn.js")]


def test_redirected_start_page(site: Site, cdn: Site, keys: dict[str, str], tmp_path: Path) -> None:
    build_site(site, cdn, keys)
    code, report, err = web(
        site.url + "/moved", "--max-pages", "1", "--allow-partial", cwd=tmp_path
    )
    assert code == 1, err
    assert ("sagapay-api-secret", f"{site.url}/assets/a.js", 1) in found(report)
    assert report["partial"] is True
    assert ("GET", "/about.html") not in site.requests  # --max-pages 1


def test_unreachable_site(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    code, report, err = web(f"http://127.0.0.1:{port}/", cwd=tmp_path)
    assert code == 2 and report == {}
    assert err.strip().splitlines() == [
        f"lekk: error: http://127.0.0.1:{port}/: cannot fetch: Connection refused"
    ]


def test_not_a_web_url(tmp_path: Path) -> None:
    code, _, err = web("file:///etc/passwd", cwd=tmp_path)
    assert code == 2
    assert err.strip() == "lekk: error: file:///etc/passwd: not an http:// or https:// URL"


def test_stalling_server_times_out(tmp_path: Path) -> None:
    with socket.socket() as s:  # accepts connections (backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/"
        code, _, err = web(url, "--timeout", "0.5", cwd=tmp_path)
    assert code == 2
    assert err.strip() == f"lekk: error: {url}: cannot fetch: timed out after 0.5s"


def test_endless_body_is_cut_off(site: Site, tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    site.add("/", f'<script src="/endless"></script><script>k="{key}" // sagapay</script>')
    code, report, err = web(
        site.url + "/", "--max-bytes", "300000", "--allow-partial", cwd=tmp_path
    )
    assert code == 1 and report["partial"] is True, err
    assert found(report) == {("sagapay-api-key", f"{site.url}/", 1)}
    assert f"{site.url}/endless: response cut off after" in err
    assert report["summary"]["bytes"] <= 300000


def test_spa_fallback_page_is_not_a_malformed_map(site: Site, tmp_path: Path) -> None:
    key = fake("sps_live_", 24)
    site.add("/", '<script src="/c.js"></script>')
    site.add(
        "/c.js",
        f'var s="{key}";// sagapay\n//# sourceMappingURL=c.js.map\n',
        "application/javascript",
    )
    site.add("/c.js.map", "<!doctype html><p>app shell</p>")  # what many SPAs serve for any path
    code, report, err = web(site.url + "/", cwd=tmp_path)
    assert code == 1 and err == ""
    assert found(report) == {("sagapay-api-secret", f"{site.url}/c.js", 1)}
    assert ("GET", "/c.js.map") in site.requests


def test_redirects_bounded_and_kept_on_site(site: Site, cdn: Site, tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    site.add("/", '<script src="/away.js"></script><script src="/loop.js"></script>')
    site.redirects["/away.js"] = f"{cdn.url}/k.js"  # a same-origin URL that leaves the site
    site.redirects["/loop.js"] = "/loop.js?again"
    site.redirects["/loop.js?again"] = "/loop.js"
    cdn.add("/k.js", f'var k="{key}";// sagapay\n', "application/javascript")
    code, report, err = web(site.url + "/", "--max-redirects", "3", "--allow-partial", cwd=tmp_path)
    assert code == 0 and report["findings"] == [] and report["partial"] is True
    assert cdn.requests == []
    assert f"{site.url}/away.js: cannot fetch: redirect to another host" in err
    assert f"{site.url}/loop.js: cannot fetch: more than 3 redirects" in err
    assert len([p for _, p in site.requests if p.startswith("/loop.js")]) == 4


def test_start_url_may_be_a_script_or_a_map(
    site: Site, cdn: Site, keys: dict[str, str], tmp_path: Path
) -> None:
    build_site(site, cdn, keys)
    code, report, err = web(site.url + "/assets/b.js.map", cwd=tmp_path)
    assert code == 1, err
    [f] = report["findings"]
    assert (f["path"], f["origin"]) == (
        f"{site.url}/assets/b.js.map",
        {"path": "src/checkout.ts", "line": 4},
    )
    code, report, err = web(site.url + "/assets/b.js", cwd=tmp_path)
    assert code == 1, err
    assert found(report) == {("sagapay-api-key", f"{site.url}/assets/b.js.map", 1)}


def test_connection_cut_mid_body_is_a_warning(site: Site, tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    site.add("/", f'<script src="/cut.js"></script><script>k="{key}" // sagapay</script>')
    code, report, err = web(site.url + "/", "--allow-partial", cwd=tmp_path)
    assert code == 1 and "Traceback" not in err, err
    assert found(report) == {("sagapay-api-key", f"{site.url}/", 1)}
    assert f"{site.url}/cut.js: connection closed after 10 of 100000 bytes" in err


CUT_SHORT = {
    "--max-pages": ('<a href="/more.html">more</a>', ("--max-pages", "1"), "/more.html"),
    "--max-bytes": ('<script src="/endless"></script>', ("--max-bytes", "300000"), "/endless"),
    "--timeout": ('<script src="/slow.js"></script>', ("--timeout", "0.5"), "/slow.js"),
    "a response cut off": ('<script src="/cut.js"></script>', (), "/cut.js"),
    "--max-redirects": ('<script src="/loop.js"></script>', ("--max-redirects", "2"), "/loop.js"),
}


@pytest.mark.parametrize("limit", list(CUT_SHORT))
def test_a_crawl_cut_short_by_a_limit_fails_unless_allow_partial(
    site: Site, limit: str, tmp_path: Path
) -> None:
    html, args, cut_url = CUT_SHORT[limit]
    key = fake("spk_live_", 24)
    site.add("/", f'{html}<script>k="{key}" // sagapay</script>')
    site.add("/more.html", "<p>more</p>")
    site.add("/slow.js", "var x = 1;\n", "application/javascript")
    site.redirects.update({"/loop.js": "/loop.js?again", "/loop.js?again": "/loop.js"})
    url = site.url + "/"

    r = lekk("web", url, *args, "--format", "json", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    error = [x for x in r.stderr.splitlines() if x.startswith("lekk: error: ")]
    assert len(error) == 1 and error[0].startswith(
        f"lekk: error: {url}: the scan was cut short by a limit ({limit}: {site.url}{cut_url}"
    )
    assert error[0].endswith(
        "raise the limit, or pass --allow-partial to report what was read (1 finding(s) so far)"
    )

    code, report, err = web(url, *args, "--allow-partial", cwd=tmp_path)
    assert code == 1 and report["partial"] is True, err
    assert found(report) == {("sagapay-api-key", url, 1)}
    assert f"lekk: warning: {url}: partial scan, cut short by a limit ({limit}: " in err
    out = tmp_path / "partial.sarif"
    r = lekk("web", url, *args, "--allow-partial", "--format", "sarif", "-o", str(out))
    assert r.returncode == 1, r.stderr
    assert json.loads(out.read_text())["runs"][0]["properties"]["partial"] is True
