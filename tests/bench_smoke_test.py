"""Smoke tests of the peer benchmarks (bench/peers.py, bench/detection_peers.py): their generators,
scoring and process-tree sampling, and bench/realworld.py's --open-gate pack.  No timing is
asserted; the peers themselves are not run."""

from __future__ import annotations

import os
import platform
import random
import sys
import threading
import time
from pathlib import Path

import keygen
import pytest
from helpers import ROOT, lekk_json

sys.path.insert(0, str(ROOT / "bench"))
import detection_peers as dp
import peers
import realworld


def test_every_planted_credential_is_where_the_generator_says(tmp_path: Path) -> None:
    planted, negatives = dp.generate(tmp_path / "tree", seed=3)
    assert len(planted) == len(dp.STRUCTURES) * len(dp.SHAPES)
    assert {n.kind for n in negatives} == {
        "template",
        "reference",
        "empty",
        "other-api",
        "other-system",
        "wrong-shape",
    }
    texts = {p: (tmp_path / "tree" / p).read_text() for p in {x.path for x in planted}}
    for p in planted:
        lines = texts[p.path].splitlines()
        assert p.value in lines[p.value_line - 1], (p.path, p.value_line)
        assert p.name_line <= p.value_line
        assert sum(t.count(p.value) for t in texts.values()) == 1, p.path
    multi = {s.name for s in dp.STRUCTURES if s.multiline}
    assert any(p.name_line < p.value_line for p in planted if p.structure in multi)
    for n in negatives:
        text = (tmp_path / "tree" / n.path).read_text()
        assert not any(p.value in text for p in planted), n.path
    cognitive = [n for n in negatives if n.kind == "other-api"]
    assert all("vipps" not in (tmp_path / "tree" / n.path).read_text().lower() for n in cognitive)


def test_a_finding_counts_only_at_the_planted_file_line_and_value(tmp_path: Path) -> None:
    planted, negatives = dp.generate(tmp_path / "tree", seed=4)
    p = next(x for x in planted if x.structure == "postman-environment")
    neg = negatives[0]
    findings = [
        dp.Found(p.path, p.value_line, p.value_line, p.value, "r"),
        dp.Found(p.path, p.value_line, p.value_line, f'"{p.value}"', "r"),  # the same, quoted
        dp.Found(p.path, p.value_line + 5, p.value_line + 5, p.value, "r"),  # wrong line
        dp.Found(neg.path, 3, 3, "whatever-value", "r"),
        dp.Found(p.path, p.value_line, p.value_line, "x", "lint-rule", lint=True),
    ]
    s = dp.score(findings, planted, negatives)
    assert s.found == {planted.index(p)}
    assert [w for _, w in s.fps] == ["planted file, other value", f"negative: {neg.kind}"]
    assert [f.rule for f in s.lint] == ["lint-rule"]


def test_lekk_report_is_parsed_and_scored(tmp_path: Path) -> None:
    """lekk's real JSON report goes through the same parser and scorer as the peers'."""
    root = tmp_path / "tree"
    planted, negatives = dp.generate(root, seed=5)
    cmd = dp.tool_commands([sys.executable, "-m", "scanner"], {})
    findings = dp.run_tool("lekk", cmd["lekk"], root)
    s = dp.score(findings, planted, negatives)
    sagapay = {i for i, p in enumerate(planted) if p.shape.startswith(("spk_", "sps_"))}
    assert sagapay <= s.found  # prefixed keys with SagaPay context, in every structure
    assert "lekk" in dp.report(planted, negatives, {"lekk": s}, cmd, list_all=True)


def test_jquery_releases_are_ordered_as_semver() -> None:
    versions = ["3.0.0", "1.12.4", "3.0.0-rc1", "4.0.0-rc.1", "1.5.1", "3.0.0-alpha1", "4.0.0"]
    assert sorted(versions, key=peers._semver_key) == [
        "1.5.1",
        "1.12.4",
        "3.0.0-alpha1",
        "3.0.0-rc1",
        "3.0.0",
        "4.0.0-rc.1",
        "4.0.0",
    ]


def test_measure_follows_the_whole_process_tree(tmp_path: Path) -> None:
    """A grandchild's 60 MB is in the peak: the sampler walks /proc/PID/task/*/children."""
    grandchild = f"{sys.executable} -c 'import time; b = bytearray(60_000_000); time.sleep(0.5)'"
    run = peers.measure(peers.Cmd(("sh", "-c", f"{grandchild}; true")), tmp_path, {})
    assert run.rc == 0
    assert run.rss_kib > 60_000_000 // 1024


def test_sampler_counts_a_child_sharing_its_parents_memory_once() -> None:
    """A vfork'd child (until its exec) shows its parent's whole memory: it is left out of the
    tree.  A thread shares memory as such a child does; a forked child has its own."""
    import scan_tree

    if scan_tree._KCMP is None:
        pytest.skip(f"no kcmp syscall number for {platform.machine()}")
    ready = threading.Event()
    done = threading.Event()
    tids: list[int] = []

    def run() -> None:
        tids.append(threading.get_native_id())
        ready.set()
        done.wait(5)

    t = threading.Thread(target=run)
    t.start()
    ready.wait(5)
    pid = os.fork()
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    try:
        assert scan_tree._same_memory(tids[0], os.getpid())
        assert not scan_tree._same_memory(pid, os.getpid())
        assert pid in scan_tree._tree_pids(os.getpid())
    finally:
        done.set()
        t.join()
        os.kill(pid, 9)
        os.waitpid(pid, 0)


def test_staged_repo_has_one_staged_file(tmp_path: Path) -> None:
    repo = peers.staged_repo(tmp_path / "repo", seed=1)
    out = peers._out(["git", "-C", str(repo), "diff", "--cached", "--name-only"])
    assert out == "src/m0/f0.py"
    assert len(peers._out(["git", "-C", str(repo), "ls-files"]).splitlines()) == 50


def test_open_gate_pack_drops_only_the_vipps_signal(tmp_path: Path) -> None:
    """bench/realworld.py --open-gate: the Vipps secret rules, copied without their gate, report a
    value of a Vipps shape under a generic name with no Vipps mention in sight (the built-in rule
    does not), and still leave out another system's name, a wrong shape and a reference."""
    rng = random.Random(int(os.environ.get("LEKK_TEST_SEED", "12")))
    secret, key, other = keygen.b64(rng, 32), keygen.hex32(rng), keygen.b64(rng, 20)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "settings.py").write_text(
        f'CLIENT_SECRET = "{secret}"\n'
        f'SUBSCRIPTION_KEY = "{key}"\n'
        f'DJANGO_SECRET = "{other}"\n'  # another system's name
        'API_SECRET = "testSecretValueFromPortal1="\n'  # not a Base64 shape
        'SECRET = os.environ["SECRET"]\n'
    )
    config = realworld.open_gate_config(tmp_path / "open-gate")

    built_in = lekk_json("scan", str(tree))["findings"]
    opened = lekk_json("scan", str(tree), "--config", str(config))["findings"]

    assert built_in == []
    assert [(f["rule"], f["path"], f["line"], f["secret"]) for f in opened] == [
        ("open-vipps-client-secret", "settings.py", 1, secret),
        ("open-vipps-subscription-key", "settings.py", 2, key),
    ]
