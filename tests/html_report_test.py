"""``--format html``: reports written by the real command, read back, and opened in Chromium.

Each scenario (a file scan, a history scan, a web scan, an empty scan, staged changes) is built
once per module and rendered by ``lekk ... --format html --show-secrets``: the page must mask
every value all the same.  Planted ``<script>``, ``"><img onerror>`` and ``{{ }}`` in file
names, commit messages, author names and code must come out as text.  The browser tests open
each page in Debian's headless Chromium with every request intercepted.
"""

from __future__ import annotations

import base64
import html
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import git as gitpython
import keygen
import pytest
from browser import MARKER, chromium, keep_screenshot, launch
from git_builder import Repo
from helpers import lekk
from web_test import Site

EVIL_NAME = '" onfocus="window.__lekk_pwned=9" autofocus x="{{ 7*7 }}'  # git forbids < > here
EVIL_SCRIPT = "<script>window.__lekk_pwned=1</script>"
EVIL_IMG = '"><img src=x onerror="window.__lekk_pwned=2">'
EVIL_TEMPLATE = "{{ 7*7 }}{% raw %}"
EVIL_DIR = "a<script>window.__lekk_pwned=3<"  # with "script>.env" below it: a closing tag
EVIL_FILE = '"><img src=x onerror=window.__lekk_pwned=4>.env'


@dataclass
class Report:
    name: str
    path: Path
    html: str
    code: int
    planted: list[str]  # raw values that must never be in the page
    expected: set[tuple[str, str, int]]  # (rule, path, line) of every finding
    evil: bool = False  # holds planted markup
    extra: dict = field(default_factory=dict)


class Tags(HTMLParser):
    """The elements of a page that carry ``data-rule``: (class, attributes)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.tags: set[str] = set()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value) of href/src/...
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        for k in ("href", "src", "srcset", "action", "data", "poster", "xlink:href"):
            if k in a:
                self.links.append((tag, k, a[k]))
        if "data-rule" in a:
            self.found.append((a.get("class", ""), a))

    def of(self, cls: str) -> list[dict[str, str]]:
        return [a for c, a in self.found if cls in c.split()]


def _text(page: str) -> str:
    """What the page says: tags dropped, entities decoded, white space collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _render(name: str, out: Path, *args: str, cwd: Path | None = None) -> tuple[int, str]:
    r = lekk(*args, "--format", "html", "--show-secrets", "-o", str(out), cwd=cwd)
    assert r.returncode in (0, 1), r.stderr
    assert out.is_file(), f"{name}: no report written"
    return r.returncode, out.read_text(encoding="utf-8")


def _json(*args: str, cwd: Path | None = None) -> set[tuple[str, str, int]]:
    r = lekk(*args, "--format", "json", cwd=cwd)
    assert r.returncode in (0, 1), r.stderr
    return {(f["rule"], f["path"], f["line"]) for f in json.loads(r.stdout)["findings"]}


def _file_scan(root: Path, rng: random.Random) -> Report:
    tree = root / "files"
    client_secret, sub_key = keygen.b64(rng), keygen.hex32(rng)
    mapped_key, bundle_secret = keygen.sagapay_key(rng), keygen.sagapay_secret(rng)
    encoded, evil1, evil2 = (
        keygen.sagapay_secret(rng),
        keygen.sagapay_key(rng),
        keygen.sagapay_secret(rng),
    )
    files = {
        "src/vipps_settings.py": (
            'VIPPS_CLIENT_ID = "6b1c0f52-3d1e-4c55-9d0a-2f7e8b9c1a20"\n'
            f'VIPPS_CLIENT_SECRET = "{client_secret}"\n'
            f'VIPPS_SUBSCRIPTION_KEY = "{sub_key}"  # {EVIL_SCRIPT} {EVIL_TEMPLATE}\n'
        ),
        "dist/app.js": "console.log(1);\n//# sourceMappingURL=app.js.map\n",
        "dist/app.js.map": json.dumps(
            {
                "version": 3,
                "sources": ["webpack:///./src/checkout.ts"],
                "sourcesContent": [f'// SagaPay checkout\n\nconst KEY = "{mapped_key}";\n'],
                "mappings": "AAAA",
            }
        ),
        "public/pay.js": f'fetch(u,{{headers:{{"X-API-Secret":"{bundle_secret}"}}}}); // sagapay {EVIL_IMG}\n',
        "deploy/k8s-secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sagapay\ndata:\n"
            f"  SAGAPAY_API_SECRET: {base64.b64encode(encoded.encode()).decode()}\n"
        ),
        f"{EVIL_DIR}/script>.env": f"SAGAPAY_API_KEY={evil1}\n",
        EVIL_FILE: f"SAGAPAY_API_SECRET={evil2} # {EVIL_TEMPLATE}\n",
    }
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    expected = _json("scan", str(tree), cwd=root)
    code, page = _render("files", root / "files.html", "scan", str(tree), cwd=root)
    planted = [client_secret, sub_key, mapped_key, bundle_secret, encoded, evil1, evil2]
    planted.append(base64.b64encode(encoded.encode()).decode())
    return Report("files", root / "files.html", page, code, planted, expected, evil=True)


