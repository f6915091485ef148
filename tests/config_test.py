"""Configuration: [tool.lekk], .lekk.toml, --config; every broken config is one line and exit 2."""

from __future__ import annotations

import random
from pathlib import Path

import keygen
import pytest
from helpers import lekk, lekk_json

from scanner.config import load
from scanner.errors import ConfigError

RNG = random.Random(7)
VALID_PACK = Path(__file__).parent / "testdata" / "rules" / "valid.toml"


def _tree(tmp_path: Path) -> tuple[str, str]:
    key, sec = keygen.sagapay_key(RNG), keygen.sagapay_secret(RNG)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pay.py").write_text(f"SAGAPAY_KEY = '{key}'\n")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.py").write_text(f"SAGAPAY_SECRET = '{sec}'\n")
    return key, sec


def _found(tmp_path: Path, *args: str) -> set[tuple[str, str, int]]:
    return {
        (f["rule"], f["path"], f["line"])
        for f in lekk_json("scan", str(tmp_path), *args)["findings"]
    }


def test_no_config(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _found(tmp_path) == {
        ("sagapay-api-key", "app/pay.py", 1),
        ("sagapay-api-secret", "vendor/lib.py", 1),
    }


def test_pyproject_exclude_disable_and_allowlists(tmp_path: Path) -> None:
    key, _ = _tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.lekk]\nexclude = ["vendor/**"]\n'
    )
    assert _found(tmp_path) == {("sagapay-api-key", "app/pay.py", 1)}
    (tmp_path / "pyproject.toml").write_text('[tool.lekk]\ndisable = ["sagapay-api-key"]\n')
    assert _found(tmp_path) == {("sagapay-api-secret", "vendor/lib.py", 1)}
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lekk]\nallowlist.paths = [{ path = "vendor/**", reason = "third party" }]\n'
        f'allowlist.values = [{{ regex = "^{key[:12]}", reason = "shared demo key" }}]\n'
    )
    assert _found(tmp_path) == set()
    r = lekk("scan", str(tmp_path), "-v")
    assert r.returncode == 0 and "allowlisted: third party" in r.stderr


def test_dot_lekk_toml_wins_and_extra_pack(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.lekk]\nexclude = ["app/**"]\n')
    (tmp_path / ".lekk.toml").write_text(
        f'exclude = ["vendor/**"]\nrules = [{str(VALID_PACK)!r}]\n'
    )
    (tmp_path / "acme.env").write_text("ACME=acme_k3j9x0qp2m7w4v8t1z5r\n")
    assert _found(tmp_path) == {
        ("sagapay-api-key", "app/pay.py", 1),
        ("acme-api-key", "acme.env", 1),
    }


def test_explicit_config(tmp_path: Path) -> None:
    _tree(tmp_path)
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text('exclude = ["app/**"]\n')
    assert _found(tmp_path, "--config", str(cfg)) == {("sagapay-api-secret", "vendor/lib.py", 1)}


BROKEN = [
    ("exclude = 'vendor/**'\n", "{cfg}: 'exclude' must be a list of strings"),
    ("colour = true\n", "{cfg}: unknown key(s): colour"),
    ("exclude = [\n", "{cfg}: not valid TOML: *"),
    ("rules = ['missing.toml']\n", "{cfg}: rule pack {dir}/missing.toml does not exist"),
    (
        "allowlist.paths = [{ path = 'x/**' }]\n",
        "{cfg}: allowlist.paths[1]: 'reason' is required (say why this is not a leak)",
    ),
    (
        "allowlist.values = [{ regex = '(', reason = 'r' }]\n",
        "{cfg}: allowlist.values[1]: regex does not compile: *",
    ),
    ("allowlist.other = []\n", "{cfg}: 'allowlist' takes only paths, values, hashes"),
    (
        "allowlist.paths = ['x']\n",
        "{cfg}: allowlist.paths[1]: must be a table with 'path' and 'reason'",
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), BROKEN, ids=[w.split(": ", 1)[1][:30] for _, w in BROKEN]
)
def test_broken_config(tmp_path: Path, text: str, want: str) -> None:
    from rules_test import _like

    _tree(tmp_path)
    cfg = tmp_path / ".lekk.toml"
    cfg.write_text(text)
    want = want.format(cfg=cfg, dir=tmp_path)
    with pytest.raises(ConfigError) as exc:
        load(None, [tmp_path])
    assert _like(str(exc.value), want)
    r = lekk("scan", str(tmp_path))
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1
    assert _like(r.stderr.rstrip("\n"), "lekk: error: " + want)


def test_broken_pyproject_and_missing_config(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.lekk]\ndisable = [1]\n")
    r = lekk("scan", str(tmp_path))
    assert (r.returncode, r.stderr) == (
        2,
        f"lekk: error: {tmp_path}/pyproject.toml [tool.lekk]: "
        "'disable' must be a list of strings\n",
    )
    r = lekk("scan", str(tmp_path), "--config", str(tmp_path / "nope.toml"))
    assert (r.returncode, r.stderr) == (
        2,
        f"lekk: error: {tmp_path}/nope.toml: config file does not exist\n",
    )
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00bad")
    r = lekk("scan", str(tmp_path), "--config", str(tmp_path / "bin.toml"))
    assert r.returncode == 2 and r.stderr.startswith(
        f"lekk: error: {tmp_path}/bin.toml: not valid TOML"
    )
    assert r.stderr.count("\n") == 1
