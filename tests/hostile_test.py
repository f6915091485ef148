"""Hostile input: each builds what an attacker (or an unlucky tree) hands lekk and asserts a clear
warning and the rest of the report, never a crash, a hang or a fooled terminal.

docs/security.md ("Hostile input") names each defence by its test here.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import subprocess
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import hostile_inputs as hi
import pytest
from helpers import fake, git, lekk, lekk_peak

from scanner.sources import dispatch, files

FORMATS = ("text", "json", "sarif")


def _env(key: str) -> bytes:
    return f"# sagapay\nSAGAPAY_KEY={key}\n".encode()


def _json(r: subprocess.CompletedProcess[str]) -> list[tuple[str, str, int, int]]:
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    return sorted(
        (f["rule"], f["path"], f["line"], f["column"]) for f in json.loads(r.stdout)["findings"]
    )


# -- names and text that no report format can encode -----------------------------------------


def test_file_names_that_are_not_utf8_in_every_format(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    root = os.fsencode(tmp_path)
    os.mkdir(root + b"/caf\xe9")
    with open(root + b"/caf\xe9/n\xf8kkel.env", "wb") as fh:
        fh.write(_env(key))
    with open(root + b"/other\xe8.env", "wb") as fh:
        fh.write(_env(fake("spk_live_", 24)))
    for fmt in FORMATS:
        r = lekk("scan", ".", "--format", fmt, cwd=tmp_path)
        assert r.returncode == 1, (fmt, r.stderr)
        assert "internal error" not in r.stderr
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert _json(r) == [
        ("sagapay-api-key", "caf\\xe9/n\\xf8kkel.env", 2, 13),
        ("sagapay-api-key", "other\\xe8.env", 2, 13),
    ]
    sarif = json.loads(lekk("scan", ".", "--format", "sarif", cwd=tmp_path).stdout)
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for res in sarif["runs"][0]["results"]
        for loc in res["locations"]
    }
    assert uris == {"caf%E9/n%F8kkel.env", "other%E8.env"}  # the names' own bytes


def test_names_that_are_not_utf8_in_a_tar_and_in_git(tmp_path: Path) -> None:
    key, secret = fake("spk_live_", 24), fake("spk_live_", 24)
    with tarfile.open(tmp_path / "a.tar", "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tf:
        info = tarfile.TarInfo("caf\xe9.env")
        data = _env(key)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    with open(os.fsencode(repo) + b"/n\xf8kkel.env", "wb") as fh:
        fh.write(_env(secret))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "add")
    for fmt in FORMATS:
        assert lekk("scan", "a.tar", "--format", fmt, cwd=tmp_path).returncode == 1
        assert lekk("git", ".", "--format", fmt, cwd=repo).returncode == 1
    assert _json(lekk("scan", "a.tar", "--format", "json", cwd=tmp_path)) == [
        ("sagapay-api-key", "a.tar!caf\\xe9.env", 2, 13)
    ]
    # the same file has the same path whether lekk scans the tree or its history
    assert _json(lekk("git", ".", "--format", "json", cwd=repo)) == [
        ("sagapay-api-key", "n\\xf8kkel.env", 2, 13)
    ]
    assert _json(lekk("scan", ".", "--format", "json", cwd=repo)) == [
        ("sagapay-api-key", "n\\xf8kkel.env", 2, 13)
    ]


def test_source_map_with_lone_surrogates(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    doc = (
        '{"version":3,"file":"app.js","mappings":"AAAA",'
        '"sources":["webpack:///src/\\ud800x.ts","webpack:///src/\\udce9.ts"],'
        '"sourcesContent":["// sagapay\\nconst key = \\"' + key + '\\"; // \\udfff\\n", null]}'
    )
    (tmp_path / "app.js.map").write_text(doc)
    for fmt in FORMATS:
        r = lekk("scan", ".", "--format", fmt, cwd=tmp_path)
        assert r.returncode == 1, (fmt, r.stderr)
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    (f,) = json.loads(r.stdout)["findings"]
    assert (f["rule"], f["origin"]) == ("sagapay-api-key", {"path": "src/\\ud800x.ts", "line": 2})
    text = lekk("scan", ".", cwd=tmp_path).stdout
    assert "\\udfff" in text  # the shown line, escaped


def test_zip_member_with_an_empty_name_and_truncated_tgz(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    (tmp_path / "empty-name.zip").write_bytes(hi.raw_zip([(b"", b"x"), (b"ok.env", _env(key))]))
    (tmp_path / "cut.tgz").write_bytes(hi.truncated_fextra_tgz())
    (tmp_path / "cut11.tgz").write_bytes(hi.truncated_fextra_tgz() + b"\x05")
    good = fake("spk_live_", 24)
    (tmp_path / "good.env").write_bytes(_env(good))
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1
    assert _json(r) == [
        ("sagapay-api-key", "empty-name.zip!ok.env", 2, 13),
        ("sagapay-api-key", "good.env", 2, 13),
    ]
    assert r.stderr.splitlines() == [
        "lekk: warning: cut.tgz: cannot read archive: truncated or corrupt header; rest skipped",
        "lekk: warning: cut11.tgz: cannot read archive: truncated or corrupt header; rest skipped",
    ]
    assert zipfile.is_zipfile(tmp_path / "empty-name.zip")


# -- the terminal ------------------------------------------------------------------------------

ERASE = "\x1b[2J\x1b[H"  # clear the screen, cursor home
FAKE = "\x1b[2K\x1b[1Glekk: no leaks found in 1 file(s) scanned"  # erase line, column 1


def _raw_controls(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0}


def test_escape_sequences_never_reach_the_terminal(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    (tmp_path / f"{ERASE}x.env").write_text(f"# sagapay\nSAGAPAY_KEY={key}  # {FAKE}\n")
    (tmp_path / f"{ERASE}broken.zip").write_bytes(b"PK\x03\x04 not a zip")
    r = lekk("scan", ".", "-v", cwd=tmp_path)
    assert r.returncode == 1
    assert _raw_controls(r.stdout) == set() and _raw_controls(r.stderr) == set()
    assert "\\x1b[2J\\x1b[Hx.env:2:13: error sagapay-api-key" in r.stdout
    assert "\\x1b[2K\\x1b[1Glekk: no leaks found" in r.stdout  # the shown line, inert
    assert "lekk: warning: \\x1b[2J\\x1b[Hbroken.zip: cannot read archive" in r.stderr
    # history: the commit's author and subject are shown escaped as well
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.env").write_text(f"# sagapay\nSAGAPAY_KEY={fake('spk_live_', 24)}\n")
    git(repo, "add", "-A")
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "commit", "-qm", f"fix{FAKE}"],
        cwd=repo,
        check=True,
        env={**os.environ, "GIT_AUTHOR_NAME": f"ev{ERASE}il", "GIT_AUTHOR_EMAIL": "e@x.invalid"}
        | {"GIT_COMMITTER_NAME": "c", "GIT_COMMITTER_EMAIL": "c@x.invalid"},
    )
    r = lekk("git", ".", cwd=repo)
    assert r.returncode == 1, r.stderr
    assert _raw_controls(r.stdout) == set(), r.stdout
    assert f"ev{ERASE}il".encode("unicode_escape").decode() in r.stdout


# -- text told by content, lines told by any line end ----------------------------------------


def test_text_with_nuls_wide_text_and_old_mac_line_ends(tmp_path: Path) -> None:
    keys = [fake("spk_live_", 24) for _ in range(7)]
    line = "INSERT INTO log VALUES ('x');\n"
    (tmp_path / "dump.sql").write_bytes(
        b"-- sagapay settings\n" + line.encode() * 3 + b"('\x00\x00')\n" + _env(keys[0])
    )
    body = f"# sagapay\nSAGAPAY_KEY={keys[1]}\n"
    (tmp_path / "le.txt").write_bytes(body.encode("utf-16-le"))
    (tmp_path / "be.txt").write_bytes(body.replace(keys[1], keys[2]).encode("utf-16-be"))
    (tmp_path / "u32.txt").write_bytes(body.replace(keys[1], keys[3]).encode("utf-32"))
    (tmp_path / "u32le.txt").write_bytes(body.replace(keys[1], keys[4]).encode("utf-32-le"))
    (tmp_path / "mac.env").write_bytes(f"# a\r# sagapay\r\rSAGAPAY_KEY={keys[5]}\r# end\r".encode())
    # past the first 1 MiB chunk, CR-only lines, with a CRLF split across the chunk boundary
    filler = b"x" * 99 + b"\r"
    big = filler * 10485 + b"y" * 75 + b"\r\n" + filler * 5 + f"SAGAPAY={keys[6]}\r".encode()
    (tmp_path / "big-mac.txt").write_bytes(b"# sagapay\r" + big)
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert _json(r) == [
        ("sagapay-api-key", "be.txt", 2, 13),
        ("sagapay-api-key", "big-mac.txt", 1 + 10485 + 1 + 5 + 1, 9),
        ("sagapay-api-key", "dump.sql", 7, 13),
        ("sagapay-api-key", "le.txt", 2, 13),
        ("sagapay-api-key", "mac.env", 4, 13),
        ("sagapay-api-key", "u32.txt", 2, 13),
        ("sagapay-api-key", "u32le.txt", 2, 13),
    ]
    text = lekk("scan", "mac.env", cwd=tmp_path).stdout
    assert "    | SAGAPAY_KEY=spk_live_********\n" in text  # the line, not the whole file


def test_stdin_is_streamed_in_chunks(tmp_path: Path) -> None:
    """``cat BIG | lekk scan -`` read all of standard input at once (4.2 GB for 1 GiB)."""
    key = fake("spk_live_", 24)
    data = b"# sagapay\r" + b"filler line of a dump\n" * 6_000_000 + f"SAGAPAY_KEY={key}\n".encode()
    r, peak = lekk_peak("scan", "-", "--format", "json", input=data)
    assert r.returncode == 1, r.stderr
    ((rule, path, line, column),) = _json(r)
    assert (rule, line, column) == ("sagapay-api-key", 6_000_002, 13)
    assert path in ("-", "<stdin>")  # main names stdin <stdin>
    assert peak < 100, f"peak RSS {peak} MiB for {len(data) >> 20} MiB on stdin"


# -- files swapped during the scan -----------------------------------------------------------


def _walk(root: Path) -> dict[str, files.Target]:
    return {t.rel: t for _, t in files.walk([str(root)], [], pytest.fail)}


def _read_all(target: files.Target) -> tuple[list[str], list[str]]:
    """Texts read and warnings, through the dispatcher, on a thread that must not hang."""
    out: list[list[str]] = []
    warnings: list[str] = []

    def run() -> None:
        frags = dispatch.file_fragments(target, lambda data, path: True, warnings.append)
        out.append([f.text for f in frags])

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), f"{target.rel}: the read hangs"
    return out[0], warnings


def test_file_swapped_for_a_link_or_fifo_is_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = f"# sagapay\nSAGAPAY_KEY={fake('spk_live_', 24)}\n"
    (outside / "c.env").write_text(secret)
    (outside / "app.js.map").write_text(secret)
    tree = tmp_path / "tree"
    (tree / "d").mkdir(parents=True)
    for name in ("a.env", "b.js", "d/c.env", "e.zip", "f.js"):
        (tree / name).write_text("harmless\n")
    (tree / "f.js").write_text("x()\n//# sourceMappingURL=app.js.map\n")
    (tree / "app.js.map").write_text('{"version":3,"mappings":"","sources":[]}')
    walked = _walk(tree)
    # then, between the walk and the read:
    os.unlink(tree / "a.env")
    os.symlink(outside / "c.env", tree / "a.env")
    for name in ("b.js", "e.zip"):
        os.unlink(tree / name)
        os.mkfifo(tree / name)
    os.rename(tree / "d", tmp_path / "d.old")
    os.symlink(outside, tree / "d")
    os.unlink(tree / "app.js.map")
    os.symlink(outside / "app.js.map", tree / "app.js.map")

    assert _read_all(walked["a.env"]) == (
        [],
        ["a.env: cannot read: became a symbolic link during the scan; skipped"],
    )
    assert _read_all(walked["b.js"]) == ([], ["b.js: cannot read: not a regular file; skipped"])
    assert _read_all(walked["e.zip"]) == ([], ["e.zip: cannot read: not a regular file; skipped"])
    assert _read_all(walked["d/c.env"]) == (
        [],
        ["d/c.env: cannot read: replaced during the scan; skipped"],
    )
    texts, warnings = _read_all(walked["f.js"])  # the bundle is read, its swapped map is not
    assert texts == ["x()\n//# sourceMappingURL=app.js.map\n"] and warnings == []
    os.unlink(tree / "app.js.map")
    os.mkfifo(tree / "app.js.map")
    assert _read_all(walked["f.js"]) == (texts, [])


def test_the_same_inode_number_on_another_device_is_another_file(tmp_path: Path) -> None:
    """The walk notes a file's inode and its directory's device (no stat per file).  A parent
    swapped for a link to another file system could lead to a file that happens to have the
    walked inode number there (tmpfs numbers its inodes in sequence): that is not the walked
    file, and it is not read.  Only a file mounted over its name, in a directory still on the
    walked device, may carry the walked inode on another device."""
    (tmp_path / "a.env").write_text(f"SAGAPAY_KEY={fake('spk_live_', 24)}\n")
    [target] = _walk(tmp_path).values()
    st = os.stat(tmp_path / "a.env")
    assert target.ident == (os.stat(tmp_path).st_dev, st.st_ino)
    assert _read_all(target)[1] == []
    elsewhere = files.Target(target.real, target.rel, (st.st_dev + 1, st.st_ino))
    assert _read_all(elsewhere) == ([], ["a.env: cannot read: replaced during the scan; skipped"])


# -- limits that hold whatever the input --------------------------------------------------------


def test_zip_whose_end_record_understates_its_members(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    hi.write_understated_zip(tmp_path / "many.zip", 50_001, _env(key))
    hi.write_understated_zip(tmp_path / "few.zip", 3, _env(key))
    # a directory too big to load: refused by its declared size, before it is read
    big = hi.raw_zip([(b"x" * 60_000, b"")] * 300, declared=1)
    (tmp_path / "huge-dir.zip").write_bytes(big)
    (tmp_path / "good.env").write_bytes(_env(fake("spk_live_", 24)))
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert _json(r) == [
        ("sagapay-api-key", "few.zip!config.env", 2, 13),
        ("sagapay-api-key", "good.env", 2, 13),
    ]
    assert r.stderr.splitlines() == [
        "lekk: warning: huge-dir.zip: central directory of 18013800 bytes, over the "
        "16777216-byte limit; skipped",
        "lekk: warning: many.zip: 50001 members, over the 50000-member limit; skipped",
    ]


def test_tgz_of_directory_entries_counts_every_entry(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    hi.write_dir_entries_tgz(tmp_path / "dirs.tgz", 60_000, _env(key))
    hi.write_dir_entries_tgz(tmp_path / "ok.tgz", 10, _env(key))
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert _json(r) == [("sagapay-api-key", "ok.tgz!config.env", 2, 13)]
    assert r.stderr == "lekk: warning: dirs.tgz: more than 50000 members; the rest skipped\n"


def test_tar_long_name_header_is_bounded(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tf:
        info = tarfile.TarInfo("a" * (2 << 20))  # a 2 MiB name: a GNU long-name header
        tf.addfile(info, io.BytesIO(b""))
    (tmp_path / "longname.tgz").write_bytes(buf.getvalue())
    (tmp_path / "good.env").write_bytes(_env(key))
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert _json(r) == [("sagapay-api-key", "good.env", 2, 13)]
    assert r.stderr == (
        "lekk: warning: longname.tgz: cannot read archive: a 2097153-byte extended header "
        "(the limit is 1048576); rest skipped\n"
    )


def test_large_archive_members_are_read_in_chunks(tmp_path: Path) -> None:
    keys = [fake("spk_live_", 24) for _ in range(3)]
    text = b"# sagapay\r" + b"a line of the log\r" * (50 << 16) + _env(keys[0])
    strings = bytes(range(256)) * (8 << 12) + _env(keys[1]) + bytes(range(256)) * 100
    wide = (f"# sagapay\nSAGAPAY_KEY={keys[2]}\n" * 3).encode("utf-16-le")
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("log.txt", text)  # 59 MB of CR-only lines
        zf.writestr("lib.so", strings)
        zf.writestr("wide.txt", wide)
    r, peak = lekk_peak("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert r.stderr == ""
    lines = 1 + (50 << 16) + 2
    assert _json(r) == [
        ("sagapay-api-key", "big.zip!lib.so", (8 << 12) + 2, 13),  # the strings listing
        ("sagapay-api-key", "big.zip!log.txt", lines, 13),
        ("sagapay-api-key", "big.zip!wide.txt", 2, 13),
        ("sagapay-api-key", "big.zip!wide.txt", 4, 13),
        ("sagapay-api-key", "big.zip!wide.txt", 6, 13),
    ]
    assert peak < 100, f"peak RSS {peak} MiB"


SLOW_PACK = """
[pack]
provider = "Acme Pay"
[pack.remediation]
url = "https://acme.invalid/keys"
action = "Rotate the key in the Acme dashboard."

