"""``lekk scan`` across forked workers (``tree._forked``): the same findings, in the same order,
as one process; a worker that fails is one line and exit 2; Ctrl-C leaves no worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import fake, lekk_json, processes_naming

from scanner.errors import SourceError
from scanner.sources import files, tree


def _tree(root: Path, n: int) -> dict[tuple[str, int], str]:
    """``n`` files, every seventh holding a SagaPay key on a line of its own: (path, line) ->
    the key."""
    planted = {}
    for i in range(n):
        lines = [f"# module {i}", "import os", f"VALUE_{i} = {i}"]
        if i % 7 == 3:
            key = fake("spk_live_", 24)
            lines.insert(i % 3, f'SAGAPAY_KEY = "{key}"')
            planted[(f"pkg{i % 5}/m{i}.py", i % 3 + 1)] = key
        (root / f"pkg{i % 5}").mkdir(parents=True, exist_ok=True)
        (root / f"pkg{i % 5}/m{i}.py").write_text("\n".join(lines) + "\n")
    return planted


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked workers need fork")
def test_workers_find_the_same_in_the_same_order_as_one_process(tmp_path: Path) -> None:
    planted = _tree(tmp_path / "t", 400)  # over tree.PARALLEL_MIN_FILES, many batches
    reports = [lekk_json("scan", str(tmp_path / "t"), "--jobs", j) for j in ("1", "2", "3")]
    assert reports[0]["findings"] == reports[1]["findings"] == reports[2]["findings"]
    got = {(f["path"], f["line"]): f["secret"] for f in reports[2]["findings"]}
    assert got == planted
    assert all(f["rule"] == "sagapay-api-key" for f in reports[2]["findings"])
    assert reports[1]["summary"]["files"] == reports[0]["summary"]["files"] == 400
    on_disk = sum(p.stat().st_size for p in (tmp_path / "t").rglob("*.py"))
    assert [r["summary"]["bytes"] for r in reports] == [on_disk] * 3


class _Breaks:
    """A scan function whose engine fails on one file (a bug, as a worker would meet it)."""

    def prefilter(self, data: Any, path: str) -> bool:
        return True

    def __call__(self, frag: Any, warn: Any) -> list[Any]:
        if frag.path.endswith("m77.py"):
            raise RuntimeError("the engine broke")
        return []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked workers need fork")
def test_a_worker_that_fails_is_one_line(tmp_path: Path) -> None:
    _tree(tmp_path / "t", 200)
    targets = [t for _, t in files.walk([str(tmp_path / "t")], [], print)]
    with pytest.raises(SourceError) as err:
        tree._forked(_Breaks(), targets, 2)  # type: ignore[arg-type]
    assert str(err.value) == "a scan worker failed: RuntimeError: the engine broke"


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs /proc")
def test_ctrl_c_leaves_no_worker_behind(tmp_path: Path) -> None:
    root = tmp_path / "big"
    for i in range(3000):  # enough work that the workers are busy when Ctrl-C comes
        (root / f"d{i % 30}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i % 30}/f{i}.txt").write_text(("vipps client_secret word " * 2000) + "\n")
    cmd = [sys.executable, "-m", "scanner", "scan", str(root), "--jobs", "2", "-q"]
    # its own process group, SIGINT at its default action (see audit_test's interrupt test)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, signal, sys; signal.signal(signal.SIGINT, "
            "signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
            *cmd,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert processes_naming(str(root), "scanner", wait=5) == []
