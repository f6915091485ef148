"""An untrusted repository cannot make lekk run its programs, in any git mode.

The repository below names a marker-writing command in every config key and attribute through
which git runs programs.  The test first proves the trap is armed (ordinary git commands, and
GitPython's command layer with its defaults, do set off markers), then runs every lekk git mode
and asserts that no marker appears.  lekk runs inside the repository, so GitPython's import-time
``git version`` and its ``Repo`` discovery of ``.`` run there too.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import git
from git_builder import Repo, fake_secret
from helpers import lekk

HOOKS = (
    "pre-commit",
    "post-checkout",
    "post-commit",
    "pre-push",
    "post-index-change",
    "reference-transaction",
    "pre-auto-gc",
    "post-merge",
)


def _arm(repo: Repo, markers: Path) -> None:
    evil = repo.path.parent / "evil.sh"
    evil.write_text(f'#!/bin/sh\ntouch "{markers}/$1"\ncat >/dev/null 2>&1 </dev/null\nexit 0\n')
    evil.chmod(0o755)
    fsmon = repo.path.parent / "fsmonitor.sh"
    fsmon.write_text(f'#!/bin/sh\ntouch "{markers}/fsmonitor"\nexit 1\n')
    fsmon.chmod(0o755)
    gpg = repo.path.parent / "gpg.sh"
    gpg.write_text(f'#!/bin/sh\ntouch "{markers}/gpg"\nexit 1\n')
    gpg.chmod(0o755)
    hooks = repo.path.parent / "hooks"
    hooks.mkdir()
    for h in HOOKS:
        (hooks / h).write_text(f"#!/bin/sh\n{evil} hook-{h}\n")
        (hooks / h).chmod(0o755)
    settings = {
        "core.repositoryformatversion": "1",
        "extensions.partialClone": "origin",
        "remote.origin.url": f"ext::{evil} transport",
        "remote.origin.promisor": "true",
        "protocol.ext.allow": "always",
        "core.fsmonitor": str(fsmon),
        "core.hooksPath": str(hooks),
        "core.pager": f"{evil} pager",
        "pager.log": f"{evil} pager-log",
        "core.sshCommand": f"{evil} ssh",
        "core.gitProxy": f"{evil} proxy",
        "core.askPass": f"{evil} askpass",
        "core.editor": f"{evil} editor",
        "core.alternateRefsCommand": f"{evil} alternate-refs",
        "credential.helper": f"!{evil} credential",
        "diff.external": f"{evil} diff-external",
        "diff.evil.textconv": f"{evil} textconv",
        "diff.evil.command": f"{evil} diff-command",
        "filter.evil.smudge": f"{evil} smudge",
        "filter.evil.clean": f"{evil} clean",
        "filter.evil.process": f"{evil} process",
        "gpg.program": str(gpg),
        "log.showSignature": "true",
        "uploadpack.packObjectsHook": f"{evil} pack-objects",
        "sequence.editor": f"{evil} sequence-editor",
    }
    for key, value in settings.items():
        repo.git("config", key, value)


def _signed_commit(repo: Repo) -> None:
    """A commit carrying a (fake) signature, so that log.showSignature calls gpg.program."""
    tree = repo.git("rev-parse", "HEAD^{tree}")
    parent = repo.git("rev-parse", "HEAD")
    body = (
        f"tree {tree}\nparent {parent}\nauthor K <k@example.invalid> 1706788800 +0000\n"
        "committer K <k@example.invalid> 1706788800 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n"
        " -----END PGP SIGNATURE-----\n\nsigned\n"
    )
    sha = subprocess.run(
        ["git", "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--stdin"],
        input=body,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    repo.git("update-ref", "refs/heads/main", sha)


def _clear(markers: Path) -> None:
    for p in markers.iterdir():
        p.unlink()


def test_hostile_repository_runs_nothing(tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    repo = Repo(tmp_path / "r")
    secret, later = fake_secret(), fake_secret()
    base = repo.commit("init", {".gitattributes": "* diff=evil filter=evil\n", "a.txt": "x\n"})
    c1 = repo.commit("add", {"keys.env": f"SAGAPAY_API_SECRET={secret}\n"})
    _signed_commit(repo)
    _arm(repo, markers)
    repo.git("read-tree", "HEAD")
    (repo.path / "b.env").write_text(f"SAGAPAY_API_SECRET={later}\n")
    subprocess.run(
        [
            "git",
            "-C",
            str(repo.path),
            "-c",
            "filter.evil.clean=cat",
            "-c",
            "filter.evil.process=",
            "add",
            "b.env",
        ],
        check=True,
    )

    # The trap is armed: ordinary git commands in this repository run the planted programs.
    env = dict(os.environ, GIT_PAGER="", PAGER="")
    no_process = ["-c", "filter.evil.process="]  # its failure would stop the diffs below early
    for args in (
        ["status"],
        ["log", "-1"],
        [*no_process, "diff", "HEAD~2", "HEAD"],
        [*no_process, "-c", "diff.evil.command=", "log", "-p", "-1", "HEAD~1"],
    ):
        subprocess.run(["git", "-C", str(repo.path), *args], capture_output=True, env=env)
    # A partial clone fetches a missing object from its promisor remote (here a command).
    blob = repo.git("rev-parse", "HEAD:a.txt")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    subprocess.run(["git", "-C", str(repo.path), "cat-file", "-p", blob], capture_output=True)
    armed = {p.name for p in markers.iterdir()}
    assert {"fsmonitor", "gpg", "process", "diff-command", "textconv", "transport"} <= armed, armed
    _clear(markers)

    # GitPython on its own protects nothing: its command layer runs the same programs.
    with git.Repo(repo.path) as gp:
        gp.git.status(env=env, with_exceptions=False)
        gp.git.log("-1", env=env, with_exceptions=False)
        gp.git.cat_file("-p", blob, with_exceptions=False)
    armed = {p.name for p in markers.iterdir()}
    assert {"fsmonitor", "gpg", "transport"} <= armed, armed
    _clear(markers)

    modes = [
        ["git", str(repo.path)],
        ["git", str(repo.path), f"{base}..HEAD"],
        ["git", str(repo.path), "--since-commit", base],
        ["git", str(repo.path), "--branch", "main"],
        ["git"],  # the current directory: GitPython's Repo discovers it
        ["git", f"{base}..HEAD"],
        ["staged", str(repo.path)],
        ["staged"],
    ]
    for args in modes:
        r = lekk(*args, "--format", "json", "--show-secrets", cwd=repo.path)
        assert r.returncode == 1, (args, r.stderr)
        found = {f["secret"] for f in json.loads(r.stdout)["findings"]}
        assert found == ({later} if args[0] == "staged" else {secret}), args
        assert list(markers.iterdir()) == [], (args, [p.name for p in markers.iterdir()])
    assert c1