[[rules]]
id = "acme-api-key"
name = "Acme Pay API key"
severity = "error"
confidence = "high"
keywords = ["acme_"]
regex = '''(?<![A-Za-z0-9_])(?P<secret>acme_[a-z0-9]{20})(?![A-Za-z0-9_])'''
context = { any = ["(x|xx)+y"] }
what = "Finds an Acme Pay key."
why = "It moves money."
fix = "Rotate it."
examples = ["ACME=acme_k3j9x0qp2m7w4v8t1z5r  # xy"]
negative_examples = ["ACME=acme_k3j9x0qp2m7w4v8t1z5r"]
"""


def test_user_regexes_that_backtrack_forever_time_out(tmp_path: Path) -> None:
    """A user's context pattern and allowlist regex, each exponential on what it is given."""
    key = fake("spk_live_", 24)
    (tmp_path / "pack.toml").write_text(SLOW_PACK)
    (tmp_path / ".lekk.toml").write_text(
        "rules = ['pack.toml']\nexclude = ['pack.toml']\n"
        "allowlist.values = [{ regex = '^(\\w|\\w\\w|\\w\\w\\w)+$\\w', reason = 'never matches' }]\n"
    )
    (tmp_path / "acme.env").write_text(
        "".join(f"ACME=acme_k3j9x0qp2m7w4v8t{i:04d}  # {'x' * 1400}\n" for i in range(50))
    )
    (tmp_path / "good.env").write_bytes(_env(key))
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1
    assert _json(r) == [("sagapay-api-key", "good.env", 2, 13)]
    assert r.stderr.splitlines() == [
        "lekk: warning: acme.env: rule acme-api-key: a context, test or capture pattern took "
        "over 1s; the rest of the file skipped",
        "lekk: warning: allowlist regex '^(\\\\w|\\\\w\\\\w|\\\\w\\\\w\\\\w)+$\\\\w' took over 1s on a value; "
        "not applied",
    ]


