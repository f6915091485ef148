"""The two git sources the pipeline scans: a repository's history and its index.

``HistorySource`` reads every reachable blob once (``scan.scan_history``) and, in ``settle``,
merges the findings the filters kept into one per leaked value, with the commit that introduced
it, the refs that reach it and whether the default branch still holds it (``attribute``).
``StagedSource`` reads the staged blobs and keeps only what the staged version adds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.errors import ConfigError, SourceError
from scanner.finding import Finding
from scanner.sources import Drop, ScanFn, Source, Warn
from scanner.sources.git import history
from scanner.sources.git.cmd import Git

if TYPE_CHECKING:
    from scanner.sources.git.staged import Entry


def revision_spec(
    git: Git, rev_range: str | None, since_commit: str | None, branches: Sequence[str]
) -> list[str]:
    """The rev-list arguments for a range (A..B), ``--since-commit``, ``--branch``es or all refs."""
    if rev_range and since_commit:
        raise ConfigError("give either RANGE or --since-commit, not both")
    if rev_range:
        if "..." in rev_range or ".." not in rev_range:
            raise ConfigError(f"{rev_range!r}: RANGE must look like A..B (commits in B, not in A)")
        a, b = rev_range.split("..", 1)
        return [f"^{history.resolve(git, a or 'HEAD')}", history.resolve(git, b or "HEAD")]
    if since_commit:
        heads = [history.resolve(git, r) for r in branches or ("HEAD",)]
        return [f"^{history.resolve(git, since_commit)}", *heads]
    if branches:
        return [history.resolve(git, r) for r in branches]
    return ["--all"]


class _Opening:
    """``history.open_repo`` (GitPython's import and ``Repo``) on a thread."""

    def __init__(self, where: str, git: Git) -> None:
        self._result: history.RepoInfo | BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(where, git), daemon=True)
        self._thread.start()

    def _run(self, where: str, git: Git) -> None:
        try:
            self._result = history.open_repo(where, git=git)
        except BaseException as exc:  # handed to result()
            self._result = exc

    def result(self) -> history.RepoInfo:
        self._thread.join()
        if isinstance(self._result, BaseException):
            raise self._result
        assert self._result is not None
        return self._result


