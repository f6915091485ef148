"""Bad input: one clear line, the right exit code, and never a stop to the rest of a scan."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import keygen
import pytest
from helpers import ROOT, lekk, lekk_peak

RNG = random.Random(3)


def _good(tmp_path: Path) -> str:
    key = keygen.sagapay_key(RNG)
    (tmp_path / "good.env").write_text(f"# sagapay\nSAGAPAY_KEY={key}\n")
    return key


def _findings(r: subprocess.CompletedProcess[str]) -> list[tuple[str, str, int, int]]:
    assert "Traceback" not in r.stderr
    return [
        (f["rule"], f["path"], f["line"], f["column"]) for f in json.loads(r.stdout)["findings"]
    ]


def test_missing_path(tmp_path: Path) -> None:
    r = lekk("scan", str(tmp_path / "nope"))
    assert (r.returncode, r.stdout, r.stderr) == (
        2,
        "",
        f"lekk: error: {tmp_path / 'nope'}: no such file or directory\n",
    )


def test_unreadable_file(tmp_path: Path) -> None:
    """chmod 000; as root, lekk runs without the capabilities that bypass file permissions."""
    key = _good(tmp_path)
    secret = tmp_path / "secret.env"
    secret.write_text(f"SAGAPAY_KEY={keygen.sagapay_key(RNG)}\n")
    secret.chmod(0o000)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inside.env").write_text(f"SAGAPAY_KEY={keygen.sagapay_key(RNG)}\n")
    locked.chmod(0o000)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        caps = "-dac_override,-dac_read_search"
        prefix = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]
    r = lekk("scan", str(tmp_path), "--format", "json", "--show-secrets", cwd=ROOT, prefix=prefix)
    assert r.returncode == 1, r.stderr
    assert _findings(r) == [("sagapay-api-key", "good.env", 2, 13)]
    assert json.loads(r.stdout)["findings"][0]["secret"] == key
    assert r.stderr.splitlines() == [
        "lekk: warning: locked/: cannot list directory: Permission denied; skipped",
        "lekk: warning: secret.env: cannot read: Permission denied; skipped",
    ]
    locked.chmod(0o755)  # so that pytest can clean up


def test_fifo_and_socket_in_tree_and_on_command_line(tmp_path: Path) -> None:
    """Not regular files: never opened (a FIFO would block forever), the rest is scanned."""
    _good(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    r = lekk("scan", str(tmp_path), "--format", "json")
    assert r.returncode == 1 and _findings(r) == [("sagapay-api-key", "good.env", 2, 13)]
    r = lekk("scan", str(tmp_path / "pipe"), str(tmp_path / "good.env"), "--format", "json")
    assert r.returncode == 1
    assert (
        r.stderr
        == f"lekk: warning: {tmp_path / 'pipe'}: not a regular file or directory; skipped\n"
    )
    assert [f[0] for f in _findings(r)] == ["sagapay-api-key"]


def test_binary_file_skipped_by_content(tmp_path: Path) -> None:
    key = keygen.sagapay_key(RNG)
    (tmp_path / "settings.py").write_bytes(b"\x00\x01\x02" + f"SAGAPAY_KEY={key}".encode())
    (tmp_path / "image.png").write_text(f"sagapay\nSAGAPAY_KEY={key}\n")
    r = lekk("scan", str(tmp_path), "--format", "json")
    assert _findings(r) == [("sagapay-api-key", "image.png", 2, 13)]


def test_invalid_utf8_keeps_line_numbers(tmp_path: Path) -> None:
    key, cs = keygen.sagapay_key(RNG), keygen.b64(RNG)
    lines = [b"caf\xe9 \xff\xfe broken latin-1 and garbage\n"] * 5 + [
        f"SAGAPAY_KEY={key}\n".encode(),
        b"\xc3\x28\xa0\xa1\n",
        f"vipps_client_secret = '{cs}'\n".encode(),
    ]
    (tmp_path / "small.txt").write_bytes(b"".join(lines))
    # and past the first chunk (1 MiB), with bad bytes on the chunk boundaries
    big = b"\xe9\xff text \xc3\n" * 300_000 + b"".join(lines)
    (tmp_path / "big.txt").write_bytes(big)
    r = lekk("scan", str(tmp_path), "--format", "json")
    assert sorted(_findings(r)) == [
        ("sagapay-api-key", "big.txt", 300_006, 13),
        ("sagapay-api-key", "small.txt", 6, 13),
        ("vipps-client-secret", "big.txt", 300_008, 24),
        ("vipps-client-secret", "small.txt", 8, 24),
    ]


def test_50mb_single_line_bounded_memory_and_right_column(tmp_path: Path) -> None:
    """A minified 50 MB line, dense with anchors and near-misses: bounded memory, right columns."""
    cs, key = keygen.b64(RNG), keygen.sagapay_key(RNG)
    unit = (
        f"vipps.client_secret={keygen.b64(RNG, 90)};spk_live_{'a1' * 40};sagapay;"
        f'secret="{"Ab1+" * 30}";' + "function(e){return e.map(function(t){return t*2})};" * 60
    ).encode()  # near-misses every 3 kB: cut by chunks and regions in every possible place
    head = unit * (26_000_000 // len(unit))
    tail = unit * (26_000_000 // len(unit))
    middle = f'var s="{cs}",vipps_client_secret="{cs}";'.encode()
    line = head + middle + tail + f" SAGAPAY={key}".encode()
    (tmp_path / "bundle.min.js").write_bytes(line)
    assert b"\n" not in line and len(line) > 50_000_000
    r, peak = lekk_peak("scan", str(tmp_path), "--format", "json", "--show-secrets", cwd=ROOT)
    warnings = r.stderr.splitlines()
    assert warnings == []
    assert r.returncode == 1
    found = json.loads(r.stdout)["findings"]
    assert [(f["rule"], f["line"], f["column"], f["secret"]) for f in found] == [
        ("vipps-client-secret", 1, len(head) + len(middle) - len(cs) - 1, cs),
        ("sagapay-api-key", 1, len(line) - len(key) + 1, key),
    ]
    assert peak < 100, f"peak RSS {peak} MiB"


def test_directory_symlink_loop(tmp_path: Path) -> None:
    _good(tmp_path)
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.symlink("../..", tmp_path / "a" / "b" / "up")
    os.symlink(tmp_path, tmp_path / "a" / "self")
    r = lekk("scan", str(tmp_path), "--format", "json")
    assert r.returncode == 1 and r.stderr == ""
    assert _findings(r) == [("sagapay-api-key", "good.env", 2, 13)]


def test_broken_config_and_pack(tmp_path: Path) -> None:
    _good(tmp_path)
    (tmp_path / ".lekk.toml").write_text("exclude = [\n")
    r = lekk("scan", str(tmp_path))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"lekk: error: {tmp_path / '.lekk.toml'}: not valid TOML: ")
    (tmp_path / "pack.toml").write_text("[[rules]]\nid = 'x'\n")
    (tmp_path / ".lekk.toml").write_text("rules = ['pack.toml']\n")
    r = lekk("scan", str(tmp_path))
    assert (
        r.returncode == 2
        and r.stderr.count("\n") == 1
        and f"{tmp_path / 'pack.toml'}: x: " in r.stderr
    )


def test_internal_error_is_exit_3_one_line(tmp_path: Path) -> None:
    _good(tmp_path)
    code = (
        "import sys, scanner.pipeline as p\n"
        "def boom(*a, **k): raise RuntimeError('injected fault')\n"
        "p.run = boom\n"
        "from scanner.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, "scan", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert (r.returncode, r.stdout, r.stderr) == (
        3,
        "",
        "lekk: internal error: RuntimeError: injected fault (a bug in lekk: run again with "
        "--debug for the traceback and report it)\n",
    )
    # --debug (or LEKK_DEBUG=1) keeps the traceback, down to where the fault was raised
    for how in (["--debug", "scan", str(tmp_path)], ["scan", str(tmp_path)]):
        env = {**os.environ, "LEKK_DEBUG": "1"} if how[0] == "scan" else None
        r = subprocess.run(
            [sys.executable, "-c", code, *how],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            env=env,
        )
        assert r.returncode == 3 and r.stdout == ""
        assert "Traceback (most recent call last)" in r.stderr
        assert "in boom" in r.stderr and "RuntimeError: injected fault" in r.stderr
        assert r.stderr.endswith("please report it with the traceback above\n")