def _history(root: Path, rng: random.Random) -> Report:
    repo = Repo(root / "history")
    evil_author = gitpython.Actor(EVIL_NAME, "evil@example.no")
    gone, kept, side = keygen.sagapay_secret(rng), keygen.sagapay_key(rng), keygen.b64(rng)
    evil = keygen.sagapay_secret(rng)
    repo.commit("init", {"README.md": "# shop\n"})
    added = repo.commit(
        f"add keys {EVIL_SCRIPT}",
        {
            "deploy/prod.env": f"SAGAPAY_API_SECRET={gone}\n",
            "config/keys.env": f"# sagapay\nSAGAPAY_API_KEY={kept}\n",
        },
    )
    repo.commit("docs", {"docs/setup.md": "Read the keys from the environment.\n"})
    # a commit subject that holds a value: the page masks it there too
    removed = repo.commit(f"drop {gone} from the repo", delete=("deploy/prod.env",))
    # planted markup in a file name, the code, the commit message and the author's name
    repo.write({f"{EVIL_DIR}/script>.env": f"SAGAPAY_API_SECRET={evil} # {EVIL_IMG}\n"})
    repo.repo.index.add([f"{EVIL_DIR}/script>.env"])
    when = "1707393600 +0000"  # 2024-02-08
    repo.repo.index.commit(
        f"{EVIL_IMG} {EVIL_TEMPLATE} {EVIL_SCRIPT}",
        author=evil_author,
        committer=evil_author,
        author_date=when,
        commit_date=when,
    )
    repo.git("checkout", "-q", "-b", "feature/vipps")
    repo.commit("try vipps", {"vipps.env": f"VIPPS_CLIENT_SECRET={side}\n"})
    repo.git("checkout", "-q", "main")
    expected = _json("git", str(repo.path))
    code, page = _render("history", root / "history.html", "git", str(repo.path))
    return Report(
        "history",
        root / "history.html",
        page,
        code,
        [gone, kept, side, evil],
        expected,
        evil=True,
        extra={"added": added, "removed": removed},
    )


def _web(root: Path, rng: random.Random, site: Site) -> Report:
    inline, script = keygen.sagapay_key(rng), keygen.sagapay_secret(rng)
    site.add(
        "/",
        "<!doctype html><html><head><script src='/assets/app.js'></script></head><body>\n"
        f'<script>\n  window.sagapayKey = "{inline}"; // {EVIL_TEMPLATE}\n</script>\n</body></html>\n',
    )
    site.add(
        "/assets/app.js",
        f'const h={{"X-API-Secret":"{script}"}};// sagapay\n',
        "application/javascript",
    )
    expected = _json("web", site.url + "/", cwd=root)
    code, page = _render("web", root / "web.html", "web", site.url + "/", cwd=root)
    return Report("web", root / "web.html", page, code, [inline, script], expected)


