"""When a leaked value left the default branch: ``removed_in`` on history findings.

For a value the tip of the default branch no longer holds, ``removed_in`` is the commit on the
default branch's first-parent line whose tree was the first without any blob carrying the value
(the last time it left, should it have come back in between); ``None`` when the tip still holds
it or the default branch never did (a value only on an unmerged branch or a tag).

One walk, plumbing only: ``rev-list --first-parent --reverse TIP`` lists the line oldest first,
piped into ``diff-tree --stdin --diff-merges=first-parent``, which gives each commit's changes
against its first parent (for a merge, what the merge brought in).  The blobs that carry each value come from the history scan
(``holders``), so no blob is read again: the walk only follows which paths hold one of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from scanner.finding import Finding
from scanner.sources.git import history
from scanner.sources.git.cmd import Git
from scanner.sources.git.history import Commit

Key = tuple[str, str]  # (rule id, secret), as in the history scan's holders


def mark(
    findings: Sequence[Finding],
    holders: Mapping[Key, set[str]],
    git: Git,
    head: tuple[str, str] | None,
) -> list[Finding]:
    """``findings`` with ``extra["removed_in"]`` set: the removing commit's sha, author, email,
    date and summary (as ``extra["commit"]``), or ``None``."""
    gone = {
        (f.rule.id, f.secret)
        for f in findings
        if f.extra.get("still_in_head") is False and f.extra.get("commit")
    }
    wanted = {k: holders[k] for k in gone if holders.get(k)}
    found = removals(git, head[1], wanted) if head and wanted else {}
    out = []
    for f in findings:
        commit = found.get((f.rule.id, f.secret))
        out.append(f.with_(extra={**f.extra, "removed_in": commit.as_dict() if commit else None}))
    return out


def removals(git: Git, tip: str, holders: Mapping[Key, set[str]]) -> dict[Key, Commit]:
    """For each value of ``holders`` that the first-parent line to ``tip`` held and ``tip`` no
    longer holds, the commit that removed it."""
    values_of: dict[str, list[Key]] = {}
    for key, ids in holders.items():
        for blob in ids:
            values_of.setdefault(blob, []).append(key)
    at: dict[str, str] = {}  # path -> the blob carrying a value there, in the current tree
    count: dict[Key, int] = dict.fromkeys(holders, 0)  # paths holding each value
    removed: dict[Key, str] = {}  # value -> the commit that last took its last copy away
    for sha, path, new in _changes(git, tip):
        old = at.pop(path, None)
        for key in values_of.get(old or "", ()):
            count[key] -= 1
            if not count[key]:
                removed[key] = sha
        if new in values_of:
            at[path] = new
            for key in values_of[new]:
                count[key] += 1
                removed.pop(key, None)
    removed = {k: sha for k, sha in removed.items() if not count[k]}
    commits = _commits(git, sorted(set(removed.values())))
    return {k: commits[sha] for k, sha in removed.items() if sha in commits}


def _changes(git: Git, tip: str) -> Iterator[tuple[str, str, str]]:
    """(commit, path, new blob id or zeros) for every change on the first-parent line, oldest
    commit first, each against its first parent."""
    line = git.popen("rev-list", "--first-parent", "--reverse", tip, "--")
    diff = git.popen(
        "diff-tree",
        "--stdin",
        "-r",
        "--root",
        "--raw",
        "-z",
        "--no-renames",
        "--diff-merges=first-parent",
        stdin=line.stdout,
    )
    line.stdout.close()  # diff-tree owns the read end now
    try:
        commit = ""
        tokens = history._tokens(diff.stdout)
        for tok in tokens:
            tok = tok.lstrip(b"\n")
            if tok[:1] == b":":  # ":<old mode> <new mode> <old id> <new id> <status>", then path
                path = next(tokens, b"").decode("utf-8", "replace")
                fields = tok.split()
                if len(fields) >= 4:
                    yield commit, path, fields[3].decode("ascii", "replace")
            elif tok:
                commit = tok.decode("ascii", "replace")
    except BaseException:  # (also a consumer that stops early)
        line.kill()
        diff.kill()
        raise
    line.finish("git rev-list")
    diff.finish("git diff-tree")


def _commits(git: Git, shas: Sequence[str]) -> dict[str, Commit]:
    """Author, date and subject of each commit, in one ``rev-list --no-walk``."""
    if not shas:
        return {}
    out = git.run("rev-list", "--no-walk=unsorted", "--no-commit-header", history.LOG_FORMAT, *shas)
    found: dict[str, Commit] = {}
    for record in out.split(b"\x01")[1:]:
        fields = record.rstrip(b"\n").split(b"\0")
        if len(fields) == 5:
            sha, author, email, date, summary = (x.decode("utf-8", "replace") for x in fields)
            found[sha] = Commit(sha, author, email, date, summary)
    return found
