"""Configuration: [tool.lekk], .lekk.toml, --config; every broken config is one line and exit 2."""

from __future__ import annotations

import random
import subprocess
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


def _repo_tree(tmp_path: Path) -> Path:
    """outer/ (no repository) holding repo/ (a repository) holding app/ and vendor/."""
    repo = tmp_path / "outer" / "repo"
    repo.mkdir(parents=True)
    (repo / ".git").mkdir()  # what marks the repository root (a worktree has a .git file)
    _tree(repo)
    return repo


def _verbose_config_line(r: subprocess.CompletedProcess[str]) -> str:
    lines = [x for x in r.stderr.splitlines() if x.startswith("lekk: config: ")]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_config_is_found_upward_up_to_the_repository_root(tmp_path: Path) -> None:
    repo = _repo_tree(tmp_path)
    outer = repo.parent
    (outer / ".lekk.toml").write_text('disable = ["sagapay-api-secret"]\n')
    (repo / "pyproject.toml").write_text('[tool.lekk]\ndisable = ["sagapay-api-key"]\n')

    # Scanning a folder below the config: the repository root's config applies.
    assert _found(repo / "app") == set()
    assert _found(repo / "vendor") == {("sagapay-api-secret", "lib.py", 1)}
    r = lekk("scan", str(repo / "vendor"), "-v")
    assert _verbose_config_line(r) == f"lekk: config: {repo}/pyproject.toml [tool.lekk]"
    # So does it for a file.
    r = lekk("scan", str(repo / "app" / "pay.py"), "-v")
    assert r.returncode == 0 and _verbose_config_line(r).endswith("pyproject.toml [tool.lekk]")

    # The search stops at the repository root: the config above it is not used.
    (repo / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    assert _found(repo / "vendor") == {("sagapay-api-secret", "lib.py", 1)}
    r = lekk("scan", str(repo / "vendor"), "-v")
    assert _verbose_config_line(r) == (
        f"lekk: config: none found (searched {repo}/vendor up to the repository root {repo})"
    )
    # Outside a repository it goes on up: the outer folder's config applies.
    (repo / ".git").rmdir()
    assert _found(repo / "vendor") == set()
    r = lekk("scan", str(repo / "vendor"), "-v", "-q")
    assert "config" not in r.stderr, "-q says nothing"


def test_dot_lekk_toml_and_tool_lekk_in_one_folder_is_an_error(tmp_path: Path) -> None:
    repo = _repo_tree(tmp_path)
    (repo / "pyproject.toml").write_text('[tool.lekk]\nexclude = ["app/**"]\n')
    (repo / ".lekk.toml").write_text(f'exclude = ["vendor/**"]\nrules = [{str(VALID_PACK)!r}]\n')
    for args in (("scan", str(repo / "app")), ("rules",), ("explain", "sagapay-api-key")):
        r = lekk(*args, cwd=repo)
        assert r.returncode == 2 and r.stdout == "", args
        assert r.stderr == (
            f"lekk: error: {repo}/.lekk.toml and {repo}/pyproject.toml [tool.lekk] are both in "
            f"{repo}: keep one of them (lekk does not choose between two configs)\n"
        )
    # One of them, alone, is used; a pyproject.toml without [tool.lekk] does not count.
    (repo / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    (repo / "acme.env").write_text("ACME=acme_k3j9x0qp2m7w4v8t1z5r\n")
    assert _found(repo) == {
        ("sagapay-api-key", "app/pay.py", 1),
        ("acme-api-key", "acme.env", 1),
    }
    # --config wins over both.
    (repo / "pyproject.toml").write_text('[tool.lekk]\nexclude = ["app/**"]\n')
    assert _found(repo, "--config", str(repo / "pyproject.toml")) == {
        ("sagapay-api-secret", "vendor/lib.py", 1)
    }


def test_explicit_pyproject_without_tool_lekk_is_an_error(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    r = lekk("scan", str(tmp_path), "--config", str(tmp_path / "pyproject.toml"))
    assert (r.returncode, r.stderr) == (
        2,
        f"lekk: error: {tmp_path}/pyproject.toml: has no [tool.lekk] table\n",
    )


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("salt = 'ours'\n", "unknown key(s): salt"),
        (
            "allowlist.paths = [{ path = 'vendor/**', reason = 'r', rule = ['x'] }]\n",
            "allowlist.paths[1]: unknown key(s) rule: an entry takes 'path', 'reason' and "
            "optionally 'rules'",
        ),
        (
            "allowlist.values = [{ regex = '^x', path = 'vendor/**', reason = 'r' }]\n",
            "allowlist.values[1]: unknown key(s) path: an entry takes 'regex', 'reason' and "
            "optionally 'rules'",
        ),
        (
            "allowlist.paths = [{ path = 'vendor/**', reason = 'r', rules = ['sagapay-key'] }]\n",
            "'allowlist rules' names unknown rule id(s): sagapay-key",
        ),
        (
            "disable = ['sagapay-api-keys']\n",
            "'disable' names unknown rule id(s): sagapay-api-keys",
        ),
    ],
)
def test_a_config_key_that_would_do_nothing_is_an_error(
    tmp_path: Path, text: str, want: str
) -> None:
    _tree(tmp_path)
    (tmp_path / ".lekk.toml").write_text(text)
    r = lekk("scan", str(tmp_path))
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == f"lekk: error: {tmp_path}/.lekk.toml: {want}\n"


def test_rules_lists_a_configs_packs(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    cfg = tmp_path / "ci.toml"
    cfg.write_text(f'rules = [{str(VALID_PACK)!r}]\ndisable = ["vipps-legacy-api"]\n')
    builtin = lekk("rules", cwd=tmp_path)
    assert builtin.returncode == 0 and "acme-api-key" not in builtin.stdout
    for args, where in (
        (("rules", "-c", str(cfg)), str(cfg)),
        (("rules",), f"{tmp_path}/.lekk.toml"),
    ):
        if where != str(cfg):
            (tmp_path / ".lekk.toml").write_text(cfg.read_text())
        r = lekk(*args, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        acme = next(x for x in lines if x.startswith("acme-api-key "))
        assert acme.endswith(f"Acme Pay API key  [pack {VALID_PACK}]")
        legacy = next(x for x in lines if x.startswith("vipps-legacy-api "))
        assert legacy.endswith(f"[disabled by {where}]")
        assert len(lines) == len(builtin.stdout.splitlines()) + 2
        md = lekk(*args, "--format", "markdown", cwd=tmp_path).stdout
        assert "| `acme-api-key` | Acme Pay | Acme Pay API key | error |" in md