def _empty(root: Path) -> Report:
    (root / "empty").mkdir()
    (root / "empty" / "README.md").write_text("nothing to see\n")
    code, page = _render("empty", root / "empty.html", "scan", str(root / "empty"))
    return Report("empty", root / "empty.html", page, code, [], set())


def _staged(root: Path, rng: random.Random) -> Report:
    repo = Repo(root / "staged")
    repo.commit("init", {"README.md": "x\n"})
    secret = keygen.sagapay_secret(rng)
    repo.stage({"app.env": f"SAGAPAY_API_SECRET={secret}\n"})
    expected = _json("staged", cwd=repo.path)
    code, page = _render("staged", root / "staged.html", "staged", cwd=repo.path)
    return Report("staged", root / "staged.html", page, code, [secret], expected)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, site: Site) -> dict[str, Report]:
    root = tmp_path_factory.mktemp("html")
    rng = random.Random()
    built = [
        _file_scan(root, rng),
        _history(root, rng),
        _web(root, rng, site),
        _empty(root),
        _staged(root, rng),
    ]
    return {r.name: r for r in built}


NAMES = ["files", "history", "web", "empty", "staged"]


# -- the pages, read back -------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_finding_is_on_the_page_and_no_raw_value(reports: dict, name: str) -> None:
    r = reports[name]
    shown = {
        (a["data-rule"], a["data-path"], int(a["data-line"])) for a in Tags(r.html).of("finding")
    }
    assert shown == r.expected  # the same findings as the JSON report: rule, file, line
    assert r.code == (1 if r.expected else 0)
    for value in r.planted:
        assert value not in r.html, f"{name}: a raw value is in the HTML report"
    # self-contained: no script, nothing loaded; links only to anchors and the providers' docs
    page = Tags(r.html)
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use"}
    for tag, attr, value in page.links:
        assert tag == "a" and attr == "href", (tag, attr, value)
        assert value.startswith(
            ("#rule-", "#section-", "#summary", "#checklist", "#rules", "https://")
        )
    assert "Content-Security-Policy" in r.html and "default-src 'none'" in r.html


def test_file_scan_page(reports: dict) -> None:
    r = reports["files"]
    found = {
        (a["data-rule"], a["data-path"], int(a["data-line"])) for a in Tags(r.html).of("finding")
    }
    assert {
        ("vipps-client-secret", "src/vipps_settings.py", 2),
        ("vipps-subscription-key", "src/vipps_settings.py", 3),
        ("sagapay-api-secret", "deploy/k8s-secret.yaml", 6),
        ("sagapay-api-secret", "public/pay.js", 1),
        ("sagapay-api-key", f"{EVIL_DIR}/script>.env", 1),
        ("sagapay-api-secret", EVIL_FILE, 1),
    } <= found
    assert any(rule == "sagapay-api-key" and "app.js" in path for rule, path, _ in found)
    text = _text(r.html)
    assert "src/checkout.ts:3" in text and "(from the source map)" in text  # origin
    assert "ships to the browser" in text  # client-side
    assert "stored base64-encoded" in text
    assert "client_id 6b1c********" in text  # context, masked
    assert "Exposure timeline" not in text  # not a history scan
    # the checklist: grouped by provider, each credential once, the packs' own steps
    items = {(a["data-rule"], a["data-path"]) for a in Tags(r.html).of("todo-item")}
    assert ("vipps-client-secret", "src/vipps_settings.py") in items
    assert "Open For developers › Test or Production › the sales unit › Show keys." in text
    assert "Find the leaked key and press Revoke" in text


def test_history_page_timeline(reports: dict) -> None:
    r = reports["history"]
    rows = Tags(r.html).of("tl-row")
    states = {(a["data-rule"], a["data-path"]): a["data-state"] for a in rows}
    assert states == {
        ("sagapay-api-key", "config/keys.env"): "head",
        ("sagapay-api-secret", "deploy/prod.env"): "removed",
        ("sagapay-api-secret", f"{EVIL_DIR}/script>.env"): "head",
        ("vipps-client-secret", "vipps.env"): "elsewhere",
    }
    # most urgent first: what HEAD still holds, then the longest exposed
    assert [a["data-state"] for a in rows] == ["head", "head", "elsewhere", "removed"]
    text = _text(r.html)
    added, removed = r.extra["added"], r.extra["removed"]
    assert f"removed {removed[:10]}" in text
    assert added[:10] in text
    assert "never on the default branch" in text and "refs/heads/feature/vipps" in text
    assert "The value stays valid until it is regenerated or revoked" in text
    assert EVIL_NAME in text and f"{EVIL_IMG} {EVIL_TEMPLATE} {EVIL_SCRIPT}" in text


