"""Bundles: a real esbuild bundle + map, a multi-megabyte single line, client-side marking."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from helpers import ROOT, corpus_copy, fake, lekk, lekk_json

from scanner.sources.bundles import (
    head_looks_minified,
    looks_minified,
    map_ref_in_bytes,
    map_ref_in_file,
    map_ref_in_text,
)
from scanner.sources.files import Target
from scanner.sources.kinds import is_client_side

BUNDLES = ROOT / "tests" / "testdata" / "bundles"
PLACEHOLDER = "@@LEKK_SAGAPAY_KEY_PLACEHOLDER@@"


def line_col(text: str, needle: str) -> tuple[int, int]:
    pos = text.index(needle)
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


def by_rule(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


@pytest.fixture
def esbuild_app(tmp_path: Path) -> tuple[Path, str]:
    """The committed esbuild output (see tests/testdata/bundles/regenerate.sh), with a random
    key of the placeholder's length in place of the placeholder."""
    key = fake("spk_live_", len(PLACEHOLDER) - len("spk_live_"))
    dist = tmp_path / "web" / "dist"
    dist.mkdir(parents=True)
    for name in ("app.min.js", "app.min.js.map"):
        text = (BUNDLES / name).read_text()
        assert PLACEHOLDER in text, f"{name}: regenerate the fixture"
        (dist / name).write_text(text.replace(PLACEHOLDER, key))
    inline = (BUNDLES / "app.inline.js").read_text()
    head, _, data = inline.rpartition("base64,")
    decoded = base64.b64decode(data.strip()).decode().replace(PLACEHOLDER, key)
    (tmp_path / "web" / "inline").mkdir()
    encoded = base64.b64encode(decoded.encode()).decode()
    (tmp_path / "web" / "inline" / "app.inline.js").write_text(
        head.replace(PLACEHOLDER, key) + "base64," + encoded + "\n"
    )
    return tmp_path, key


def test_esbuild_bundle_and_linked_map(esbuild_app: tuple[Path, str]) -> None:
    root, key = esbuild_app
    report = lekk_json("scan", ".", cwd=root)
    found = [f for f in by_rule(report, "sagapay-api-key") if "dist" in f["path"]]
    bundle_text = (root / "web/dist/app.min.js").read_text()
    map_text = (root / "web/dist/app.min.js.map").read_text()
    in_bundle = [f for f in found if f["path"] == "web/dist/app.min.js"]
    in_map = [f for f in found if f["path"] == "web/dist/app.min.js.map"]
    assert len(found) == 2, found  # once in the bundle, once in the map: never twice
    line, col = line_col(bundle_text, key)
    assert (in_bundle[0]["line"], in_bundle[0]["column"]) == (line, col)
    assert in_bundle[0]["secret"] == key and in_bundle[0]["client_side"] is True
    assert in_bundle[0]["severity"] == "error"
    # the map: the third of four sources; reported where that entry starts in the map
    assert in_map[0]["origin"] == {"path": "app/src/payment.ts", "line": 4}
    assert (in_map[0]["line"], in_map[0]["column"]) == line_col(map_text, '"// The mistake')
    assert in_map[0]["bundle"] == "web/dist/app.min.js"


def test_bundle_alone_follows_its_map(esbuild_app: tuple[Path, str]) -> None:
    root, _key = esbuild_app
    report = lekk_json("scan", "web/dist/app.min.js", cwd=root)
    paths = sorted((f["path"], f.get("origin", {}).get("path")) for f in report["findings"])
    assert paths == [
        ("web/dist/app.min.js", None),
        ("web/dist/app.min.js.map", "app/src/payment.ts"),
    ]


def test_inline_data_map(esbuild_app: tuple[Path, str]) -> None:
    root, key = esbuild_app
    report = lekk_json("scan", ".", cwd=root)
    found = [f for f in by_rule(report, "sagapay-api-key") if "inline" in f["path"]]
    text = (root / "web/inline/app.inline.js").read_text()
    comment_line, _ = line_col(text, "//# sourceMappingURL=data:")
    assert sorted((f["line"], f.get("origin", {}).get("path")) for f in found) == [
        (1, None),
        (comment_line, "app/src/payment.ts"),
    ]
    via_map = next(f for f in found if "origin" in f)
    assert via_map["origin"]["line"] == 4 and via_map["secret"] == key
    assert via_map["client_side"] is True


