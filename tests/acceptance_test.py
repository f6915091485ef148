"""The shared acceptance corpus, judged by the shared checker (../shared/corpus/check.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import lekk

# Misses allowed until the later issues land: the two lint rules and source-map origins.
# Exact lines, so any other miss, extra or wrong severity fails the test.
ALLOWED = {
    "missing: public-env-secret web/.env.production:2",
    "missing: sagapay-insecure-http src/node/orders.js:2",
    "wrong: vipps-client-secret web/dist/assets/app.min.js.map:1: origin {}, expected "
    "{'path': 'src/checkout.ts', 'line': 4}",
}


def test_acceptance_corpus_matches_manifest(shared: Path, tmp_path: Path) -> None:
    corpus = shared / "corpus"
    r = lekk("scan", str(corpus / "acceptance"), "--format", "json", "--show-secrets")
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
    lines = check.stdout.splitlines()
    problems = {line for line in lines[:-1]}
    assert problems <= ALLOWED, "\n".join(sorted(problems - ALLOWED))
    passed, failed = (int(w) for w in lines[-1].replace(",", "").split()[::2])
    assert failed == len(problems)
    assert passed >= 27
