"""The file source: walking, binary sniffing, decoding and chunked reading."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import keygen
import pytest
from helpers import lekk

from scanner.pipeline import Scan
from scanner.rules import load_rules
from scanner.sources import files
from scanner.sources.sniff import is_binary
from scanner.sources.tree import scan_targets

RNG = random.Random(11)
SCAN = Scan(load_rules())


def _walk(root: Path, excludes: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    rels = [t.rel for _, t in files.walk([str(root)], excludes, warnings.append)]
    return rels, warnings


def test_walk_order_skips_and_excludes(tmp_path: Path) -> None:
    for rel in [
        "b.py",
        "a/z.txt",
        "a/b/c.js",
        ".git/config",
        ".hg/x",
        "vendor/v.js",
        "x.min.js",
        ".env",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    # a directory's files (by name) before its subdirectories: stable from run to run
    assert _walk(tmp_path) == (
        [".env", "b.py", "x.min.js", "a/z.txt", "a/b/c.js", "vendor/v.js"],
        [],
    )
    assert _walk(tmp_path, ("vendor/**", "*.min.js"))[0] == [".env", "b.py", "a/z.txt", "a/b/c.js"]


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f.txt").write_text("x\n")
    os.symlink("..", tmp_path / "real" / "loop")
    os.symlink("/", tmp_path / "root")
    os.symlink("real/f.txt", tmp_path / "link.txt")
    os.symlink("nowhere", tmp_path / "dangling")
    assert _walk(tmp_path) == (["real/f.txt"], [])


def test_binary_by_content_not_name() -> None:
    assert is_binary(b"PK\x03\x04\x00\x00")
    assert not is_binary(b"plain text, even in a file called x.png")
    assert not is_binary("utf-16 text".encode("utf-16"))


def _frags(tmp_path: Path, data: bytes, chunk: int = files.CHUNK) -> list:
    p = tmp_path / "f"
    p.write_bytes(data)
    warnings: list[str] = []
    out = list(
        files.read_fragments(
            files.Target(str(p), "f"), lambda *_: True, warnings.append, chunk=chunk
        )
    )
    assert warnings == []
    return out


def test_small_file_one_fragment_and_bom(tmp_path: Path) -> None:
    [f] = _frags(tmp_path, b"\xef\xbb\xbfhello\n")
    assert (f.text, f.line, f.column) == ("hello\n", 1, 1)
    [g] = _frags(tmp_path, "sagapay ø\n".encode("utf-16"))
    assert g.text == "sagapay ø\n"
    assert _frags(tmp_path, b"abc\x00def") == []


def test_chunks_overlap_and_keep_positions(tmp_path: Path) -> None:
    """A small chunk size: every fragment's line/column locate its first character exactly."""
    text = "".join(f"line {i} {'é' * (i % 7)} \xff\n" for i in range(3000))
    data = text.encode("utf-8").replace("\xff".encode(), b"\xff")
    frags = _frags(tmp_path, data, chunk=4096)
    assert len(frags) > 10
    decoded = data.decode("utf-8", "replace")
    lines = decoded.split("\n")
    for f in frags:
        first_line = lines[f.line - 1]
        assert first_line[f.column - 1 :].startswith(f.text.split("\n", 1)[0])
    assert frags[-1].text.endswith(
        "line 2999 \ufffd\n".replace(" \ufffd", " " + "é" * (2999 % 7) + " \ufffd")
    )


def test_a_file_that_vanishes_is_a_warning_and_the_rest_is_scanned(tmp_path: Path) -> None:
    key = keygen.sagapay_key(RNG)
    (tmp_path / "ok.env").write_text(f"SAGAPAY_KEY={key}\n")
    targets = [
        files.Target(str(tmp_path / "gone.env"), "gone.env"),
        files.Target(str(tmp_path / "ok.env"), "ok.env"),
    ]
    found, warnings, _ = scan_targets(SCAN, targets)
    assert warnings == ["gone.env: cannot read: No such file or directory; skipped"]
    assert [(f.path, f.secret) for f in found] == [("ok.env", key)]


def test_utf16_files_pass_the_prefilter(tmp_path: Path) -> None:
    key = keygen.sagapay_key(RNG)
    for enc in ("utf-16", "utf-16-be"):
        data = f"# SagaPay\nSAGAPAY_KEY={key}\n".encode(enc)
        if enc == "utf-16-be":
            data = b"\xfe\xff" + data
        (tmp_path / "notes.txt").write_bytes(data)
        found, _, _ = scan_targets(SCAN, [files.Target(str(tmp_path / "notes.txt"), "n")])
        assert [(f.line, f.column, f.secret) for f in found] == [(2, 13, key)], enc


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_file_of_a_large_tree_is_scanned_with_any_number_of_workers(
    tmp_path: Path, jobs: str
) -> None:
    # more files than the pool's threshold, and keys in the first and the very last file walked
    first, last = keygen.sagapay_key(RNG), keygen.sagapay_key(RNG)
    for i in range(150):
        d = tmp_path / f"d{i // 40}"
        d.mkdir(exist_ok=True)
        (d / f"f{i:03}.txt").write_text(f"plain text {i}\n" * 20)
    (tmp_path / "d0" / "f000.txt").write_text(f"# sagapay\nkey = '{first}'\n")
    (tmp_path / "d3" / "f149.txt").write_text(f"# sagapay\nkey = '{last}'\n")
    r = lekk("scan", str(tmp_path), "-j", jobs, "--format", "json", "--show-secrets")
    assert r.returncode == 1, r.stderr
    found = {(f["path"], f["line"], f["secret"]) for f in json.loads(r.stdout)["findings"]}
    assert found == {("d0/f000.txt", 2, first), ("d3/f149.txt", 2, last)}
    r = lekk("scan", str(tmp_path), "-j", jobs)
    assert "in 150 file(s)" in r.stdout + r.stderr, r.stdout + r.stderr


def test_lekks_own_rule_packs_in_a_scanned_virtualenv_are_left_out(tmp_path: Path) -> None:
    """lekk installed in a virtualenv inside the tree: its packs' examples (fake credentials
    made to fire the rules) are no findings; a pack with anything added is scanned as any file,
    so a copy cannot hide a credential."""
    import shutil

    from scanner.rules import builtin_pack_paths

    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "scanner" / "_rules"
    site.mkdir(parents=True)
    for pack in builtin_pack_paths():
        shutil.copy(pack, site / pack.name)
    assert len(list(site.iterdir())) == 3
    r = lekk("scan", str(tmp_path), "--format", "json")
    assert r.returncode == 0, r.stdout[-2000:]
    assert json.loads(r.stdout)["findings"] == []
    secret = keygen.sagapay_secret(RNG)
    with (site / "sagapay.toml").open("a") as fh:
        fh.write(f'\n# SAGAPAY_API_SECRET = "{secret}"\n')
    r = lekk("scan", str(tmp_path), "--format", "json", "--show-secrets")
    assert r.returncode == 1
    found = json.loads(r.stdout)["findings"]
    assert secret in {f["secret"] for f in found}
    assert {f["path"].rsplit("/", 1)[-1] for f in found} == {"sagapay.toml"}
