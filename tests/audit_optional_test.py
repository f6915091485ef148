"""Dask is an optional extra: nothing but ``lekk audit`` imports it, and without it ``lekk
audit`` says how to install it in one line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from git_builder import Repo, fake_secret
from helpers import ROOT


def _run(code: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_scans_and_the_hook_never_import_dask(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    repo.stage({"prod.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
    code = (
        "import sys\nfrom scanner.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'jinja2')))\n"
        "sys.exit(rc)\n"
    )
    for args in (["staged", str(repo.path)], ["git", str(repo.path)], ["scan", str(repo.path)]):
        r = _run(code, *args)
        assert r.returncode in (0, 1), r.stderr
        assert r.stdout.strip().splitlines()[-1] == "[]", (args, r.stdout)


def test_audit_without_dask_is_one_line_exit_2(tmp_path: Path) -> None:
    code = (
        "import sys\nsys.modules['dask'] = None\nsys.modules['distributed'] = None\n"
        "from scanner.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    r = _run(code, "audit", str(ROOT), "--results", str(tmp_path / "res"))
    assert r.returncode == 2
    assert r.stderr == (
        "lekk: error: lekk audit needs Dask: pip install 'lekk[audit]' (dask[distributed])\n"
    )


def test_audit_help_without_dask_and_the_docs_name_every_option() -> None:
    """``lekk audit --help`` needs no Dask, and docs/audit.md names each option it lists."""
    code = (
        "import sys\nsys.modules['dask'] = None\nsys.modules['distributed'] = None\n"
        "from scanner.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    r = _run(code, "audit", "--help")
    assert r.returncode == 0, r.stderr
    options = set(re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", r.stdout, re.M)) - {"--help"}
    assert len(options) >= 15
    doc = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    assert sorted(o for o in options if f"`{o}" not in doc) == []
    for fmt in ("text", "json", "html"):
        assert fmt in r.stdout.split("--format", 1)[1]
    assert "130" in r.stdout and "Exit codes: 1 when" in doc and "130 when interrupted" in doc
