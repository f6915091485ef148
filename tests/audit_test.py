"""``lekk audit``: many repositories on Dask, an embedded cluster and a real scheduler with two
workers started here on 127.0.0.1; each must find exactly what ``lekk git`` finds one by one."""

from __future__ import annotations

import contextlib
import html
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from browser import chromium, keep_screenshot, launch
from git_builder import Repo, fake_secret
from helpers import lekk

pytest.importorskip("distributed", reason="lekk[audit] (Dask) is not installed")

N = 22


def _key(f: dict) -> tuple:
    commit = (f.get("commit") or {}).get("sha")
    return (
        f["rule"],
        f["path"],
        f["line"],
        f["column"],
        f["secret"],
        f["fingerprint"],
        commit,
        f.get("still_in_head"),
        tuple(f.get("refs", [])),
    )


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """22 repositories: credentials in old commits, on branches, still at the tip, none at
    all; one empty; one corrupt (a pack object overwritten)."""
    root = tmp_path_factory.mktemp("repos")
    out: dict[str, Path] = {}
    for i in range(N - 2):
        r = Repo(root / f"shop-{i:02d}")
        r.commit("init", {"README.md": f"# shop {i}\n"})
        if i % 3 == 0:  # a key committed, then removed: only the history has it
            r.commit("keys", {"deploy/prod.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
            r.commit("remove keys", delete=("deploy/prod.env",))
        if i % 4 == 1:  # on an unmerged branch
            r.git("checkout", "-q", "-b", "feature")
            r.commit("wip", {"src/pay.env": f"SAGAPAY_API_KEY={fake_secret('spk_live_')}\n"})
            r.git("checkout", "-q", "main")
        if i % 5 == 2:  # still at the tip
            r.commit("config", {"config/sagapay.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
        out[r.path.name] = r.path
    empty = root / "empty"
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    out["empty"] = empty
    corrupt = Repo(root / "corrupt")
    corrupt.commit("keys", {"prod.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
    for obj in (corrupt.path / ".git" / "objects").glob("??/*"):
        obj.chmod(0o644)
        obj.write_bytes(b"garbage")
    out["corrupt"] = corrupt.path
    return out


@pytest.fixture(scope="module")
def one_by_one(repos: dict[str, Path]) -> dict[str, set[tuple]]:
    """What `lekk git` reports for each repository, run one by one."""
    out = {}
    for name, path in repos.items():
        if name == "corrupt":
            continue
        r = lekk("git", str(path), "--format", "json")
        assert r.returncode in (0, 1), r.stderr
        out[name] = {_key(f) for f in json.loads(r.stdout)["findings"]}
    assert sum(1 for v in out.values() if v) >= 10  # most repositories have something
    return out


def _audit(
    repos: dict[str, Path], tmp: Path, *args: str, fmt: str = "json"
) -> tuple[subprocess.CompletedProcess[str], dict]:
    listing = tmp / "repos.txt"
    listing.write_text("# the shops\n" + "".join(f"{p}\n" for p in repos.values()))
    r = lekk(
        "audit",
        "--from",
        str(listing),
        "--results",
        str(tmp / "results"),
        "--cache",
        str(tmp / "cache"),
        "--format",
        fmt,
        *args,
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r, json.loads(r.stdout) if fmt == "json" else {}


def _check(
    results: Path, doc: dict, repos: dict[str, Path], one_by_one: dict[str, set[tuple]]
) -> None:
    rows = {Path(row["source"]).name: row for row in doc["repositories"]}
    assert set(rows) == set(repos)
    bad = rows.pop("corrupt")
    assert bad["status"] == "failed" and bad["reason"], bad
    for name, row in rows.items():
        assert row["status"] in ("scanned", "unchanged"), row
        report = json.loads((results / "repos" / f"{row['slug']}.json").read_text())
        assert {_key(f) for f in report["findings"]} == one_by_one[name], name
        assert row["findings"] == len(one_by_one[name])
        sarif = json.loads((results / "repos" / f"{row['slug']}.sarif").read_text())
        assert len(sarif["runs"][0]["results"]) == len(one_by_one[name])
    assert doc["summary"]["failed"] == 1 and doc["summary"]["repositories"] == N


@pytest.fixture(scope="module")
def embedded(
    repos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str], dict]:
    """One audit of every repository on the embedded cluster: its folder, the run, the report."""
    tmp = tmp_path_factory.mktemp("embedded")
    r, doc = _audit(repos, tmp, "--workers", "2")
    return tmp, r, doc


def test_embedded_cluster_finds_what_lekk_git_finds(
    repos: dict[str, Path], one_by_one: dict[str, set[tuple]], embedded: tuple
) -> None:
    tmp_path, r, doc = embedded
    assert r.returncode == 1, r.stderr  # findings
    _check(tmp_path / "results", doc, repos, one_by_one)
    assert f"{repos['corrupt']}: " in r.stderr  # the failure is said, with its reason
    index = json.loads((tmp_path / "results" / "index.json").read_text())
    assert len(index["repositories"]) == N
    # a re-run skips every repository whose refs have not changed
    r, again = _audit(repos, tmp_path, "--workers", "2")
    status = {Path(row["source"]).name: row["status"] for row in again["repositories"]}
    assert {s for n, s in status.items() if n != "corrupt"} == {"unchanged"}
    _check(tmp_path / "results", again, repos, one_by_one)


def _planted(path: Path) -> set[str]:
    """Every value a test planted in a repository's history (files and commit messages)."""
    log = subprocess.run(
        ["git", "-C", str(path), "log", "--all", "-p", "--format=%B"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return set(re.findall(r"SAGAPAY_API_\w+=(\w+)", log))


def _sections(page: str) -> dict[str, list[tuple[str, str, int]]]:
    """The page's sections: title -> the (rule, path, line) of each finding shown in it."""
    out = {}
    for chunk in re.split(r'<section id="section-\d+" class="section">', page)[1:]:
        [title] = re.findall(r'<h2 class="section-title">([^<]*)</h2>', chunk)
        found = re.findall(
            r'<article class="finding[^"]*" data-rule="([^"]+)" data-path="([^"]*)" '
            r'data-line="(\d+)"',
            chunk,
        )
        out[html.unescape(title)] = [(rule, html.unescape(p), int(n)) for rule, p, n in found]
    return out


def test_html_report_a_section_per_repository(
    repos: dict[str, Path], one_by_one: dict[str, set[tuple]], embedded: tuple
) -> None:
    """``--format html``: one page, an overall summary and a section per repository (from the
    JSON reports in the results folder) holding what ``lekk git`` finds there; no raw value; it
    opens in Chromium without a request or an error."""
    tmp_path, _, _ = embedded
    page_file = tmp_path / "audit.html"
    r, _ = _audit(repos, tmp_path, "--workers", "2", "-o", str(page_file), fmt="html")
    assert r.returncode == 1 and r.stdout == "", r.stderr
    page = page_file.read_text(encoding="utf-8")
    sections = _sections(page)
    assert set(sections) == {str(p) for p in repos.values()}
    for name, path in repos.items():
        shown = sections[str(path)]
        if name == "corrupt":
            assert shown == []
            continue
        assert sorted(shown) == sorted((k[0], k[1], k[2]) for k in one_by_one[name]), name
    chunk = page.split(f'<h2 class="section-title">{repos["corrupt"]}</h2>')[1]
    assert "not scanned" in chunk.split("</section>")[0]
    assert f"lekk audit of {N} repositories" in page
    assert f"{N}: 0 scanned, {N - 1} unchanged since the last run, 1 failed" in page
    planted = set().union(*(_planted(p) for n, p in repos.items() if n != "corrupt"))
    assert len(planted) >= 10
    for value in planted:
        assert value not in page
    assert page.count("sps_live_********") >= 7  # the values, masked

    exe = chromium()
    if exe is None:
        pytest.skip("no chromium on this machine (apt-get install chromium; .ci/run does)")
    with launch(exe) as browser:
        seen = browser.visit(page_file, tmp_path / "audit.png")
    shot = keep_screenshot(tmp_path / "audit.png", "audit-html")
    assert shot.stat().st_size > 10_000
    assert seen.requests == [seen.url], "the report made requests"
    assert seen.errors == [] and seen.dialogs == [] and seen.scripts == 0
    assert all(str(p) in seen.text for p in repos.values())
    assert not any(value in seen.text for value in planted)


def test_html_report_masks_reports_kept_with_show_secrets(tmp_path: Path) -> None:
    """With --show-secrets the per-repository JSON reports keep values whole; the page drawn
    from them still masks every one, in a commit message too."""
    key, secret, said = fake_secret("spk_live_"), fake_secret(), fake_secret()
    shops = {}
    for name in ("tip", "gone"):
        r = Repo(tmp_path / "repos" / name)
        r.commit("init", {"README.md": "# shop\n"})
        r.commit("keys", {"prod.env": f"SAGAPAY_API_KEY={key}\nSAGAPAY_API_SECRET={secret}\n"})
        if name == "gone":
            r.commit(f"rotate SAGAPAY_API_SECRET={said} for sagapay", delete=("prod.env",))
        shops[name] = r.path
    page_file = tmp_path / "audit.html"
    r, _ = _audit(
        shops, tmp_path, "--workers", "1", "--show-secrets", "-o", str(page_file), fmt="html"
    )
    assert r.returncode == 1, r.stderr
    kept = "".join(p.read_text() for p in (tmp_path / "results" / "repos").glob("*.json"))
    assert key in kept and secret in kept and said in kept  # --show-secrets: whole there
    page = page_file.read_text(encoding="utf-8")
    assert len(_sections(page)) == 2
    for value in (key, secret, said):
        assert value not in page
    assert "rotate SAGAPAY_API_SECRET=sps_live_******** for sagapay" in html.unescape(page)


def test_html_without_jinja2_stops_before_the_audit(tmp_path: Path, repos: dict[str, Path]) -> None:
    code = (
        "import sys; sys.modules['jinja2'] = None; from scanner.cli import main; sys.exit(main())"
    )
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "audit",
            str(repos["shop-00"]),
            "--format",
            "html",
            "--results",
            str(tmp_path / "results"),
            "--cache",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "lekk: error: --format html needs Jinja2: pip install 'lekk[html]'\n"
    assert not (tmp_path / "results").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    py = [sys.executable, "-m"]
    procs = [
        subprocess.Popen(
            [
                *py,
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
    ]
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [
                    *py,
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                    "--local-directory",
                    str(tmp_path / f"w{i}"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=tmp_path,
            )
        )
    try:
        from distributed import Client

        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_a_real_scheduler_and_two_workers_find_the_same(
    repos: dict[str, Path], one_by_one: dict[str, set[tuple]], tmp_path: Path, cluster: str
) -> None:
    r, doc = _audit(repos, tmp_path, "--scheduler", cluster)
    assert r.returncode == 1, r.stderr
    _check(tmp_path / "results", doc, repos, one_by_one)
    workers = {row["worker"] for row in doc["repositories"]}
    assert workers  # recorded per repository (both workers are on this host)


# The audit runs as a terminal's foreground job: its own process group, SIGINT at its default
# action whatever this test inherited (a background job of a non-interactive shell has SIGINT
# ignored, and so would the audit: Ctrl-C would do nothing and the audit would run to its end).
_FOREGROUND = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def _running(group: int) -> list[str]:
    """The processes of a process group still running (zombies left for init to reap aside)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, fields = text[: text.rindex(")") + 1], text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == group and fields[0] != "Z":
            out.append(name)
    return out


def test_an_interrupted_audit_resumes(
    repos: dict[str, Path], one_by_one: dict[str, set[tuple]], tmp_path: Path
) -> None:
    """Ctrl-C (SIGINT to every process of the job, once four repositories are recorded): exit
    130 with what was recorded kept, no traceback, no process or temporary folder left behind;
    the same command then scans only the rest."""
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"{p}\n" for p in repos.values()))
    index = tmp_path / "results" / "index.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    args = ["--from", str(listing), "--workers", "1", "--results", str(tmp_path / "results")]
    args += ["--cache", str(tmp_path / "cache")]
    proc = subprocess.Popen(
        [sys.executable, "-c", _FOREGROUND, "-m", "scanner", "audit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    deadline = time.monotonic() + 240
    done = 0
    while time.monotonic() < deadline and proc.poll() is None and done < 4:
        if index.is_file():
            done = len(json.loads(index.read_text())["repositories"])
        time.sleep(0.1)
    assert proc.poll() is None and 4 <= done < N, "the audit finished before it could be stopped"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "run the same command again to resume" in err
    assert "Traceback" not in err, err
    deadline = time.monotonic() + 30
    while _running(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _running(proc.pid) == []  # no worker, scan or git process outlives the audit
    assert list(scratch.glob("lekk-audit-*")) == []
    first = {e["slug"]: e for e in json.loads(index.read_text())["repositories"]}
    assert 4 <= len(first) < N
    _, doc = _audit(repos, tmp_path, "--workers", "2")
    status = {row["slug"]: row["status"] for row in doc["repositories"]}
    for slug, e in first.items():  # done before the interruption: not scanned again
        if e["status"] == "scanned":
            assert status[slug] == "unchanged", slug
    assert sum(s == "scanned" for s in status.values()) >= N - len(first) - 1
    _check(tmp_path / "results", doc, repos, one_by_one)


def test_a_scan_stops_when_its_worker_is_gone(tmp_path: Path) -> None:
    """A worker killed while its scan runs (the cluster stopped after Ctrl-C, or the worker ran
    out of memory) leaves no scan running on for up to the time limit, nor its folder."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "settings.json").write_text("{}")
    scan = (
        "import sys, time; from pathlib import Path; from scanner.audit import scan; "
        "scan.stop_with_worker(Path(sys.argv[1])); time.sleep(120)"
    )
    worker = (  # starts the scan as a task does, says its pid, and dies at once
        "import os, subprocess, sys; from scanner.audit.scan import WORKER; "
        "p = subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]], "
        "env={**os.environ, WORKER: str(os.getpid())}); print(p.pid, flush=True); os._exit(0)"
    )
    r = subprocess.run(
        [sys.executable, "-c", worker, scan, str(out)], capture_output=True, text=True, timeout=60
    )
    pid = int(r.stdout)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert not out.exists()


def test_hostile_inputs_fail_alone_and_run_nothing(tmp_path: Path, repos: dict[str, Path]) -> None:
    marker = tmp_path / "pwned"
    good = repos["shop-00"]
    listing = tmp_path / "repos.txt"
    listing.write_text(f"ext::sh -c touch% {marker}\nfd::17\n{good}\n")
    with socket.socket() as held:  # Dask's default HTTP port, as another cluster would hold it
        with contextlib.suppress(OSError):
            held.bind(("127.0.0.1", 8787))
            held.listen()
        r = lekk(
            "audit",
            "--from",
            str(listing),
            "--workers",
            "1",
            "--results",
            str(tmp_path / "results"),
            "--cache",
            str(tmp_path / "cache"),
            "--format",
            "json",
        )
    # one line per failed repository on stderr, and nothing else (no word from Dask)
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and all(ln.startswith("lekk: warning: ") for ln in lines), r.stderr
    doc = json.loads(r.stdout)
    status = {row["source"]: row for row in doc["repositories"]}
    assert status[str(good)]["status"] == "scanned"
    for src in (f"ext::sh -c touch% {marker}", "fd::17"):
        assert status[src]["status"] == "failed" and "not allowed" in status[src]["reason"], status[
            src
        ]
    assert not marker.exists()
    assert os.listdir(tmp_path / "cache") == [f"{status[str(good)]['slug']}.git"]


class _AuthedGit(http.server.SimpleHTTPRequestHandler):
    """git's "dumb" HTTP protocol from a folder of bare repositories, behind basic auth."""

    expected: ClassVar[str] = ""
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        got = self.headers.get("Authorization", "")
        self.seen.append(got)
        if got != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


def test_a_token_in_a_clone_url_is_used_and_never_shown_or_kept(tmp_path: Path) -> None:
    """``https://x-access-token:TOKEN@host/org/repo``: the clone and the next run's fetch
    authenticate with the token, and it is in no message, result, report or mirror file;
    a URL that fails says so without it either."""
    token = "ghp_" + fake_secret("")[:24] + "Q9zX7kLm0pRt"
    user = "x-access-token"
    src = Repo(tmp_path / "src")
    src.commit("keys", {"prod.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
    served = tmp_path / "served"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(src.path), str(served / "shop.git")], check=True
    )
    subprocess.run(["git", "-C", str(served / "shop.git"), "update-server-info"], check=True)
    import base64
    import functools
    import threading

    _AuthedGit.expected = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
    _AuthedGit.seen = []
    handler = functools.partial(_AuthedGit, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    good = f"http://{user}:{token}@127.0.0.1:{port}/shop.git"
    bad = f"http://{user}:{token}@127.0.0.1:{port}/missing.git"
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{good}\n{bad}\n")

    def audit(fmt: str) -> subprocess.CompletedProcess[str]:
        r = lekk(
            "audit",
            "--from",
            str(listing),
            "--results",
            str(tmp_path / "results"),
            "--cache",
            str(tmp_path / "cache"),
            "--format",
            fmt,
        )
        assert "Traceback" not in r.stderr, r.stderr
        return r

    def nowhere(*texts: str) -> None:
        for text in texts:
            assert token not in text
        for folder in (tmp_path / "results", tmp_path / "cache"):
            for f in folder.rglob("*"):
                if f.is_file():
                    assert token.encode() not in f.read_bytes(), f

    try:
        first = audit("json")
        rows = {row["source"]: row for row in json.loads(first.stdout)["repositories"]}
        shown = f"http://***@127.0.0.1:{port}"
        assert set(rows) == {f"{shown}/shop.git", f"{shown}/missing.git"}, rows
        assert rows[f"{shown}/shop.git"]["status"] == "scanned"
        assert rows[f"{shown}/shop.git"]["findings"] == 1
        assert rows[f"{shown}/missing.git"]["status"] == "failed"
        assert rows[f"{shown}/missing.git"]["reason"]
        assert _AuthedGit.expected in _AuthedGit.seen  # the token was sent
        nowhere(first.stdout, first.stderr)
        # a new commit upstream: the next run fetches into the mirror, with the token again
        src.commit("more", {"deploy/app.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
        subprocess.run(
            [
                "git",
                "-C",
                str(served / "shop.git"),
                "fetch",
                "-q",
                str(src.path),
                "+refs/heads/*:refs/heads/*",
            ],
            check=True,
        )
        subprocess.run(["git", "-C", str(served / "shop.git"), "update-server-info"], check=True)
        second = audit("text")
        index = json.loads((tmp_path / "results" / "index.json").read_text())
        rows = {row["source"]: row for row in index["repositories"]}
        assert rows[f"{shown}/shop.git"]["status"] == "scanned"
        assert rows[f"{shown}/shop.git"]["findings"] == 2
        nowhere(second.stdout, second.stderr)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://x-access-token:ghp_abc123@github.com/o/r.git", "https://***@github.com/o/r.git"),
        ("https://ghp_abc123@github.com/o/r", "https://***@github.com/o/r"),
        ("ssh://deploy:pa55@host:2222/r.git", "ssh://***@host:2222/r.git"),
        ("https://u:p@ss@host/r", "https://***@host/r"),  # an '@' in the password
        (
            "fatal: unable to access 'https://u:tok@h/r/': 403",
            "fatal: unable to access 'https://***@h/r/': 403",
        ),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),  # no password in scp form
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_shown_leaves_no_credentials_in_a_url(given: str, expected: str) -> None:
    from scanner.audit.repos import shown

    assert shown(given) == expected
