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

import collections
import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, cast

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

    def popen(
        self, *args: str, stdin: Any = subprocess.DEVNULL, stdout: Any = None, read_ahead: int = 0
    ) -> Proc:
        return Proc(self, args, stdin, stdout, read_ahead)

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
    git); ``stdout`` a file: git writes there itself; ``read_ahead`` bytes: a thread reads the
    output ahead of us (``ReadAhead``), so git goes on while we are busy elsewhere."""

    def __init__(
        self,
        git: Git,
        args: Sequence[str],
        stdin: Any,
        stdout: Any = None,
        read_ahead: int = 0,
    ) -> None:
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
            fd = self.p.stdout.fileno()
            ahead = ReadAhead(fd, read_ahead) if read_ahead else None
            self.stdout = cast("IO[bytes]", ahead) if ahead else self.p.stdout  # reads as one

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
        self.close()
        if rc not in (0, -9, -13):  # killed, or SIGPIPE after we stopped reading
            raise SourceError(f"{self.git.where}: {what}: {self.stderr() or f'git exited {rc}'}")
        return rc

    def close(self) -> None:
        if isinstance(self.stdout, ReadAhead):
            self.stdout.close()
        if self.p.stdout is not None:
            self.p.stdout.close()

    def stderr(self) -> str:
        self._threads[0].join(timeout=5)
        return first_error(b"".join(self._err))

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.close()


def _grow_pipe(pipe: IO[bytes]) -> None:
    """Let git write up to 1 MiB ahead of us (Linux; the default pipe holds 64 KiB)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):  # another system, or above /proc/sys/fs/pipe-max-size
        pass


class ReadAhead:
    """A pipe read on a thread into a buffer of at most ``budget`` bytes; ``read`` and
    ``readline`` as a binary file's.  ``cat-file`` inflates blobs on one core while Python
    starts up or scans on another: without it, git stops each time the pipe is full."""

    CHUNK = 1 << 20

    def __init__(self, fd: int, budget: int) -> None:
        self._fd = fd
        self._budget = max(budget, self.CHUNK)
        self._chunks: collections.deque[bytes] = collections.deque()
        self._held = 0  # bytes in _chunks
        self._done = False  # the pump saw the end (or an error, or close())
        self._error: OSError | None = None
        self._cond = threading.Condition()
        self._cur = b""  # the chunk being consumed, from _pos
        self._pos = 0
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        cond = self._cond
        try:
            while True:
                with cond:
                    while self._held >= self._budget and not self._done:
                        cond.wait()
                    if self._done:
                        return
                data = os.read(self._fd, self.CHUNK)
                with cond:
                    if data:
                        self._chunks.append(data)
                        self._held += len(data)
                    else:
                        self._done = True
                    cond.notify_all()
                if not data:
                    return
        except OSError as exc:
            with cond:
                self._error, self._done = exc, True
                cond.notify_all()

    def _more(self) -> bool:
        """The next chunk into ``_cur``; False at the end."""
        with self._cond:
            while not self._chunks and not self._done:
                self._cond.wait()
            if not self._chunks:
                if self._error is not None:
                    raise self._error
                return False
            self._cur = self._chunks.popleft()
            self._held -= len(self._cur)
            self._cond.notify_all()
        self._pos = 0
        return True

    def read(self, n: int = -1) -> bytes:
        parts: list[bytes] = []
        want = n if n >= 0 else 1 << 62
        while want:
            if self._pos >= len(self._cur) and not self._more():
                break
            piece = self._cur[self._pos : self._pos + want]
            self._pos += len(piece)
            want -= len(piece)
            parts.append(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readline(self, limit: int = -1) -> bytes:
        parts: list[bytes] = []
        while True:
            if self._pos >= len(self._cur) and not self._more():
                break
            end = self._cur.find(b"\n", self._pos)
            stop = len(self._cur) if end < 0 else end + 1
            parts.append(self._cur[self._pos : stop])
            self._pos = stop
            if end >= 0 or (0 <= limit <= sum(map(len, parts))):
                break
        return b"".join(parts)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        """Stop reading; returns once the thread is out of ``os.read`` (it reads until git
        writes or exits: close the pipe only after this, or its number could be reused)."""
        with self._cond:
            self._done = True
            self._chunks.clear()
            self._held = 0
            self._cond.notify_all()
        self._thread.join()


def _line(exc: BaseException) -> str:
    return next((x.strip() for x in str(exc).splitlines() if x.strip()), type(exc).__name__)


def first_error(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    lines = [x.strip() for x in stderr.decode("utf-8", "replace").splitlines() if x.strip()]
    return lines[0] if lines else ""