class HistorySource(Source):
    command = "git"

    def __init__(
        self,
        where: str,
        rev_range: str | None = None,
        since_commit: str | None = None,
        branches: Sequence[str] = (),
        progress: bool = False,
        jobs: int | None = None,
    ) -> None:
        from scanner.sources.git import early

        self.where = where
        git = Git(where)
        self.jobs = jobs or history.default_jobs()
        self.stream: history.BlobStream | None = None
        self._info: history.RepoInfo | None = None
        self._opening: _Opening | None = None
        try:
            self.spec = revision_spec(git, rev_range, since_commit, branches)
            self.stream = early.take(where, self.spec, self.jobs) or history.serial_stream(
                git, self.spec, self.jobs
            )  # (early: started by the entry point, before the CLI was imported)
            if self.stream is None:
                self._info = history.open_repo(where, git=git)
            # else git inflates blobs (read ahead, bounded) while the rules load, and GitPython
            # opens the repository on a thread while the scan reads them (``collect``)
        except SourceError:
            self.close()
            history.open_repo(where, git=git)  # a path that is no repository says so first
            raise
        except BaseException:
            self.close()
            raise
        self.git = git
        self.rev_range = rev_range
        self.since_commit = since_commit
        self.branches = list(branches)
        self.progress = progress
        self.scanned: Any = None  # scan.HistoryScan, once collected
        self.head: tuple[str, str] | None = None

    @property
    def info(self) -> history.RepoInfo:
        """The repository as GitPython's ``Repo`` opened it (waits for the thread if need be)."""
        if self._info is None:
            try:
                self._info = (
                    self._opening.result()
                    if self._opening
                    else history.open_repo(self.where, git=self.git)
                )
            except BaseException:
                self.close()
                raise
        return self._info

    def collect(self, scan: ScanFn, warn: Warn, jobs: int | None) -> list[Finding]:
        from scanner.sources.git import scan as history_scan
        from scanner.sources.git.progress import Progress

        stream, self.stream = self.stream, None
        if self._info is None:  # GitPython opens the repository in the scan's idle time: once
            # it first waits for git (before, the CLI's imports and the first blobs keep the
            # interpreter busy, and git's output would wait on the thread)
            if stream is not None:
                stream.batch.when_idle(self._open)
            else:
                self._open()
        self.scanned = history_scan.scan_history(
            self.git,
            self.spec,
            scan,
            warn,
            Progress(self.progress, "git"),
            jobs or self.jobs,
            stream,
        )
        if self.info.shallow:
            warn(
                f"{self.where}: shallow clone: history before the shallow boundary is missing, so "
                "the scan is partial and the oldest commits present may be credited with older "
                "content"
            )
        return [*(f for f, _ in self.scanned.found), *self.scanned.lint]

    def _open(self) -> None:
        if self._opening is None:
            self._opening = _Opening(self.where, self.git)

    def close(self) -> None:
        """Stop a blob stream that was started and will not be read (an error came first)."""
        if self.stream is not None:
            self.stream.kill()
        self.stream = None

    def settle(self, kept: list[Finding], drop: Drop, warn: Warn) -> list[Finding]:
        """Secrets: one finding per leaked value, with its commit, refs and tip state.  Lint
        findings come from the tip already (``scan._lint_at_tip``): a plain-http URL fixed
        years ago is no finding."""
        from scanner.sources.git import attribute

        secrets = [f for f in kept if f.rule.is_secret]
        lint = [f for f in kept if not f.rule.is_secret]
        if not secrets:
            return lint
        self.head = history.default_head(self.info.git)
        s = self.scanned
        merged = attribute.attribute(s.found, secrets, s.holders, self.info.git, self.head)
        return sorted([*merged, *lint], key=Finding.sort_key)

    def coverage(self) -> tuple[int, int]:
        s = self.scanned
        return (s.blobs, s.bytes) if s is not None else (0, 0)

    def properties(self) -> Mapping[str, Any]:
        info, s = self.info, self.scanned
        since = f"{self.since_commit}..{','.join(self.branches) or 'HEAD'}"
        repo = Path(info.git_dir).parent if info.git_dir.endswith("/.git") else info.git_dir
        return {
            "partial_history": info.shallow or (s is not None and s.partial),
            "git": {
                "repository": str(repo),
                "range": self.rev_range or (since if self.since_commit else None),
                "refs": self.branches or (["--all"] if self.spec == ["--all"] else []),
                "shallow": info.shallow,
                "default_branch": self.head[0] if self.head else None,
                "commits": s.commits if s is not None else 0,
                "blobs": s.blobs if s is not None else 0,
            },
        }


class StagedSource(Source):
    """What is about to be committed: the index against HEAD, read without GitPython (start-up
    time of the pre-commit hook; docs/git.md); inside a git hook, its GIT_DIR and
    GIT_INDEX_FILE are honoured."""

    command = "staged"

    def __init__(
        self, where: str, git: Git | None = None, entries: list[Entry] | None = None
    ) -> None:
        """``git`` and ``entries``: the index already read (``staged.read_index``; the hook)."""
        from scanner.sources.git import staged
        from scanner.sources.git.cmd import hook_env

        self.git = git or Git(where, hook_env())
        self.entries = staged.entries(self.git) if entries is None else entries

    def collect(self, scan: ScanFn, warn: Warn, jobs: int | None) -> list[Finding]:
        from scanner.sources.git import scan as blob_scan

        return blob_scan.scan_blobs(self.git, self.entries, scan, warn) if self.entries else []

    def coverage(self) -> tuple[int, int]:
        return len(self.entries), 0
