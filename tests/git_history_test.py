"""``lekk git``: full history, attribution, merged locations, ranges, shallow and empty repos."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from git_builder import Repo, fake_secret
from helpers import lekk, lekk_json


def _one(report: dict, rule: str, path: str, line: int) -> dict:
    hits = [
        f for f in report["findings"] if (f["rule"], f["path"], f["line"]) == (rule, path, line)
    ]
    assert len(hits) == 1, report["findings"]
    return hits[0]


@pytest.mark.parametrize("pure", ["", "1"], ids=["C-if-built", "pure-Python"])
def test_acceptance_history_repo(shared: Path, tmp_path: Path, pure: str) -> None:
    """(The extension parses and searches the blob stream in C; the pure-Python reader must
    find exactly the same.)"""
    dest = tmp_path / "history"
    subprocess.run(
        [sys.executable, str(shared / "corpus" / "make_history_repo.py"), str(dest)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "LEKK_PURE_PYTHON": pure}
    out = str(tmp_path / "r.json")
    r = lekk("git", str(dest), "--format", "json", "--show-secrets", "-o", out, env=env)
    assert r.returncode == 1, r.stderr
    expected = tmp_path / "history.expected.json"
    check = subprocess.run(
        [
            sys.executable,
            str(shared / "corpus" / "check.py"),
            str(expected),
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    keys = _one(report, "sagapay-api-key", "tmp/keys.txt", 2)
    assert keys["also"]["count"] == 1
    assert keys["also"]["locations"][0]["path"] == "backup/keys.txt"
    assert keys["still_in_head"] is True
    tagged = _one(report, "sagapay-api-secret", "deploy/prod.env", 1)
    assert tagged["refs"] == ["refs/tags/v1.0.0"] and tagged["still_in_head"] is False


def test_same_blob_two_paths_many_commits(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    secret = fake_secret()
    text = f"# keys\nSAGAPAY_API_SECRET={secret}\n"
    repo.commit("readme", {"README.md": "hi\n"})
    first = repo.commit("add keys", {"conf/keys.env": text})
    for i in range(5):
        repo.commit(f"unrelated {i}", {"notes.txt": f"note {i}\n"})
    copy = repo.commit("copy keys", {"backup/keys.env": text})
    report = lekk_json("git", str(repo.path))
    assert len(report["findings"]) == 1, report["findings"]
    f = _one(report, "sagapay-api-secret", "conf/keys.env", 2)
    assert f["secret"] == secret
    assert f["commit"] == {
        "sha": first,
        "author": "Kari Nordmann",
        "email": "kari@example.no",
        "date": "2024-02-02T12:00:00+00:00",
        "summary": "add keys",
    }
    assert f["first_seen"] == "2024-02-02T12:00:00+00:00"
    assert f["also"]["count"] == 1
    loc = f["also"]["locations"][0]
    assert (loc["path"], loc["line"], loc["commit"]) == ("backup/keys.env", 2, copy)
    assert f["still_in_head"] is True and f["refs"] == ["refs/heads/main"]
    text_report = lekk("git", str(repo.path)).stdout
    assert "conf/keys.env:2:" in text_report and "also: 1 more: backup/keys.env:2" in text_report
    assert secret not in text_report  # redacted by default


def test_value_kept_through_edits_is_reported_once(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    secret = fake_secret()
    first = repo.commit("add", {"app.env": f"SAGAPAY_API_SECRET={secret}\n"})
    repo.commit("edit", {"app.env": f"DEBUG=1\nSAGAPAY_API_SECRET={secret}\n"})
    report = lekk_json("git", str(repo.path))
    f = _one(report, "sagapay-api-secret", "app.env", 1)
    assert f["commit"]["sha"] == first and f["also"]["count"] == 0
    assert f["still_in_head"] is True  # the edited file at the tip still holds it
    assert len(report["findings"]) == 1


def test_secret_removed_at_tip_is_still_found(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    gone, kept = fake_secret(), fake_secret("sps_test_")
    c = repo.commit(
        "add",
        {
            "deploy/prod.env": f"SAGAPAY_API_SECRET={gone}\n",
            "deploy/test.env": f"SAGAPAY_API_SECRET={kept}\n",
        },
    )
    repo.commit("remove", {"deploy/prod.env": "SAGAPAY_API_SECRET=${SAGAPAY_API_SECRET}\n"})
    repo.git("branch", "old", c)
    report = lekk_json("git", str(repo.path))
    f = _one(report, "sagapay-api-secret", "deploy/prod.env", 1)
    assert f["secret"] == gone and f["commit"]["sha"] == c
    assert f["still_in_head"] is False
    assert f["refs"] == ["refs/heads/main", "refs/heads/old"]
    assert _one(report, "sagapay-api-secret", "deploy/test.env", 1)["still_in_head"] is True
    assert report["git"]["default_branch"] == "refs/heads/main"


def test_unmerged_branch_and_branch_option(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    repo.git("checkout", "-q", "-b", "feature")
    secret = fake_secret()
    repo.commit("wip", {"f.env": f"SAGAPAY_API_SECRET={secret}\n"})
    repo.git("checkout", "-q", "main")
    assert _one(lekk_json("git", str(repo.path)), "sagapay-api-secret", "f.env", 1)["refs"] == [
        "refs/heads/feature"
    ]
    assert lekk_json("git", str(repo.path), "--branch", "main")["findings"] == []
    assert len(lekk_json("git", str(repo.path), "--branch", "feature")["findings"]) == 1


def test_ranges_scan_only_what_they_add(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    base = repo.commit("init", {"README.md": "x\n"})
    old = fake_secret()
    with_secret = repo.commit("add", {"a.env": f"SAGAPAY_API_SECRET={old}\n"})
    # later commits touch the file with the old value in it, and add nothing new
    repo.commit("edit", {"a.env": f"# staging\nSAGAPAY_API_SECRET={old}\n"})
    tip = repo.commit("more", {"b.txt": "nothing\n"})
    p = str(repo.path)
    for args in (
        [f"{with_secret}..{tip}"],
        ["--since-commit", with_secret],
        [f"{with_secret}..HEAD"],
        [f"{with_secret}.."],
    ):
        assert lekk_json("git", p, *args)["findings"] == [], args
    for args in ([f"{base}..{tip}"], ["--since-commit", base], [f"{base}..{with_secret}"]):
        f = _one(lekk_json("git", p, *args), "sagapay-api-secret", "a.env", 1)
        assert f["commit"]["sha"] == with_secret and f["secret"] == old, args
    # a range given alone (no REPO) means the current repository
    r = lekk("git", f"{base}..{tip}", "--format", "json", cwd=repo.path)
    assert r.returncode == 1 and json.loads(r.stdout)["findings"][0]["path"] == "a.env"


def test_shallow_clone_is_partial(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    old = fake_secret()
    repo.commit("old", {"old.env": f"SAGAPAY_API_SECRET={old}\n"})
    repo.commit("remove", delete=("old.env",))
    new = fake_secret()
    repo.commit("new", {"new.env": f"SAGAPAY_API_SECRET={new}\n"})
    repo.commit("docs", {"README.md": "x\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)], check=True
    )
    r = lekk("git", str(clone), "--format", "json", "--show-secrets")
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    assert report["partial_history"] is True and report["git"]["shallow"] is True
    assert "shallow clone" in r.stderr and any("shallow" in w for w in report["warnings"])
    assert [f["secret"] for f in report["findings"]] == [new]
    assert _one(report, "sagapay-api-secret", "new.env", 1)["still_in_head"] is True


def test_empty_repository(tmp_path: Path) -> None:
    Repo(tmp_path / "r")
    r = lekk("git", str(tmp_path / "r"), "--format", "json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["findings"] == [] and report["git"]["commits"] == 0
    assert lekk("staged", str(tmp_path / "r")).returncode == 0


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    cases = [
        (["git", str(tmp_path)], "not a git repository"),
        (["git", str(tmp_path / "nope")], "no such directory"),
        (["git", str(repo.path), "--branch", "nope"], "unknown revision or ref 'nope'"),
        (["git", str(repo.path), "nope..HEAD"], "unknown revision or ref 'nope'"),
        (["git", str(repo.path), "--since-commit", "--all"], "is not a revision"),
        (["staged", str(tmp_path)], "not a git repository"),
    ]
    (tmp_path / "a-file").write_text("x\n")
    bad = Repo(tmp_path / "bad")  # GitPython's Repo opens it; git then refuses its config
    (bad.path / ".git" / "config").write_text("[core\n")
    cases += [
        (["git", str(tmp_path / "a-file")], "not a git repository"),
        (["git", str(bad.path)], "bad config line 1"),
        (["git", str(repo.path)], "git: command not found"),  # GitPython's import fails too
        (["staged", str(repo.path)], "git: command not found"),
    ]
    no_git = dict(os.environ, PATH=str(tmp_path / "nowhere"))
    for args, message in cases:
        r = lekk(*args, env=no_git if "not found" in message else None)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr


def test_corrupt_object_warns_and_the_scan_goes_on(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    good = fake_secret()
    repo.commit(
        "add",
        {"a.env": f"SAGAPAY_API_SECRET={fake_secret()}\n", "b.env": f"SAGAPAY_API_SECRET={good}\n"},
    )
    blob = repo.git("rev-parse", "HEAD:a.env")
    obj = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"not zlib at all")
    r = lekk("git", str(repo.path), "--format", "json", "--show-secrets")
    assert r.returncode == 1, r.stderr
    assert (
        r.stderr == f"lekk: warning: object {blob}: missing or corrupt, cannot be read; skipped\n"
    )
    report = json.loads(r.stdout)
    assert [f["secret"] for f in report["findings"]] == [good]
    assert report["partial_history"] is True  # a blob's content was not scanned


def test_parallel_workers_find_the_same(tmp_path: Path, monkeypatch) -> None:
    """The per-core workers (used on large repositories) report exactly what one process does."""
    from scanner.pipeline import Scan
    from scanner.rules import load_rules
    from scanner.sources.git import history, scan
    from scanner.sources.git.progress import Progress

    repo = Repo(tmp_path / "r")
    for i in range(12):
        repo.commit(
            f"c{i}",
            {f"d{i % 3}/k{i}.env": f"SAGAPAY_API_SECRET={fake_secret()}\n", "notes.txt": f"{i}\n"},
        )
    engine = Scan(load_rules())

    def run(jobs: int) -> set[tuple[str, str, int, str, str | None]]:
        info = history.open_repo(str(repo.path))
        hs = scan.scan_history(info.git, ["--all"], engine, print, Progress(False), jobs)
        return {
            (f.rule.id, f.path, f.line, f.secret, ch.commit.sha if ch else None)
            for f, ch in hs.found
        }

    one = run(1)
    monkeypatch.setattr(history, "PARALLEL_PACK_KIB", 0)
    assert history.workers_worth_it(history.open_repo(str(repo.path)).git, 3)
    assert run(3) == one and len(one) == 12


def test_blob_copied_to_a_path_that_makes_it_a_finding(tmp_path: Path) -> None:
    """Rules can depend on the path (a provider name in it): a blob is scanned once per such
    path too, not only under the first path git lists it at."""
    import base64
    import os as _os

    repo = Repo(tmp_path / "r")
    value = base64.b64encode(_os.urandom(16)).decode()
    text = f'CLIENT_SECRET = "{value}"\n'
    repo.commit("generic", {"app/settings.py": text})
    copy = repo.commit("vipps", {"vipps/settings.py": text})
    report = lekk_json("git", str(repo.path))
    f = _one(report, "vipps-client-secret", "vipps/settings.py", 1)
    assert f["secret"] == value and f["commit"]["sha"] == copy
    assert len(report["findings"]) == 1


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    import os as _os
    import pty

    repo = Repo(tmp_path / "r")
    repo.commit("add", {"a.txt": "hello\n"})

    def stderr_of(*args: str) -> bytes:
        master, slave = pty.openpty()
        try:
            p = subprocess.run(
                [sys.executable, "-m", "scanner", "git", str(repo.path), *args],
                stdout=subprocess.DEVNULL,
                stderr=slave,
                timeout=60,
            )
            assert p.returncode == 0
        finally:
            _os.close(slave)
        chunks = []
        while True:
            try:
                data = _os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        _os.close(master)
        return b"".join(chunks)

    shown = stderr_of()
    assert b"lekk: git: 1 blobs" in shown and shown.endswith(b"\r\x1b[K")
    assert stderr_of("--quiet") == b""
    assert lekk("git", str(repo.path)).stderr == ""  # not a terminal: nothing


def test_blob_only_a_tag_reaches_is_reported_without_commit(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("init", {"README.md": "x\n"})
    secret = fake_secret()
    (tmp_path / "loose.env").write_text(f"SAGAPAY_API_SECRET={secret}\n")
    blob = repo.git("hash-object", "-w", str(tmp_path / "loose.env"))
    repo.git("tag", "just-a-blob", blob)
    report = lekk_json("git", str(repo.path))
    [f] = report["findings"]
    assert (f["secret"], f["line"], f["commit"], f["refs"]) == (secret, 1, None, [])
    assert f["path"] == f"(blob {blob[:12]})"
    assert lekk_json("git", str(repo.path), "--branch", "main")["findings"] == []


def test_bundles_and_source_maps_in_history_are_read_as_such(tmp_path: Path) -> None:
    """A committed map is split into its sources (origin), and a bundle ships to browsers."""
    repo = Repo(tmp_path / "r")
    key, secret = fake_secret("spk_live_"), fake_secret()
    source = f'// SagaPay checkout\nconst k = "{key}";\n'
    smap = json.dumps(
        {
            "version": 3,
            "sources": ["webpack:///./src/pay.ts"],
            "sourcesContent": [source],
            "mappings": "AAAA",
        }
    )
    sha = repo.commit(
        "build",
        {"web/dist/app.js.map": smap, "src/sagapay.py": f"SAGAPAY_API_SECRET = '{secret}'\n"},
    )
    report = lekk_json("git", str(repo.path))
    f = _one(report, "sagapay-api-key", "web/dist/app.js.map", 1)
    assert f["origin"] == {"path": "src/pay.ts", "line": 2} and f["client_side"] is True
    assert f["severity"] == "error" and f["commit"]["sha"] == sha
    plain = _one(report, "sagapay-api-secret", "src/sagapay.py", 1)
    assert "client_side" not in plain and "origin" not in plain


def test_partial_clone_warns_and_says_the_history_is_partial(tmp_path: Path) -> None:
    """A --filter=blob:none clone holds no file content: the scan says so (never a silent "no
    leaks") and never fetches the missing blobs (the remote is gone: a fetch would fail)."""
    src = Repo(tmp_path / "src")
    src.commit("add", {"deploy/.env.prod": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
    src.commit("rm", {"notes.txt": "x\n"}, delete=("deploy/.env.prod",))
    src.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", "--no-checkout", src.path.as_uri(), clone],
        check=True,
    )
    r = lekk("git", str(clone), "--format", "json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["partial_history"] is True and report["findings"] == []
    assert "2 object(s) of the history are not in the repository" in r.stderr
    assert "fetch" not in r.stderr and "Traceback" not in r.stderr


def test_an_unreadable_old_tree_is_warned_about_and_the_rest_is_scanned(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    old, new, late = fake_secret(), fake_secret(), fake_secret()
    repo.commit("c1", {"a/keys.env": f"SAGAPAY_API_SECRET={old}\n"})
    c2 = repo.commit("c2", {"b/keys.env": f"SAGAPAY_API_SECRET={new}\n"})
    repo.commit("c3", {"c/keys.env": f"SAGAPAY_API_SECRET={late}\n"})
    tree = repo.git("rev-parse", "HEAD~2:a")  # a folder only c1..c3 hold: c1 needs it
    (repo.path / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    r = lekk("git", str(repo.path), "--format", "json", "--show-secrets")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert f"unable to read tree {tree}" in r.stderr
    report = json.loads(r.stdout)
    assert report["partial_history"] is True
    by_secret = {f["secret"]: f for f in report["findings"]}
    # the commits after the damage keep their attribution; the folder's own file is gone
    assert set(by_secret) == {new, late}
    assert by_secret[new]["commit"]["sha"] == c2 and by_secret[new]["path"] == "b/keys.env"
    assert by_secret[late]["commit"]["summary"] == "c3"


def test_commit_and_tag_messages_are_scanned(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    in_commit, in_tag = fake_secret(), fake_secret()
    repo.commit("readme", {"README.md": "# shop\n"})
    sha = repo.commit(
        f"sagapay: rotate keys\n\nthe old one was\nSAGAPAY_API_SECRET={in_commit}\n", {"a": "1\n"}
    )
    repo.git("tag", "-a", "v1.0", "-m", f"release\n\nSagaPay secret {in_tag}", "HEAD~1")
    report = lekk_json("git", str(repo.path))
    found = {(f["path"], f["line"], f["secret"]): f for f in report["findings"]}
    assert set(found) == {("(commit message)", 4, in_commit), ("(tag message)", 3, in_tag)}
    msg = found[("(commit message)", 4, in_commit)]
    assert msg["rule"] == "sagapay-api-secret" and msg["commit"]["sha"] == sha
    assert msg["commit"]["summary"] == "sagapay: rotate keys"
    tag = found[("(tag message)", 3, in_tag)]
    assert tag["commit"]["author"] == "Kari Nordmann" and tag["commit"]["summary"] == "release"
    # a range scans the messages of its commits only
    rng = lekk_json("git", str(repo.path), f"{sha}~1..{sha}")
    assert [(f["path"], f["secret"]) for f in rng["findings"]] == [("(commit message)", in_commit)]