def test_regions_that_repeat_an_anchor_word(tmp_path: Path) -> None:
    """``/ecomm/v2`` 100,000 times on one line: each finding once cost a pass over the whole
    line (quadratic); now a rule stops after 1,000 findings in a file, with a warning."""
    key = fake("spk_live_", 24)
    hi.write_repeated(tmp_path / "legacy.js", b"/ecomm/v2", 900_000)
    (tmp_path / "good.env").write_bytes(_env(key))
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    found = _json(r)
    assert found[0] == ("sagapay-api-key", "good.env", 2, 13)
    legacy = [f for f in found if f[1] == "legacy.js"]
    assert len(legacy) == 1000 and {f[0] for f in legacy} == {"vipps-legacy-api"}
    assert legacy[-1][2:] == (1, 1 + 999 * 9 * 3)  # a finding spans three: two more segments
    assert r.stderr == (
        "lekk: warning: legacy.js: rule vipps-legacy-api: more than 1000 findings; "
        "the rest of the file skipped\n"
    )


class _Trickle(http.server.BaseHTTPRequestHandler):
    """``/``: a page that loads ``/slow.js``, which sends its headers and a byte every 0.2 s
    (each within any per-read timeout), and ``/slow-head``, whose headers never end."""

    page = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(self.page)))
            self.end_headers()
            self.wfile.write(self.page)
            return
        self.send_response(200)
        if self.path == "/slow.js":
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"var a = 1;\n")
        for _ in range(900):  # stops by itself after three minutes
            try:
                self.wfile.write(b" " if self.path == "/slow.js" else b"X")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)


