"""The shared acceptance corpus, judged by the shared checker (../shared/corpus/check.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import lekk


@pytest.mark.parametrize("pure", ["", "1"], ids=["C-if-built", "pure-Python"])
def test_acceptance_corpus_matches_manifest(shared: Path, tmp_path: Path, pure: str) -> None:
    corpus = shared / "corpus"
    env = {**os.environ, "LEKK_PURE_PYTHON": pure}  # both prefilters find the same
    r = lekk("scan", str(corpus / "acceptance"), "--format", "json", "--show-secrets", env=env)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    report = tmp_path / "report.json"
    report.write_text(r.stdout)
    check = subprocess.run(
        [
            sys.executable,
            str(corpus / "check.py"),
            str(corpus / "acceptance.expected.json"),
            str(report),
        ],
        capture_output=True,
        text=True,
    )
    # every expected finding (rule, path, line, value, severity, origin) and nothing else
    assert check.returncode == 0, check.stdout
    assert check.stdout.splitlines()[-1].endswith(" 0 failed"), check.stdout
