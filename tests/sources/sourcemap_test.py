"""Source maps: sources scanned one by one, origin paths normalised, malformed maps survived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import fake, lekk, lekk_json

from scanner.sources.sourcemap import MapError, normalise, parse


@pytest.mark.parametrize(
    ("source", "root", "want"),
    [
        ("webpack:///./src/x.ts", "", "src/x.ts"),
        ("webpack://my-app/./src/x.ts?5a1f", "", "src/x.ts"),
        ("../../src/checkout.ts", "", "src/checkout.ts"),
        ("file:///home/ci/app/src/a.ts", "", "home/ci/app/src/a.ts"),
        ("x.ts", "src/", "src/x.ts"),
        ("C:\\app\\src\\x.ts", "", "app/src/x.ts"),
    ],
)
def test_normalise(source: str, root: str, want: str) -> None:
    assert normalise(source, root) == want


def _map(sources: list[str], contents: list[str | None], indent: int | None = 2) -> str:
    return json.dumps(
        {
            "version": 3,
            "file": "app.js",
            "sources": sources,
            "sourcesContent": contents,
            "names": [],
            "mappings": "AAAA",
        },
        indent=indent,
    )


def test_secret_in_third_of_several_sources(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    third = f'// SagaPay client\nimport x from "y";\n\nconst KEY = "{key}";\n'
    text = _map(
        ["webpack:///./src/a.ts", "webpack:///./src/b.ts", "webpack:///./src/pay/c.ts"],
        ["export const a = 1;\n", None, third],
    )
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.js.map").write_text(text)
    [f] = lekk_json("scan", ".", cwd=tmp_path)["findings"]
    entry = text.index('"// SagaPay client')
    line = text.count("\n", 0, entry) + 1
    column = entry - text.rfind("\n", 0, entry)
    assert (f["rule"], f["path"], f["line"], f["column"]) == (
        "sagapay-api-key",
        "static/app.js.map",
        line,
        column,
    )
    assert f["origin"] == {"path": "src/pay/c.ts", "line": 4}
    assert f["client_side"] is True and f["secret"] == key


def test_malformed_map_warns_and_scan_goes_on(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    other = fake("sps_live_", 24)
    good = _map(["src/a.ts"], [f'// sagapay\nconst k = "{key}";\n'], indent=None)
    (tmp_path / "broken.js.map").write_text(good[:-30])  # cut off: not JSON any more
    (tmp_path / "server.py").write_text(f'# sagapay\nSAGAPAY_SECRET = "{other}"\n')
    r = lekk("scan", ".", "--format", "json", "--show-secrets", cwd=tmp_path)
    assert r.returncode == 1
    warnings = [w for w in r.stderr.splitlines() if "broken.js.map" in w]
    assert len(warnings) == 1 and "malformed source map" in warnings[0], r.stderr
    assert "Traceback" not in r.stderr
    got = {(f["rule"], f["path"], f["line"]) for f in json.loads(r.stdout)["findings"]}
    # the raw text is still scanned (no origin then), and so is every other file
    assert got == {("sagapay-api-key", "broken.js.map", 1), ("sagapay-api-secret", "server.py", 2)}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "invalid JSON"),
        ('{"version": 3, "sources": ["a"]}', "no 'mappings'"),
        (
            '{"version": 3, "mappings": "", "sources": ["a"], "sourcesContent": 5}',
            "'sourcesContent' is not a list",
        ),
        ("[1, 2]", "no 'mappings'"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_parse_rejects_non_maps(text: str, why: str) -> None:
    with pytest.raises(MapError, match=why):
        parse(text)


def test_parse_index_map_and_xssi_prefix() -> None:
    inner = {
        "version": 3,
        "sources": ["webpack:///./src/z.ts"],
        "sourcesContent": ["z"],
        "mappings": "",
    }
    text = ")]}'\n" + json.dumps({"version": 3, "sections": [{"offset": {}, "map": inner}]})
    [entry] = parse(text)
    assert (entry.source, entry.text) == ("src/z.ts", "z")


def test_map_that_is_not_json_is_plain_text_without_warning(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    (tmp_path / "linker.map").write_text(f"Memory map\n.data 0x0 sagapay key {key}\n")
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr == ""
    [f] = json.loads(r.stdout)["findings"]
    assert (f["rule"], f["path"], f["line"]) == ("sagapay-api-key", "linker.map", 2)
    assert "client_side" not in f
