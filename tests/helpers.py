"""Helpers shared by the tests (import as `from helpers import ...`)."""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def lekk(
    *args: str,
    cwd: Path | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess, as a user would (``prefix``: a wrapper command)."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=input.decode() if input is not None else None,
        env=env,
        timeout=300,
    )


_PEAK = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True, stdin=sys.stdin)\n"
    "sys.stderr.write(r.stderr); sys.stdout.write(r.stdout)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(r.returncode)\n"
)


def lekk_peak(
    *args: str, cwd: Path | None = None, input: bytes | None = None
) -> tuple[subprocess.CompletedProcess[str], int]:
    """``lekk(...)`` and the peak RSS of the scan in MiB (the last line of stderr is taken)."""
    r = lekk(*args, cwd=cwd, input=input, prefix=[sys.executable, "-c", _PEAK])
    *lines, kib = r.stderr.splitlines()
    r.stderr = "".join(line + "\n" for line in lines)
    return r, int(kib) // 1024


def lekk_json(*args: str, cwd: Path | None = None) -> dict:
    r = lekk(*args, "--format", "json", "--show-secrets", cwd=cwd)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def fake(prefix: str, n: int) -> str:
    """A random credential-shaped value that no filter would drop (never a real key)."""
    from scanner.filters import is_obvious_fake, is_placeholder

    while True:
        value = prefix + "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(n)
        )
        if not is_placeholder(value) and not is_obvious_fake(value):
            return value


def git(cwd: Path, *args: str) -> str:
    """Run git in a repository built by a test (fixed identity, no signing)."""
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def corpus_copy(shared: Path, dest: Path) -> tuple[Path, dict[str, str]]:
    """The acceptance corpus copied under ``dest``, and the environment to scan it in.

    Every test scans a copy, never ``../shared`` in place: what surrounds ``../shared`` is not the
    corpus's.  In a git repository that tracks the corpus's ``.env`` files, ``tracked-dotenv``
    rightly fires there; a lekk config in a folder above it would apply.  The copy gets an empty
    ``.lekk.toml`` beside it (the upward config search stops there) and ``GIT_CEILING_DIRECTORIES``
    (git does not look for a repository above it), so its findings are the corpus's own wherever
    ``../shared`` and the temporary folder live.
    """
    import os
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    corpus = dest / "acceptance"
    shutil.copytree(shared / "corpus" / "acceptance", corpus, copy_function=shutil.copyfile)
    for folder, _, _ in os.walk(corpus):
        os.chmod(folder, 0o755)  # the shared corpus is read-only; its copy need not be
    (dest / ".lekk.toml").write_text("# the scan of the copy sees no config from above it\n")
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(dest.resolve())}
    return corpus, env


def acceptance_check(
    shared: Path, corpus: Path, work: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Scan ``corpus`` as the acceptance test does and judge the report with the shared checker
    (``../shared/corpus/check.py``): every expected finding and nothing else."""
    r = lekk("scan", str(corpus), "--format", "json", "--show-secrets", env=env)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    report = work / "report.json"
    report.write_text(r.stdout, encoding="utf-8")
    checker = shared / "corpus"
    return subprocess.run(
        [
            sys.executable,
            str(checker / "check.py"),
            str(checker / "acceptance.expected.json"),
            str(report),
        ],
        capture_output=True,
        text=True,
    )


def processes_naming(*words: str, wait: float = 0.0) -> list[str]:
    """Command lines of the running processes that contain every one of ``words`` (a worker
    or a git a finished lekk left behind), waiting up to ``wait`` seconds for them to go."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                cmd = raw.replace(b"\0", b" ").decode("utf-8", "replace")
                if all(w in cmd for w in words):
                    found.append(f"{pid}: {cmd}")
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)