def test_multi_megabyte_single_line(tmp_path: Path) -> None:
    key = fake("spk_test_", 24)
    secret = fake("sps_test_", 24)
    filler = 'var a=function(b){return fetch("https://api.sagapay.no/v1/"+b)};' * 20_000
    # a key deep in a 5 MB line, and a secret straddling the 1 MiB read boundary
    boundary = (1 << 20) - 10
    head = ("x" * boundary)[: boundary - len('headers:{"X-API-Secret":"')]
    line = head + f'headers:{{"X-API-Secret":"{secret}"}};' + filler * 3
    line += f'const k={{"X-API-Key":"{key}"}};' + filler
    (tmp_path / "main.3f9a1c.js").write_text("/*! app v1 */\n" + line + "\n")
    report = lekk_json("scan", ".", cwd=tmp_path)
    [k] = by_rule(report, "sagapay-api-key")
    [s] = by_rule(report, "sagapay-api-secret")
    assert (k["line"], k["column"]) == (2, line.index(key) + 1)
    assert (s["line"], s["column"]) == (2, line.index(secret) + 1)
    assert k["severity"] == s["severity"] == "error"  # a test key, but in a bundle
    assert k["client_side"] is True
    text = lekk("scan", ".", cwd=tmp_path).stdout
    assert "every visitor downloads" in text
    assert max(len(x) for x in text.splitlines()) < 200  # a window, not the 5 MB line
    assert key not in text and secret not in text


def test_server_side_script_is_not_client_side(tmp_path: Path) -> None:
    key = fake("spk_test_", 24)
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "pay.js").write_text(
        f'// SagaPay\nconst headers = {{\n  "X-API-Key": "{key}",\n}};\nmodule.exports = headers;\n'
    )
    [f] = lekk_json("scan", ".", cwd=tmp_path)["findings"]
    assert (f["rule"], f["path"], f["line"]) == ("sagapay-api-key", "server/pay.js", 3)
    assert f["severity"] == "warning" and "client_side" not in f


@pytest.mark.parametrize(
    ("path", "client"),
    [
        ("web/dist/assets/index-4f9c2a1b.js", True),
        ("build/static/js/main.js", True),
        ("app/.next/static/chunks/pages/_app.js", True),
        ("site/public/config.json", True),
        ("out/index.html", True),
        ("src/vendor/lib.min.js", True),
        ("any/where/app.js.map", True),
        ("src/server/index.js", False),
        ("build/lib/settings.py", False),  # a Python build folder does not ship to browsers
        ("static/settings.yaml", False),
        ("archive.zip!dist/app.js", True),
    ],
)
def test_is_client_side(path: str, client: bool) -> None:
    assert is_client_side(path) is client


def test_map_ref_last_comment_wins_across_chunks(tmp_path: Path) -> None:
    body = "//# sourceMappingURL=old.js.map\n" + "a;" * (3 << 20)
    body += "\n//# sourceMappingURL=new.js.map\n"
    p = tmp_path / "b.js"
    p.write_text(body)
    ref = map_ref_in_file(Target(str(p), "b.js"))
    assert ref is not None and (ref.url, ref.line, ref.column) == ("new.js.map", 3, 1)
    text_ref = map_ref_in_text('x="//# sourceMappingURL="+u;\n//# sourceMappingURL=a.map')
    assert text_ref is not None and (text_ref.url, text_ref.line) == ("a.map", 2)


