"""The repositories of an audit: the input list, their names, and their mirrors in the cache.

A repository is cloned once into the cache as a bare mirror (every branch, tag and other ref)
and fetched again on later runs.  Cloning an untrusted repository must not run anything it
configures: git is started as for ``lekk git`` (the scrubbed environment and the overrides of
every program-running setting), with no templates (no hooks), no submodules, no credential
prompts, and transports limited to https, http, ssh, git and local files (``ext::`` and the
like are refused).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import ConfigError

# the transports a clone may use; every other (ext::, fd::, ...) stays denied
TRANSPORTS = ("https", "http", "ssh", "git", "file")
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[a-z][a-z0-9+.-]*::|[\w.-]+@[\w.-]+:)", re.I)
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/\s]*@", re.I)


def shown(text: str) -> str:
    """``text`` with the user name and password of every URL in it made ``***``: an https URL
    may carry a token (``https://x-access-token:TOKEN@github.com/org/repo``), and a token is
    never shown or written: not in the results, the messages, git's errors or the mirror."""
    return _USERINFO.sub(r"\1***@", text)


@dataclass(frozen=True)
class Repo:
    """One input: what the user wrote, and the name of its files in the cache and results."""

    source: str
    slug: str

    @property
    def is_url(self) -> bool:
        return bool(_URL.match(self.source))

    @property
    def shown(self) -> str:
        """The source as it is shown and recorded (``shown``: no credentials)."""
        return shown(self.source)


def read_list(args: Sequence[str], files: Sequence[str]) -> list[Repo]:
    """Repositories from the arguments and from list files (one a line; blank lines and lines
    starting with ``#`` are skipped), each once, in the order given."""
    sources: list[str] = list(args)
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8") if name != "-" else _stdin()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{name}: cannot read the repository list: {exc}") from None
        sources += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    out: list[Repo] = []
    seen: set[str] = set()
    for src in sources:
        key = src if _URL.match(src) else os.path.abspath(src)
        if key in seen:
            continue
        seen.add(key)
        out.append(Repo(key, slug(key)))
    if not out:
        raise ConfigError("no repositories to audit: give paths or URLs, or --from FILE")
    return out


def _stdin() -> str:
    import sys

    return sys.stdin.read()


def slug(source: str) -> str:
    """A file name for a repository: readable, and unique (a short hash of the whole source)."""
    tail = re.sub(r"(\.git)?/*$", "", source.rsplit(":", 1)[-1])
    parts = [p for p in re.split(r"[/\\]+", tail) if p][-2:]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(parts)).strip("-.")[:60] or "repo"
    return f"{name}-{hashlib.sha256(source.encode()).hexdigest()[:8]}"


def _git_argv(*args: str) -> list[str]:
    from scanner.sources.git.cmd import SAFE_CONFIG

    allow = [f"protocol.{t}.allow=always" for t in TRANSPORTS]
    config = [*SAFE_CONFIG, *allow, "submodule.recurse=false", "fetch.recurseSubmodules=false"]
    return ["git", *(x for c in config for x in ("-c", c)), *args]


def git(*args: str, timeout: float, cwd: str | None = None) -> str:
    """Run git for the cache; raise ``RepoError`` with git's first error line."""
    from scanner.sources.git.cmd import first_error, safe_env

    try:
        proc = subprocess.run(
            _git_argv(*args),
            cwd=cwd,
            # the scan's launcher allows no transport (GIT_ALLOW_PROTOCOL=); the cache clones
            env=safe_env({"GIT_ALLOW_PROTOCOL": ":".join(TRANSPORTS)}),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RepoError(f"git {args[0]} took longer than {timeout:g}s") from None
    except OSError as exc:
        raise RepoError(f"cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        said = first_error(proc.stderr)
        raise RepoError(shown(said) if said else f"git {args[0]} exited {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


class RepoError(Exception):
    """This repository cannot be cloned or read: the message says why, in a few words."""


def refs_digest(source: str, timeout: float) -> str:
    """A digest of every ref the repository has (``ls-remote``: no objects fetched)."""
    out = git("ls-remote", "--", source, timeout=timeout)
    return hashlib.sha256("\n".join(sorted(out.splitlines())).encode()).hexdigest()


def mirror(repo: Repo, cache: Path, timeout: float) -> Path:
    """The repository's bare mirror in ``cache``: cloned, or fetched when it is there already."""
    dest = cache / f"{repo.slug}.git"
    if (dest / "HEAD").is_file():  # (from the source itself: the mirror keeps no credentials)
        git(
            "fetch",
            "--prune",
            "--quiet",
            "--",
            repo.source,
            "+refs/*:refs/*",
            cwd=str(dest),
            timeout=timeout,
        )
        return dest
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{repo.slug}.git.partial"
    if tmp.exists():
        _remove(tmp)
    try:
        git(
            "clone",
            "--mirror",
            "--template=",
            "--quiet",
            "--",
            repo.source,
            str(tmp),
            timeout=timeout,
        )
        if repo.shown != repo.source:  # the token stays out of the mirror's config
            git("remote", "set-url", "origin", repo.shown, cwd=str(tmp), timeout=timeout)
    except RepoError:
        _remove(tmp)
        raise
    os.replace(tmp, dest)
    return dest


def size(path: Path) -> int:
    """Bytes the mirror takes on disk."""
    total = 0
    for root, _dirs, names in os.walk(path):
        for n in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, n)).st_size
    return total


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
