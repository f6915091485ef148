"""Run git on an untrusted repository without letting it run anything of its own.

git runs programs named in a repository's config and attributes (``core.fsmonitor``, hooks,
``diff.*.textconv``, ``filter.*``, ``core.pager``, ``gpg.program`` via ``log.showSignature``,
transports for a lazy fetch, ...).  lekk only uses plumbing that never reaches them
(``rev-list``, ``cat-file --batch``, ``log --raw``, ``diff-index --cached``, ``ls-tree``) and
still overrides each of them on the command line, with a scrubbed environment: no ``GIT_*``
variable from the caller leaks in (a hook's ``GIT_DIR``/``GIT_INDEX_FILE`` would otherwise
point every command at the hook's repository and index) unless a caller passes it on purpose.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO, Any

from scanner.errors import SourceError

# Every setting that names a program git could run while reading, neutralised; `-c` outranks
# the repository's own config.  `protocol.allow=never` stops a lazy fetch in a partial clone.
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
    "gc.auto=0",
    "maintenance.auto=false",
    "color.ui=false",
    "log.decorate=false",
    "core.quotePath=false",
    "i18n.logOutputEncoding=UTF-8",
)
_KEEP_ENV = frozenset({"GIT_CONFIG_GLOBAL", "GIT_CEILING_DIRECTORIES", "GIT_EXEC_PATH"})
HOOK_ENV = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES")  # fmt: skip


def safe_env(keep: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without its ``GIT_*`` variables, plus lekk's safety settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEEP_ENV}
    env.update(
        GIT_CONFIG_NOSYSTEM="1", GIT_ATTR_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0",
        GIT_NO_LAZY_FETCH="1", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat", PAGER="cat",
        GIT_NO_REPLACE_OBJECTS="1", LC_ALL="C",
    )  # fmt: skip
    env.pop("GIT_ASKPASS", None)
    env.pop("SSH_ASKPASS", None)
    if keep:
        env.update(keep)
    return env


def hook_env() -> dict[str, str]:
    """``GIT_DIR``, ``GIT_INDEX_FILE``, ... as git sets them for a hook, made absolute."""
    cwd = os.getcwd()
    return {k: os.path.join(cwd, os.environ[k]) for k in HOOK_ENV if os.environ.get(k)}


class Git:
    """One repository: ``git -C DIR -c <safe> ...`` with a scrubbed environment."""

    def __init__(self, where: str, env: Mapping[str, str] | None = None) -> None:
        self.where = where
        self.env = safe_env(env)

    def argv(self, *args: str) -> list[str]:
        safe = [x for c in SAFE_CONFIG for x in ("-c", c)]
        return ["git", "--no-pager", "--no-replace-objects", "-C", self.where, *safe, *args]

    def run(self, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
        """Run to completion; on failure raise SourceError with git's first error line."""
        try:
            p = subprocess.run(
                self.argv(*args), env=self.env, capture_output=True, input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
            )  # fmt: skip
        except FileNotFoundError:
            raise SourceError("git: command not found (lekk needs git on PATH)") from None
        if check and p.returncode != 0:
            raise SourceError(f"{self.where}: {first_error(p.stderr) or f'git {args[0]} failed'}")
        return p.stdout

    def popen(self, *args: str, stdin: Any = subprocess.DEVNULL, stdout: Any = None) -> Proc:
        return Proc(self, args, stdin, stdout)

    def run_status(self, *args: str) -> tuple[int, bytes, bytes]:
        """Run; (returncode, stdout, stderr), for commands whose failure is an answer."""
        p = subprocess.run(self.argv(*args), env=self.env, capture_output=True,
                           stdin=subprocess.DEVNULL)  # fmt: skip
        return p.returncode, p.stdout, p.stderr


class Proc:
    """A streaming git process whose stderr goes to a temporary file (a pipe could fill up)."""

    def __init__(self, git: Git, args: Sequence[str], stdin: Any, stdout: Any = None) -> None:
        self.args = args
        self.git = git
        self.err: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()
        try:
            self.p = subprocess.Popen(
                git.argv(*args), env=git.env, stdin=stdin, stdout=stdout or subprocess.PIPE,
                stderr=self.err, bufsize=1 << 16,
            )  # fmt: skip
        except FileNotFoundError:
            raise SourceError("git: command not found (lekk needs git on PATH)") from None
        self.stdout: IO[bytes] = stdout or self.p.stdout  # type: ignore[assignment]

    def finish(self, what: str) -> int:
        """Wait; raise SourceError naming ``what`` with git's first error line on failure."""
        if self.p.stdin:
            with contextlib.suppress(OSError):
                self.p.stdin.close()
        rc = self.p.wait()
        if self.p.stdout is not None:
            self.p.stdout.close()
        if rc not in (0, -9, -13):  # killed, or SIGPIPE after we stopped reading
            raise SourceError(f"{self.git.where}: {what}: {self.stderr() or f'git exited {rc}'}")
        self.err.close()
        return rc

    def stderr(self) -> str:
        self.err.seek(0)
        return first_error(self.err.read())

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def first_error(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    lines = [x.strip() for x in stderr.decode("utf-8", "replace").splitlines() if x.strip()]
    return lines[0] if lines else ""
