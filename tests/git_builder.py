"""Git repositories built at test time with GitPython, and random fake credentials."""

from __future__ import annotations

import random
import string
import subprocess
from pathlib import Path

import git

KARI = git.Actor("Kari Nordmann", "kari@example.no")
CLEAN_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def fake_secret(prefix: str = "sps_live_") -> str:
    """A random SagaPay-looking secret (never a real one): mixed case and digits, 24 characters."""
    r = random.SystemRandom()
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(r.choice(alphabet) for _ in range(24))
        if (
            any(c.isdigit() for c in body)
            and any(c.islower() for c in body)
            and any(c.isupper() for c in body)
        ):
            return prefix + body


class Repo:
    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.repo = git.Repo.init(path, initial_branch="main")
        with self.repo.config_writer() as cw:
            cw.set_value("user", "name", KARI.name)
            cw.set_value("user", "email", KARI.email)
        self.day = 0

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            p = self.path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)

    def stage(self, files: dict[str, str]) -> None:
        self.write(files)
        self.repo.index.add(list(files))
        self.repo.index.write()

    def commit(
        self, msg: str, files: dict[str, str] | None = None, delete: tuple[str, ...] = ()
    ) -> str:
        if files:
            self.stage(files)
        if delete:
            self.repo.index.remove(list(delete), working_tree=True)
        self.day += 1
        date = f"{1706788800 + (self.day - 1) * 86400} +0000"  # 2024-02-DD 12:00 UTC
        c = self.repo.index.commit(
            msg, author=KARI, committer=KARI, author_date=date, commit_date=date
        )
        return str(c.hexsha)

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True
        ).stdout.strip()