@pytest.mark.parametrize(
    "body",
    [
        b"a();\n//# sourceMappingURL=app.js.map\n",
        b"\xc3\xa6\xc3\xb8\xc3\xa5 = 1; //# sourceMappingURL=data:application/json;base64,e30=",
        b"a();\r\nb();\rc();\r\n/*# sourceMappingURL=x.map */",  # CRLF and a lone CR
        b"//@ sourceMappingURL=first.map\n" + b"x;" * 5000 + b"\n//# sourceMappingURL=last.map",
        b'x="//# sourceMappingURL="+u;\n',  # inside a string: no comment
        b"no reference at all\n",
        b"\xff\xfe broken UTF-8 \x80;\n//# sourceMappingURL=b%20c.map?v=1\n",
    ],
)
def test_map_ref_of_a_file_read_whole_is_the_streamed_one(tmp_path: Path, body: bytes) -> None:
    """A script read in one go (``dispatch``) finds the reference ``map_ref_in_file`` finds,
    at the same line and byte column; and the minified test on bytes answers as on text."""
    p = tmp_path / "b.js"
    p.write_bytes(body)
    assert map_ref_in_bytes(body) == map_ref_in_file(Target(str(p), "b.js"))
    assert map_ref_in_bytes(body, limit=3) == map_ref_in_file(Target(str(p), "b.js"), limit=3)
    for head in (body, "\u00e6".encode() * 999 + b"\n", b"x" * 1000, b"\xff" * 1000):
        assert head_looks_minified(head) is looks_minified(head.decode("utf-8", "replace"))


def test_text_report_hides_every_secret_in_a_window(tmp_path: Path) -> None:
    """Two secrets a few characters apart on one minified line: each finding's window shows
    (part of) the other, and neither may be printed without --show-secrets."""
    key, secret = fake("spk_live_", 24), fake("sps_live_", 24)
    line = "var q=1;" * 20 + 'fetch("https://api.sagapay.no/v1",{headers:{"X-API-Key":"'
    line += key + '",' + "z" * 25 + '"X-API-Secret":"' + secret + '"}});' + "var q=1;" * 20
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "main.js").write_text(line)
    text = lekk("scan", ".", cwd=tmp_path).stdout
    assert text.count("every visitor downloads") == 2
    for value in (key, secret):
        body = value[len("spk_live_") :]
        assert not any(body[i : i + 6] in text for i in range(len(body) - 5)), text


def test_map_reference_never_leaves_the_bundle_folder(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    outside = tmp_path / "outside"
    outside.mkdir()
    source = f'// sagapay\nk="{key}"\n'
    (outside / "x.js.map").write_text(
        json.dumps({"version": 3, "sources": ["a.ts"], "sourcesContent": [source], "mappings": ""})
    )
    site = tmp_path / "site" / "dist"
    site.mkdir(parents=True)
    (site / "linked").symlink_to(outside, target_is_directory=True)
    (site / "a.js").write_text("a();\n//# sourceMappingURL=../../outside/x.js.map\n")
    (site / "b.js").write_text("b();\n//# sourceMappingURL=linked/x.js.map\n")
    (site / "c.js").write_text(f"c();\n//# sourceMappingURL=file://{outside}/x.js.map\n")
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path / "site")
    assert r.returncode == 0 and r.stderr == "", r.stdout + r.stderr


def test_acceptance_corpus_bundle_and_map(shared: Path, tmp_path: Path) -> None:
    """The corpus' client-side files are reported exactly as acceptance.expected.json says."""
    expected = json.loads((shared / "corpus" / "acceptance.expected.json").read_text())
    want = {
        (e["rule"], f["path"], e["line"], e["secret"], json.dumps(e.get("origin")))
        for f in expected["files"]
        if f["path"].startswith("web/dist/")
        for e in f["expect"]
    }
    assert len(want) == 4
    corpus, env = corpus_copy(shared, tmp_path / "copy")
    r = lekk("scan", str(corpus / "web" / "dist"), "--format", "json", "--show-secrets", env=env)
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    got = {
        (f["rule"], "web/dist/" + f["path"], f["line"], f["secret"], json.dumps(f.get("origin")))
        for f in report["findings"]
    }
    assert got == want
    assert all(f["client_side"] and f["severity"] == "error" for f in report["findings"])