def test_web_timeout_bounds_the_whole_request(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    _Trickle.page = (
        f'<script src="/slow.js"></script><script src="/slow-head"></script>'
        f'<script>k="{key}" // sagapay</script>'
    ).encode()
    with hi.serving(_Trickle) as url:
        r = lekk(
            "web", url + "/", "--timeout", "1", "--format", "json", "--allow-partial", cwd=tmp_path
        )
    column = _Trickle.page.index(key.encode()) + 1
    assert _json(r) == [("sagapay-api-key", url + "/", 1, column)]
    cut, head, partial = r.stderr.splitlines()
    assert cut.startswith(f"lekk: warning: {url}/slow.js: response cut off after ")
    assert cut.endswith(" bytes (size or time limit)")
    assert head == f"lekk: warning: {url}/slow-head: cannot fetch: timed out after 1s; skipped"
    assert partial.startswith(
        f"lekk: warning: {url}/: partial scan, cut short by a limit (--timeout"
    )
    assert json.loads(r.stdout)["partial"] is True


def test_web_page_of_unclosed_tags(tmp_path: Path) -> None:
    """240 KB of ``<a`` took HTMLParser 71 s; then a page of 200,000 links."""
    key = fake("spk_live_", 24)
    _Trickle.page = (f'<script>k="{key}" // sagapay</script>' + "<a" * 300_000).encode()
    many = "".join(f'<a href="/p{i}.html">' for i in range(200_000))
    one_page = ("--format", "json", "--max-pages", "1", "--allow-partial")
    with hi.serving(_Trickle) as url:
        r = lekk("web", url + "/", *one_page, cwd=tmp_path)
        column = _Trickle.page.index(key.encode()) + 1
        assert _json(r) == [("sagapay-api-key", url + "/", 1, column)]
        _Trickle.page = (many + f'<script>k="{key}" // sagapay</script>').encode()
        r = lekk("web", url + "/", *one_page, cwd=tmp_path)
    column = _Trickle.page.index(key.encode()) + 1
    assert _json(r) == [("sagapay-api-key", url + "/", 1, column)]
    warning = f"lekk: warning: {url}/: more than 10000 scripts and links; the rest skipped\n"
    partial = (
        f"lekk: warning: {url}/: partial scan, cut short by a limit (--max-pages: {url}/p0.html "
        "and the pages after it not fetched)\n"
    )
    assert r.stderr == warning + partial


def test_large_source_map_is_streamed(tmp_path: Path) -> None:
    """A 61 MB map once cost ~460 MB (json.loads of the whole): now each source is decoded on
    its own and findings keep their origin and their place in the map."""
    keys = [fake("spk_live_", 24) for _ in range(3)]
    sources = ["webpack:///./src/a.ts", "webpack:///./src/ø.ts", "webpack:///./src/c.ts"]
    contents = [
        "x".join("0123456789" for _ in range(600_000)),  # 6.6 MB of one source
        f"// SagaPay ø\n\nconst KEY = '{keys[0]}';\n",
        None,
    ]
    doc = {
        "version": 3,
        "file": "app.js",
        "sources": sources,
        "names": ["ø"] * 1000,
        "mappings": "AAAA;" * 11_000_000,  # 55 MB
        "sourcesContent": contents,
        "x_sagapay_debug": f"SAGAPAY_KEY={keys[1]}",
    }
    text = json.dumps(doc, ensure_ascii=False)
    (tmp_path / "app.js.map").write_text(text)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "small.js.map").write_text(
        json.dumps({**doc, "mappings": "AAAA", "sourcesContent": [None, contents[1]]})
    )
    assert len(text.encode()) > 60_000_000
    r, peak = lekk_peak("scan", ".", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr == ""
    got = sorted(
        (f["path"], f["line"], f["column"], (f.get("origin") or {}).get("line"))
        for f in json.loads(r.stdout)["findings"]
    )
    small = (tmp_path / "dist" / "small.js.map").read_text()
    assert got == [
        ("app.js.map", 1, text.index(contents[1][:5]), 3),  # at the entry's opening quote
        ("app.js.map", 1, text.index(keys[1]) + 1, None),
        ("dist/small.js.map", 1, small.index("// SagaPay"), 3),
        ("dist/small.js.map", 1, small.index(keys[1]) + 1, None),
    ]
    assert {f["origin"]["path"] for f in json.loads(r.stdout)["findings"] if "origin" in f} == {
        "src/ø.ts"
    }
    assert peak < 100, f"peak RSS {peak} MiB"


def test_the_findings_cap_counts_per_file() -> None:
    """A history scans many blobs of one path: each blob (a fragment from line 1, column 1)
    starts its own count, and so does each file; the chunks of one file share it."""
    from scanner.engine import Engine
    from scanner.rules import load_rules
    from scanner.sources import Fragment

    engine = Engine(load_rules())
    text = "/ecomm/v2 " * 1200
    said: list[str] = []
    counts = [
        len(engine.scan(Fragment(text, path, line, column), said.append))
        for path, line, column in [
            ("a.js", 1, 1),  # 1,000, then stopped
            ("a.js", 1, 12_001),  # the next chunk of the same file: still stopped
            ("a.js", 1, 1),  # the same path again from its start: another blob
            ("b.js", 1, 1),
        ]
    ]
    assert counts == [1000, 0, 1000, 1000]
    assert len(said) == 3 and all("more than 1000 findings" in w for w in said), said


def test_inline_map_of_a_cr_only_bundle_is_placed_on_its_line(tmp_path: Path) -> None:
    key = fake("spk_live_", 24)
    doc = {"version": 3, "mappings": "AAAA", "sources": ["src/pay.ts"]}
    doc["sourcesContent"] = [f"// sagapay\nconst key = '{key}';\n"]
    url = "data:application/json;base64," + base64.b64encode(json.dumps(doc).encode()).decode()
    (tmp_path / "app.min.js").write_text(f"a();\rb();\r\n//# sourceMappingURL={url}\r")
    r = lekk("scan", ".", "--format", "json", cwd=tmp_path)
    (f,) = json.loads(r.stdout)["findings"]
    assert (f["line"], f["column"], f["origin"]) == (3, 1, {"path": "src/pay.ts", "line": 2})
