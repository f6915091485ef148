"""What is staged: the index against HEAD (or everything in the index before the first commit).

Paths are as they will be committed (relative to the top of the work tree); the content is the
staged blob, not the working-tree file, which may differ.
"""

from __future__ import annotations

from scanner.errors import SourceError
from scanner.safetext import path_text
from scanner.sources.git.cmd import Git, first_error
from scanner.sources.git.history import EMPTY

Entry = tuple[str, str, str]  # (path, staged blob, blob in HEAD or "")


def entries(git: Git) -> list[Entry]:
    """(path, staged blob, blob in HEAD or "") for every added or modified staged file."""
    return read_index(git)[0]


def read_index(git: Git) -> tuple[list[Entry], int]:
    """``entries``, and how many paths are staged: what ``git diff --cached --name-only
    --diff-filter=ACMRTUXB`` lists (added, modified, type-changed, unmerged; submodules and
    empty files too), which the pre-commit hook reports."""
    code, out, err = git.run_status(
        "diff-index",
        "--cached",
        "--raw",
        "-z",
        "--no-renames",
        "--no-abbrev",
        "--no-ext-diff",
        "--no-textconv",
        "HEAD",
        "--",
    )
    if code == 0:
        return _parse_raw(out)
    msg = first_error(err)
    if "bad revision" in msg or "ambiguous argument 'HEAD'" in msg:  # no commit yet
        out = git.run("ls-files", "-s", "-z")
        return _parse_ls_files(out)
    if "not a git repository" in msg:
        msg = "not a git repository"
    raise SourceError(f"{git.where}: {msg or 'cannot read the index'}")


def _parse_raw(out: bytes) -> tuple[list[Entry], int]:
    toks = out.split(b"\0")
    found = []
    staged = 0
    for meta, path in zip(toks[0::2], toks[1::2], strict=False):
        fields = meta.lstrip(b":").decode("ascii", "replace").split()
        if len(fields) < 5:
            continue
        _, mode, old, new, status = fields[:5]
        staged += status[:1] != "D"
        if status[:1] in ("D", "U") or mode == "160000" or new in EMPTY:
            continue
        found.append((path_text(path), new, "" if old in EMPTY else old))
    return found, staged


def _parse_ls_files(out: bytes) -> tuple[list[Entry], int]:
    found = []
    paths = set()
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, sha, stage = meta.decode().split()
        paths.add(path)
        if stage == "0" and mode != "160000":
            found.append((path_text(path), sha, ""))
    return found, len(paths)
