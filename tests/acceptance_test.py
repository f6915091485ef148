"""The shared acceptance corpus, judged by the shared checker (../shared/corpus/check.py).

The corpus is always scanned as a copy in a temporary folder (``helpers.corpus_copy``), so the
suite passes wherever ``../shared`` lives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import acceptance_check, corpus_copy, git, lekk


@pytest.mark.parametrize("pure", ["", "1"], ids=["C-if-built", "pure-Python"])
def test_acceptance_corpus_matches_manifest(shared: Path, tmp_path: Path, pure: str) -> None:
    corpus, env = corpus_copy(shared, tmp_path / "copy")
    env["LEKK_PURE_PYTHON"] = pure  # both prefilters find the same
    check = acceptance_check(shared, corpus, tmp_path, env)
    # every expected finding (rule, path, line, value, severity, origin) and nothing else
    assert check.returncode == 0, check.stdout
    assert check.stdout.splitlines()[-1].endswith(" 0 failed"), check.stdout


def test_the_suite_passes_with_shared_inside_a_git_repository(shared: Path, tmp_path: Path) -> None:
    """``../shared`` inside a repository that tracks everything, its ``.env`` files included:
    scanned in place, ``tracked-dotenv`` rightly fires; the suite's copy is judged the same as
    anywhere else."""
    outer = tmp_path / "work"
    (outer / "shared").mkdir(parents=True)
    shutil.copytree(shared / "corpus", outer / "shared" / "corpus", copy_function=shutil.copyfile)
    git(outer, "init", "-q")
    git(outer, "add", "-A", "--force")
    git(outer, "commit", "-qm", "everything, .env files included")
    assert "shared/corpus/acceptance/.env" in git(outer, "ls-files").splitlines()
    moved = outer / "shared"

    # In place, the repository around it is part of the scan: the .env files are tracked.
    r = lekk("scan", str(moved / "corpus" / "acceptance"), "--format", "json")
    assert '"rule": "tracked-dotenv"' in r.stdout
    (tmp_path / "in-place").mkdir()
    in_place = acceptance_check(moved, moved / "corpus" / "acceptance", tmp_path / "in-place")
    assert in_place.returncode != 0 and "unexpected: tracked-dotenv .env:" in in_place.stdout

    # The way the suite scans it: a copy; every expected finding and nothing else.
    corpus, env = corpus_copy(moved, tmp_path / "copy")
    check = acceptance_check(moved, corpus, tmp_path, env)
    assert check.returncode == 0, check.stdout
