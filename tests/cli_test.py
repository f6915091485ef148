"""The lekk command as a user runs it: exit codes, formats, redaction, stdin, --output."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import keygen
import pytest
from helpers import lekk

from scanner import fastscan

RNG = random.Random(5)


def _tree(tmp_path: Path) -> dict[str, str]:
    v = {
        "key": keygen.sagapay_key(RNG),
        "sec": keygen.sagapay_secret(RNG),
        "cs": keygen.b64(RNG),
        "sub": keygen.hex32(RNG),
        "cid": keygen.guid(RNG),
    }
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "pay.py").write_text(
        f"# SagaPay\nAPI_KEY = '{v['key']}'\nAPI_SECRET = '{v['sec']}'\n"
    )
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "vipps.yml").write_text(
        f"vipps:\n  client_id: {v['cid']}\n  client_secret: {v['cs']}\n"
        f"  subscription_key: {v['sub']}\n  merchant_serial_number: 654321\n"
    )
    (tmp_path / "clean.txt").write_text("nothing here\n")
    return v


def test_version_help_and_unknown_command() -> None:
    r = lekk("--version")
    assert r.returncode == 0 and r.stdout.startswith("lekk, version ")
    mode = "C extension" if fastscan.available() else "pure Python"
    assert r.stdout.rstrip().endswith(f"(prefilter: {mode})"), r.stdout
    r = lekk("--version", env={**os.environ, "LEKK_PURE_PYTHON": "1"})
    assert r.stdout.rstrip().endswith("(prefilter: pure Python)"), r.stdout
    r = lekk("scan", "--help")
    assert r.returncode == 0 and "--exclude" in r.stdout and "--show-secrets" in r.stdout
    r = lekk("frobnicate")
    assert r.returncode == 2 and "No such command" in r.stderr and "Traceback" not in r.stderr
    r = lekk("scan", "--format", "xml", ".")
    assert r.returncode == 2 and r.stderr.count("error:") == 1


USAGE_ERRORS = [
    (("frobnicate",), "No such command 'frobnicate'. See 'lekk --help'."),
    (
        ("scan", "--frmat", "json"),
        "No such option '--frmat'. Did you mean '--format'? See 'lekk scan --help'.",
    ),
    (
        ("scan", "--format", "xml", "."),
        "Invalid value for '--format': 'xml' is not one of 'html', 'json', 'sarif', 'text'. "
        "See 'lekk scan --help'.",
    ),
    (
        ("scan", "-j", "0"),
        "Invalid value for '-j' / '--jobs': 0 is not in the range x>=1. See 'lekk scan --help'.",
    ),
    (("web",), "Missing argument 'URL'. See 'lekk web --help'."),
    (
        ("web", "https://x.invalid/", "--max-pages", "many"),
        "Invalid value for '--max-pages': 'many' is not a valid integer range. "
        "See 'lekk web --help'.",
    ),
    (
        ("explain",),
        "name a rule id (see `lekk rules`), or pass --all. See 'lekk explain --help'.",
    ),
    (("rules", "check", "--nope"), "No such option '--nope'. See 'lekk rules check --help'."),
    *(
        ((cmd, "--nope"), f"No such option '--nope'. See 'lekk {cmd} --help'.")
        for cmd in ("git", "staged", "baseline", "rules")
    ),
]


@pytest.mark.parametrize(("args", "want"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_are_one_line(args: tuple[str, ...], want: str) -> None:
    """As the README promises: one line naming the problem, exit 2 (click prints a usage block)."""
    r = lekk(*args)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", f"lekk: error: {want}\n")


def test_help_is_still_the_whole_usage() -> None:
    r = lekk("scan", "--help")
    assert r.returncode == 0 and r.stdout.startswith("Usage: lekk scan [OPTIONS] [PATHS]...")
    r = lekk()  # no command: the help, as click gives it
    assert r.returncode == 2 and "Commands:" in r.stdout + r.stderr


def test_with_output_file_the_summary_still_goes_to_stderr(tmp_path: Path) -> None:
    _tree(tmp_path)
    for fmt in ("text", "json", "sarif"):
        out = tmp_path.parent / f"{tmp_path.name}.{fmt}"
        r = lekk("scan", str(tmp_path), "--format", fmt, "-o", str(out))
        assert r.returncode == 1 and r.stdout == ""
        assert r.stderr == (
            f"lekk: 4 finding(s) (4 error) in 3 file(s) scanned; report in {out}\n"
        ), fmt
        assert lekk("scan", str(tmp_path), "--format", fmt, "-o", str(out), "-q").stderr == ""
    assert out.read_text().startswith("{")
    r = lekk("scan", str(tmp_path / "clean.txt"), "-o", str(out))
    assert (r.returncode, r.stderr) == (
        0,
        f"lekk: no leaks found in 1 file(s) scanned; report in {out}\n",
    )


def test_json_report_shape_and_redaction(tmp_path: Path) -> None:
    v = _tree(tmp_path)
    r = lekk("scan", str(tmp_path), "--format", "json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["version"] == 1 and doc["tool"]["name"] == "lekk"
    got = [(f["rule"], f["path"], f["line"], f["column"], f["severity"]) for f in doc["findings"]]
    assert got == [
        ("vipps-client-secret", "config/vipps.yml", 3, 18, "error"),
        ("vipps-subscription-key", "config/vipps.yml", 4, 21, "error"),
        ("sagapay-api-key", "src/pay.py", 2, 12, "error"),
        ("sagapay-api-secret", "src/pay.py", 3, 15, "error"),
    ]
    text = r.stdout
    for value in v.values():
        assert value not in text  # redacted by default, context too
    f = doc["findings"][0]
    assert f["secret"].startswith(v["cs"][:4]) and f["secret"] != v["cs"]
    assert set(f["context"]) == {"client_id", "merchant_serial_number"}
    assert f["remediation"]["url"].startswith("https://developer.vippsmobilepay.com/")
    assert len(f["fingerprint"]) >= 16 and v["cs"] not in f["fingerprint"]
    assert doc["findings"][2]["secret"].startswith(v["key"].rsplit("_", 1)[0] + "_")
    assert doc["findings"][2]["remediation"]["url"] == (
        "https://sagapay-docs.pages.dev/guides/getting-started/authentication"
    )
    # --show-secrets prints them whole; the fingerprint does not change
    shown = json.loads(lekk("scan", str(tmp_path), "--format", "json", "--show-secrets").stdout)
    assert [f["secret"] for f in shown["findings"]] == [v["cs"], v["sub"], v["key"], v["sec"]]
    assert shown["findings"][0]["context"]["client_id"] == v["cid"]
    assert [f["fingerprint"] for f in shown["findings"]] == [
        f["fingerprint"] for f in doc["findings"]
    ]


def test_text_report(tmp_path: Path) -> None:
    v = _tree(tmp_path)
    r = lekk("scan", str(tmp_path))
    assert r.returncode == 1
    out = r.stdout
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "config/vipps.yml:3:18: error vipps-client-secret" in out
    assert "src/pay.py:2:12: error sagapay-api-key SagaPay API key" in out
    assert "see: https://sagapay-docs.pages.dev/guides/getting-started/authentication" in out
    assert all(value not in out for value in v.values())
    assert out.rstrip().splitlines()[-1] == "lekk: 4 finding(s) (4 error) in 3 file(s) scanned"
    assert "\x1b[" in lekk("scan", str(tmp_path), "--color").stdout
    r = lekk("scan", str(tmp_path / "clean.txt"))
    assert (r.returncode, r.stdout) == (0, "lekk: no leaks found in 1 file(s) scanned\n")


def test_exit_zero_output_exclude_and_default_path(tmp_path: Path) -> None:
    _tree(tmp_path)
    r = lekk("scan", str(tmp_path), "--exit-zero")
    assert r.returncode == 0 and "4 finding(s)" in r.stdout
    report = tmp_path.parent / f"{tmp_path.name}-report.json"
    r = lekk("scan", str(tmp_path), "--format", "json", "--output", str(report))
    assert r.returncode == 1 and r.stdout == ""
    assert len(json.loads(report.read_text())["findings"]) == 4
    r = lekk("scan", str(tmp_path), "-o", str(tmp_path / "no" / "dir" / "r.json"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot write the report" in r.stderr
    r = lekk("scan", "--exclude", "src/**", "--exclude", "*.yml", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["findings"] == []
    r = lekk("scan", "--format", "json", cwd=tmp_path / "src")
    assert [f["path"] for f in json.loads(r.stdout)["findings"]] == ["pay.py", "pay.py"]


def test_stdin_and_single_files(tmp_path: Path) -> None:
    key = keygen.sagapay_key(RNG)
    r = lekk(
        "scan", "-", "--format", "json", "--show-secrets", input=f"x\nsagapay: {key}\n".encode()
    )
    assert [(f["path"], f["line"], f["secret"]) for f in json.loads(r.stdout)["findings"]] == [
        ("<stdin>", 2, key)
    ]
    v = _tree(tmp_path)
    r = lekk("scan", "src/pay.py", "config/vipps.yml", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1
    assert {f["path"] for f in json.loads(r.stdout)["findings"]} == {
        "src/pay.py",
        "config/vipps.yml",
    }
    assert v


def test_rules_listing() -> None:
    r = lekk("rules")
    assert r.returncode == 0
    for rid in (
        "vipps-client-secret",
        "vipps-subscription-key",
        "sagapay-api-key",
        "sagapay-api-secret",
    ):
        assert rid in r.stdout
    md = lekk("rules", "--format", "markdown").stdout
    assert md.startswith("| id | provider | finds | severity |")
    assert (
        "| `sagapay-api-key` | SagaPay | SagaPay API key | error (warning for test credentials) |"
        in md
    )
