"""bench/engine_steps.py runs and reports every step on a small tree and history (no timing is
asserted: performance stays in bench/)."""

from __future__ import annotations

import sys
from pathlib import Path

from git_builder import Repo, fake_secret
from helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import engine_steps


def test_every_step_is_measured_on_the_files_that_pass(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "src").mkdir(parents=True)
    (tree / "src" / "pay.py").write_text(f'SAGAPAY_SECRET = "{fake_secret()}"\n')
    (tree / "src" / "plain.py").write_text("print('nothing here')\n")
    (tree / "README.md").write_text("Vipps MobilePay checkout\n")
    repo = Repo(tmp_path / "repo")
    repo.commit("one", {"a.py": "x = 1\n", "docs/b.md": "b\n"})
    repo.commit("two", {"tests/c.py": "c\n"})
    rows = dict(engine_steps.measure(tree, repo.path, runs=1))
    assert "prefilter, 3 files (0 MB)" in rows
    [scan] = [k for k in rows if k.startswith("Engine.scan")]
    assert scan.startswith("Engine.scan, 2 files that pass")
    assert "path_signature, 3 distinct paths" in rows
    assert {"Engine()", "  the Base64 step alone"} <= set(rows)
    assert (
        engine_steps.main(["--tree", str(tmp_path / "none"), "--repo", str(tmp_path / "no")]) == 2
    )
