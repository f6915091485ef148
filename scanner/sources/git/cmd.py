"""Run git on an untrusted repository without letting it run anything of its own.

git runs programs named in a repository's config and attributes (``core.fsmonitor``, hooks,
``diff.*.textconv``, ``filter.*``, ``core.pager``, ``gpg.program`` via ``log.showSignature``,
transports for a lazy fetch, ...).  lekk only uses plumbing that never reaches them
(``rev-list``, ``cat-file --batch``, ``log --raw``, ``diff-index --cached``, ``ls-tree``) and
still overrides each of them on the command line, with a scrubbed environment: no ``GIT_*``
variable from the caller leaks in (a hook's ``GIT_DIR``/``GIT_INDEX_FILE`` would otherwise
point every command at the hook's repository and index) unless a caller passes it on purpose.

This is the one way lekk starts git: ``lekk git``, ``lekk staged``, ``lekk scan``'s ignore check
(``gitignored``), the pre-commit hooks (``hooks``) and the GitHub Action (``action``) all go
through ``Git``.  git never fetches during a scan.  A partial clone fetches a missing object
from its promisor remote, and that remote's URL can be a command (``ext::sh -c ...``) or any
remote helper; a repository's own ``protocol.ext.allow=always`` outranks ``-c
protocol.allow=never``.  So three independent locks, each enough on its own:
``GIT_NO_LAZY_FETCH=1`` (git 2.39.4 and later; ``git --no-lazy-fetch`` only sets this variable),
``GIT_ALLOW_PROTOCOL=`` (empty: no transport at all, whatever the config says; every git
version) and ``protocol.<name>.allow=never`` for every transport git knows by name
(``tests/git_transport_test.py`` runs each entry point with git's lazy fetch left on).

Processes start with ``subprocess`` and exactly that environment.  GitPython's ``Repo`` opens
the repository for ``lekk git`` (``Git.repository``; imported then, never at module level); it
reads ``GIT_DIR`` & co. from ``os.environ``, so the caller's ``GIT_*`` leave ``os.environ`` while
it opens (``_scrubbed``).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

from scanner.errors import SourceError

# The transports git names in `protocol.<name>.allow` (git-config(1)), and the remote helpers
# git ships (`ftp`/`ftps` via git-remote-ftp, `fd`); any other helper name is refused by
# GIT_ALLOW_PROTOCOL (safe_env).
TRANSPORTS = ("file", "git", "ssh", "http", "https", "ftp", "ftps", "ext", "fd")

# Every setting that names a program git could run while reading, neutralised; `-c` outranks
# the repository's own config for the same key.  A repository's `protocol.ext.allow=always`
# outranks `protocol.allow=never`, so each transport is denied by name as well.
SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.askPass=",
    "core.editor=true",
    "core.untrackedCache=false",
    "credential.helper=",
    "diff.external=",
    "log.showSignature=false",
    "protocol.allow=never",
    *(f"protocol.{name}.allow=never" for name in TRANSPORTS),
    "gc.auto=0",
    "maintenance.auto=false",
    "color.ui=false",
    "log.decorate=false",
    "core.quotePath=false",
    "i18n.logOutputEncoding=UTF-8",
)
# git's caches, bounded.  By default every git process keeps a 96 MiB delta-base cache and maps
# packs in 1 GiB windows: a history scan's few git processes held 300-400 MiB on a 20,000-commit
# repository.  ``cat-file`` reads blobs along long delta chains and needs a real cache (16 MiB
# costs +5 % of its CPU against 96, 8 MiB +40 %); the tree walkers (``rev-list --objects``,
# ``log --raw``, ``diff-tree``) ran as fast with 4 MiB as with 96 (docs/bench.md).
MEMORY_CONFIG = ("core.packedGitWindowSize=1m", "core.packedGitLimit=8m")
DELTA_CACHE = "core.deltaBaseCacheLimit="
DELTA_CACHE_SIZE = {"cat-file": "16m"}  # by subcommand; any other: 4m
_KEEP_ENV = frozenset({"GIT_CONFIG_GLOBAL", "GIT_CEILING_DIRECTORIES", "GIT_EXEC_PATH"})
HOOK_ENV = (
    "GIT_DIR",
    "GIT_INDEX_FILE",
    "GIT_WORK_TREE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
)


def safe_env(keep: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without its ``GIT_*`` variables, plus lekk's safety settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEEP_ENV}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_ATTR_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_LAZY_FETCH="1",
        GIT_ALLOW_PROTOCOL="",  # a list of allowed transports, beating all config: none
        GIT_PROTOCOL_FROM_USER="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_PAGER="cat",
        PAGER="cat",
        GIT_NO_REPLACE_OBJECTS="1",
        LC_ALL="C",
    )
    env.pop("GIT_ASKPASS", None)
    env.pop("SSH_ASKPASS", None)
    if keep:
        env.update(keep)
    return env


def hook_env() -> dict[str, str]:
    """``GIT_DIR``, ``GIT_INDEX_FILE``, ... as git sets them for a hook, made absolute."""
    cwd = os.getcwd()
    return {k: os.path.join(cwd, os.environ[k]) for k in HOOK_ENV if os.environ.get(k)}


NOT_FOUND = "git: command not found (lekk needs git on PATH)"


@contextlib.contextmanager
def _scrubbed(env: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` without the variables ``env`` leaves out, for the duration: GitPython's
    ``Repo`` reads ``GIT_DIR`` & co. from it (and its import runs ``git version`` from it)."""
    gone = {k: os.environ.pop(k) for k in os.environ.keys() - env.keys()}
    try:
        yield
    finally:
        os.environ.update(gone)