def test_web_page(reports: dict, site: Site) -> None:
    r = reports["web"]
    u = site.url
    assert r.expected == {
        ("sagapay-api-key", f"{u}/", 3),
        ("sagapay-api-secret", f"{u}/assets/app.js", 1),
    }
    assert f"<td>{u}/</td>" in r.html  # what was scanned: the site
    assert r.html.count("ships to browsers") >= 2


def test_empty_page(reports: dict) -> None:
    r = reports["empty"]
    assert "No leaked credential and no risky pattern found." in r.html
    assert "Exposure timeline" not in r.html and 'id="checklist"' not in r.html


# -- the pages, in a real browser ----------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator:
    exe = chromium()
    if exe is None:
        pytest.skip("no chromium on this machine (apt-get install chromium; .ci/run does)")
    with launch(exe) as b:
        yield b


@pytest.mark.parametrize("name", NAMES)
def test_page_in_chromium(reports: dict, browser, tmp_path: Path, name: str, site: Site) -> None:
    r = reports[name]
    before = len(site.requests)
    seen = browser.visit(r.path, tmp_path / f"{name}.png")
    shot = keep_screenshot(tmp_path / f"{name}.png", f"html-{name}")
    assert shot.stat().st_size > 10_000
    assert seen.other_requests == [], "the report made requests"
    assert seen.requests == [seen.url]
    assert seen.errors == [], "console errors"
    assert seen.dialogs == [] and seen.marker is None
    assert seen.scripts == 0 and seen.event_handlers == 0
    assert len(site.requests) == before  # the scanned site is never asked again
    if r.evil:
        assert "{{ 7*7 }}" in seen.text and EVIL_SCRIPT in seen.text
    if name == "history":
        assert seen.timeline_rows == 4
    for value in r.planted:
        assert value not in seen.text


@pytest.mark.parametrize("name", ["files", "history"])
def test_escaping_alone_runs_nothing(reports: dict, browser, tmp_path: Path, name: str) -> None:
    """Without the page's Content-Security-Policy, the planted markup still runs nothing and
    loads nothing: it is text, not markup."""
    r = reports[name]
    bare = tmp_path / f"{name}-no-csp.html"
    bare.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", r.html))
    assert "Content-Security-Policy" not in bare.read_text()
    seen = browser.visit(bare, tmp_path / f"{name}-no-csp.png")
    keep_screenshot(tmp_path / f"{name}-no-csp.png", f"html-{name}-no-csp")
    assert seen.requests == [seen.url] and seen.errors == []
    assert seen.dialogs == [] and seen.marker is None and seen.scripts == 0


def test_phone_width_does_not_scroll_sideways(reports: dict, browser, tmp_path: Path) -> None:
    seen = browser.visit(reports["history"].path, tmp_path / "phone.png", width=390)
    assert seen.errors == [] and seen.timeline_rows == 4
    # measured in the screenshot: a full-page shot is as wide as the page
    from struct import unpack

    with open(tmp_path / "phone.png", "rb") as fh:
        width = unpack(">I", fh.read(24)[16:20])[0]
    assert width == 390