def _import_gitpython() -> None:
    """Import GitPython, whose import runs ``git version`` (no repository, no config program)."""
    try:
        import git  # noqa: F401
    except ImportError as exc:  # GitPython's import also fails when git is not on PATH
        missing = "git executable" in str(exc)
        raise SourceError(NOT_FOUND if missing else f"GitPython: {_line(exc)}") from None


class Git:
    """One repository: ``git -C DIR -c <safe> ...`` with a scrubbed environment."""

    def __init__(self, where: str, env: Mapping[str, str] | None = None) -> None:
        self.where = where
        self.env = safe_env(env)

    def argv(self, *args: str) -> list[str]:
        cache = DELTA_CACHE + DELTA_CACHE_SIZE.get(args[0] if args else "", "4m")
        safe = [x for c in (*SAFE_CONFIG, *MEMORY_CONFIG, cache) for x in ("-c", c)]
        return ["git", "--no-pager", "--no-replace-objects", "-C", self.where, *safe, *args]

    def start(
        self, args: Sequence[str], stdin: Any, stdout: Any = subprocess.PIPE
    ) -> subprocess.Popen[bytes]:
        """Start ``git ARGS`` (stdout, unless given a file, and stderr piped)."""
        try:
            return subprocess.Popen(
                self.argv(*args), env=self.env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE
            )
        except FileNotFoundError:
            raise SourceError(NOT_FOUND) from None

    def run(self, *args: str) -> bytes:
        """Run to completion; on failure raise SourceError with git's first error line."""
        code, out, err = self.run_status(*args)
        if code != 0:
            raise SourceError(f"{self.where}: {first_error(err) or f'git {args[0]} failed'}")
        return out

    def popen(self, *args: str, stdin: Any = subprocess.DEVNULL, stdout: Any = None) -> Proc:
        return Proc(self, args, stdin, stdout)

    def run_status(self, *args: str, timeout: float | None = None) -> tuple[int, bytes, bytes]:
        """Run; (returncode, stdout, stderr), for commands whose failure is an answer.
        SourceError when git is missing or runs longer than ``timeout`` seconds."""
        p = self.start(args, subprocess.DEVNULL)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise SourceError(f"{self.where}: git {args[0]} ran over {timeout:g} s") from None
        return p.returncode, out, err

    def repository(self) -> tuple[str, bool]:
        """(absolute git dir, shallow?) of the repository at or above ``where``, opened with
        GitPython's ``Repo`` (it reads files; it starts no process)."""
        _import_gitpython()
        from git import InvalidGitRepositoryError, NoSuchPathError, Repo

        try:
            with _scrubbed(self.env), Repo(self.where, search_parent_directories=True) as repo:
                return (
                    os.path.realpath(repo.git_dir),
                    os.path.exists(os.path.join(repo.common_dir, "shallow")),
                )
        except NoSuchPathError:
            raise SourceError(f"{self.where}: no such directory") from None
        except InvalidGitRepositoryError:
            raise SourceError(f"{self.where}: not a git repository") from None
        except Exception as exc:  # a malformed config or .git file, permissions, ...
            raise SourceError(f"{self.where}: cannot open the repository: {_line(exc)}") from None


class Proc:
    """A streaming git process.  Its stderr is drained on a thread (a full pipe would stall
    git); ``stdout`` a file: git writes there itself, else we read a 1 MiB pipe through a
    1 MiB buffer: a reader thread (``blobs.Prefetch``) takes the GIL back after each refill, and
    a whole pipe's worth per refill keeps git from waiting on it while the scan holds the GIL."""

    def __init__(self, git: Git, args: Sequence[str], stdin: Any, stdout: Any = None) -> None:
        self.git = git
        self.p = git.start(args, stdin, subprocess.PIPE if stdout is None else stdout)
        assert self.p.stderr is not None
        self._err: list[bytes] = []  # the first line, and the first "fatal:"/"error:" line
        self._threads = [threading.Thread(target=self._drain, args=(self.p.stderr,), daemon=True)]
        self._threads[0].start()
        if stdout is not None:
            self.stdout: IO[bytes] = stdout
        else:
            assert self.p.stdout is not None
            _grow_pipe(self.p.stdout)
            raw = getattr(self.p.stdout, "raw", None)  # (Popen's buffer holds 8 KiB)
            self.stdout = io.BufferedReader(raw, 1 << 20) if raw else self.p.stdout

    def _drain(self, stream: IO[bytes]) -> None:
        for line in iter(lambda: stream.readline(4096), b""):
            if not self._err or (len(self._err) < 2 and line.startswith((b"fatal:", b"error:"))):
                self._err.append(line)

    def finish(self, what: str) -> int:
        """Wait; raise SourceError naming ``what`` with git's first error line on failure."""
        if self.p.stdin:
            with contextlib.suppress(OSError):
                self.p.stdin.close()
        rc = self.p.wait()
        for t in self._threads:
            t.join()
        if self.p.stdout is not None:
            self.p.stdout.close()  # and the 64 KiB reader on the same pipe
        if rc not in (0, -9, -13):  # killed, or SIGPIPE after we stopped reading
            raise SourceError(f"{self.git.where}: {what}: {self.stderr() or f'git exited {rc}'}")
        return rc

    def stderr(self) -> str:
        self._threads[0].join(timeout=5)
        return first_error(b"".join(self._err))

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def _grow_pipe(pipe: IO[bytes]) -> None:
    """Let git write up to 1 MiB ahead of us (Linux; the default pipe holds 64 KiB)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):  # another system, or above /proc/sys/fs/pipe-max-size
        pass


def _line(exc: BaseException) -> str:
    return next((x.strip() for x in str(exc).splitlines() if x.strip()), type(exc).__name__)


def first_error(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    lines = [x.strip() for x in stderr.decode("utf-8", "replace").splitlines() if x.strip()]
    return lines[0] if lines else ""