def test_the_browser_harness_sees_a_misbehaving_page(browser, tmp_path: Path) -> None:
    """What the tests above rule out is seen when it happens."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><img src="http://127.0.0.1:9/x.png">'
        f"<script>window.{MARKER}=1; console.error('boom'); alert('hi')</script>"
    )
    seen = browser.visit(page, tmp_path / "bad.png")
    assert seen.other_requests == ["http://127.0.0.1:9/x.png"]
    assert "boom" in seen.errors and seen.dialogs == ["hi"] and seen.marker == "1"


# -- Jinja2 stays optional; the API issue 16 uses ----------------------------------------------


def test_without_jinja2_html_is_a_one_line_error(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['jinja2'] = None; from scanner.cli import main; sys.exit(main())"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, "scan", str(tmp_path), "--format", "html"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert r.stderr == "lekk: error: --format html needs Jinja2: pip install 'lekk[html]'\n"
    assert r.stdout == ""


def test_only_the_html_format_imports_jinja2(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    for args, wanted in ((["staged"], False), (["scan", "--format", "html"], True)):
        r = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "scanner", *args, "-q"],
            cwd=repo.path,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        imported = {x.split("|")[-1].strip() for x in r.stderr.splitlines() if "import time:" in x}
        assert ("jinja2" in imported) is wanted, args


def test_sections_and_overall_summary(tmp_path: Path) -> None:
    """Two scans in one page (as ``lekk audit`` renders): a credential both carry is one item
    of the checklist, naming both sections."""
    from scanner import pipeline
    from scanner.reporters.html import Section, render
    from scanner.rules import load_rules
    from scanner.sources.tree import FileSource

    rng = random.Random()
    shared, own = keygen.sagapay_secret(rng), keygen.sagapay_key(rng)
    sections = []
    for name, text in (
        ("one", f"SAGAPAY_API_SECRET={shared}\n"),
        ("two", f"SAGAPAY_API_SECRET={shared}\nSAGAPAY_API_KEY={own}\n"),
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.env").write_text(text)
        settings = pipeline.Settings(rules=tuple(load_rules()), jobs=1)
        result = pipeline.run(FileSource([str(tmp_path / name)]), settings)
        sections.append(
            Section(title=f"repo {name}", findings=result.findings, targets=[name], files=1)
        )
    # a bidirectional override in a file name is shown, not obeyed
    sections[1] = Section(
        title="repo two",
        findings=[f.with_(path="app\u202eenv.txt") for f in sections[1].findings],
    )
    page = render(sections, title="audit", overview=[("repositories", "2 (0 failed)")])
    tags = Tags(page)
    assert len(tags.of("finding")) == 3
    items = tags.of("todo-item")
    assert sorted(a["data-rule"] for a in items) == ["sagapay-api-key", "sagapay-api-secret"]
    assert "repo one" in page and "repo two" in page and "2 (0 failed)" in page
    assert shared not in page and own not in page
    assert "\u202e" not in page and "app\\u202eenv.txt" in page


def test_timeline_order_and_broken_axis() -> None:
    """Still in HEAD before removed; a history long past is drawn wide, with a break before now,
    so an exposure of two days in a history of ten is seen (a fifth of the history's width)."""
    from scanner.finding import Finding
    from scanner.reporters import timeline
    from scanner.rules import load_rules

    rule = next(r for r in load_rules() if r.id == "sagapay-api-secret")

    def finding(secret: str, start: str, removed: str | None) -> Finding:
        extra = {
            "commit": {"sha": "a" * 40, "date": start},
            "first_seen": start,
            "still_in_head": removed is None,
            "removed_in": {"sha": "b" * 40, "date": removed} if removed else None,
        }
        return Finding(rule, "a.env", 1, 1, 1, 9, secret, "error", extra=extra)

    gone = finding("s1", "2024-01-01T12:00:00+00:00", "2024-01-03T12:00:00+00:00")
    held = finding("s2", "2024-01-11T12:00:00+00:00", None)
    tl = timeline.build([gone, held], datetime(2026, 1, 1, tzinfo=UTC))
    assert tl is not None and tl.gap == timeline.BREAK
    assert [r.finding.secret for r in tl.rows] == ["s2", "s1"]
    held_row, gone_row = tl.rows
    assert (held_row.state, gone_row.state) == ("head", "removed")
    assert held_row.x1 == 100 - timeline.PAD and gone_row.x0 == timeline.PAD
    assert 15 < gone_row.x1 - gone_row.x0 < 20  # 2 of 10 days, on 82.5% of the width
    assert gone_row.days == 2 and held_row.days == 720
    assert all(t.pct < timeline.BREAK[0] for t in tl.ticks)
    # a recent history: one straight axis up to now
    tl = timeline.build([gone, held], datetime(2024, 1, 12, tzinfo=UTC))
    assert tl is not None and tl.gap is None and tl.rows[0].x1 == 100 - timeline.PAD
    assert [t.label for t in tl.ticks] == [f"2024-01-{d:02d}" for d in (2, 4, 6, 8, 10)]


def test_acceptance_corpus_page_holds_no_value(shared: Path, tmp_path: Path) -> None:
    """Every value of the acceptance corpus, in every shape it is stored in (base64 too), is
    left out of the page, with --show-secrets."""
    expected = json.loads((shared / "corpus" / "acceptance.expected.json").read_text())
    files = expected["files"] if isinstance(expected, dict) else expected
    values = [e["secret"] for f in files for e in f["expect"] if e.get("secret")]
    assert len(values) > 20
    code, page = _render(
        "acceptance", tmp_path / "a.html", "scan", str(shared / "corpus" / "acceptance")
    )
    assert code == 1
    for value in values:
        assert value not in page
        assert base64.b64encode(value.encode()).decode() not in page
    assert len(Tags(page).of("finding")) >= len(values)


def test_sections_from_json_reports(tmp_path: Path) -> None:
    """Reports kept as JSON (as ``lekk audit`` keeps one per repository) render into one page:
    every finding by rule, file and line, the timeline, and two keys that redact alike stay
    two credentials."""
    from scanner.reporters.html import render
    from scanner.reporters.html_json import section_from_report
    from scanner.rules import load_rules

    rng = random.Random()
    keys = [keygen.sagapay_key(rng) for _ in range(3)]
    docs = []
    for i, key in enumerate(keys[:2]):
        repo = Repo(tmp_path / f"r{i}")
        repo.commit("add", {"k.env": f"# sagapay\nSAGAPAY_API_KEY={key}\n"})
        if i == 1:
            repo.commit("remove", delete=("k.env",))
            repo.commit("again", {"other.env": f"# sagapay\nSAGAPAY_API_KEY={keys[2]}\n"})
        r = lekk("git", str(repo.path), "--format", "json")
        assert r.returncode == 1, r.stderr
        docs.append(json.loads(r.stdout))
    sections = [section_from_report(f"repo {i}", d, load_rules()) for i, d in enumerate(docs)]
    page = render(sections, title="audit", overview=[("repositories", "2")])
    tags = Tags(page)
    assert {(a["data-rule"], a["data-path"], int(a["data-line"])) for a in tags.of("finding")} == {
        ("sagapay-api-key", "k.env", 2),
        ("sagapay-api-key", "other.env", 2),
    }
    assert len(tags.of("finding")) == 3 and len(tags.of("todo-item")) == 3
    states = sorted(a["data-state"] for a in tags.of("tl-row"))
    assert states == ["head", "head", "removed"]
    shown = re.findall(r"class=\"val\">\w+_live_\*{8}<", page)
    assert len(shown) == 9  # three credentials, each in the timeline, the checklist, the findings
    for key in keys:
        assert key not in page


def test_value_in_a_commit_message(tmp_path: Path) -> None:
    """A value in a commit message on the default branch is in its history, in no file at its
    tip; the page shows the subject with the value masked."""
    repo = Repo(tmp_path / "r")
    secret = keygen.sagapay_secret(random.Random())
    repo.commit(f"set SAGAPAY_API_SECRET={secret} for sagapay", {"a.txt": "x\n"})
    code, page = _render("message", tmp_path / "m.html", "git", str(repo.path))
    assert code == 1 and secret not in page
    [row] = Tags(page).of("tl-row")
    assert row["data-state"] == "history"
    assert "in the default branch's history" in _text(page)
    assert re.search(r"set SAGAPAY_API_SECRET=\w+?_\*{8} for sagapay", _text(page))
