"""``history.pack_order``: the history's blobs go to ``cat-file`` in the reverse of their order
in the packs (its delta-base cache then holds the base of the next blob far more often).

Only the order may change: every line ``rev-list --objects`` gives reaches ``cat-file`` exactly
once, past the memory limit and past the listing's budget too, and a failure while ordering
stops the scan with an error instead of passing part of the history for the whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from git_builder import Repo, fake_secret
from helpers import processes_naming

from scanner.errors import SourceError
from scanner.pipeline import Scan
from scanner.rules import load_rules
from scanner.sources.git import history, scan
from scanner.sources.git.cmd import Git
from scanner.sources.git.progress import Progress


def _repo(tmp_path: Path) -> Repo:
    """Versions of a few files, packed: deltas between the versions."""
    repo = Repo(tmp_path / "r")
    body = "".join(f"line {i} of a file that changes a little each time\n" for i in range(200))
    for i in range(15):
        repo.commit(
            f"c{i}",
            {f"f{k}.txt": body + f"version {i} of file {k}\n" for k in range(3)}
            | {"new.txt": f"{i}\n"},
        )
    repo.git("gc", "-q", "--aggressive")
    return repo


def _revlist(git: Git) -> list[bytes]:
    proc = history.revlist(git, ["--all"])
    lines = list(proc.stdout)
    proc.finish("git rev-list")
    return lines


def _listing(git: Git) -> history.Proc:
    return git.popen(
        "cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objectname)"
    )


def test_every_blob_once_in_reverse_pack_order(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    git = Git(str(repo.path))
    revlist, _, lines = history.ordered_blobs(git, ["--all"])
    got = list(lines)
    revlist.finish("git rev-list")
    expected = _revlist(git)
    assert sorted(got) == sorted(expected) and len(expected) == 60
    in_packs = repo.git(
        "cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objectname)"
    )
    position = {name: i for i, name in enumerate(in_packs.split())}
    order = [position[line.split()[0].decode()] for line in got]
    assert order == sorted(order, reverse=True)
    assert got != expected  # (or this repository would not show that anything moved)


def test_past_the_limit_the_lines_come_in_rev_lists_order(tmp_path: Path) -> None:
    git = Git(str(_repo(tmp_path).path))
    expected = _revlist(git)
    listing = _listing(git)
    assert list(history.pack_order(iter(expected), listing, limit=7)) == expected
    assert listing.p.poll() is not None  # the listing was stopped, not left blocked


def test_missing_objects_count_against_the_limit(tmp_path: Path) -> None:
    """A partial clone lists every blob as missing ("?<id>"): they are held up to the limit
    too, then streamed, so memory stays bounded."""
    git = Git(str(_repo(tmp_path).path))
    missing = [b"?" + f"{k:040x}".encode() + b"\n" for k in range(50)]

    def names() -> Iterator[bytes]:
        for n, line in enumerate(missing):
            if n == 10:
                assert consumed == missing[:10]  # held up to the limit, gone out before the rest
            yield line

    consumed: list[bytes] = []
    for line in history.pack_order(names(), _listing(git), limit=10):
        consumed.append(line)
    assert consumed == missing


def test_missing_and_unlisted_objects_come_last(tmp_path: Path) -> None:
    git = Git(str(_repo(tmp_path).path))
    known = _revlist(git)
    missing = b"?" + b"1" * 40 + b"\n"
    unlisted = b"2" * 40 + b" some/path\n"
    got = list(history.pack_order(iter([missing, *known[:5], unlisted, *known[5:]]), _listing(git)))
    assert sorted(got[:-2]) == sorted(known) and got[-2:] == [unlisted, missing]


class _Listing:
    """A listing of many unrelated objects before the one asked for."""

    def __init__(self, unrelated: int, wanted: bytes) -> None:
        self.read = 0
        self.killed = False
        self._names = [f"{i:040x}\n".encode() for i in range(unrelated)] + [wanted + b"\n"]

    @property
    def stdout(self):
        for name in self._names:
            self.read += 1
            yield name

    def kill(self) -> None:
        self.killed = True


def test_the_listing_is_read_only_so_far_for_a_few_blobs() -> None:
    """A range of a few commits in a repository of millions of objects does not wait for all
    of them to be listed: past its budget the listing stops and the blobs still all come."""
    wanted = [f"{'a' * 39}{k} p{k}\n".encode() for k in range(3)]
    listing = _Listing(100_000, b"a" * 39 + b"1")
    got = list(history.pack_order(iter(wanted), listing))  # type: ignore[arg-type]
    assert sorted(got) == sorted(wanted)
    assert listing.read <= history.LISTED_PER_BLOB * 3 + 1001 and listing.killed


def test_a_failure_while_ordering_is_an_error_not_a_partial_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Repo(tmp_path / "r")
    for i in range(4):
        repo.commit(f"c{i}", {f"k{i}.env": f"SAGAPAY_API_SECRET={fake_secret()}\n"})
    real = history.pack_order

    def failing(names, listing, limit=history.ORDER_LIMIT):
        for n, line in enumerate(real(names, listing, limit)):
            if n == 2:
                raise MemoryError
            yield line

    monkeypatch.setattr(history, "pack_order", failing)
    git = Git(str(repo.path))
    with pytest.raises(SourceError, match="cannot list the history's blobs: MemoryError"):
        scan.scan_history(git, ["--all"], Scan(load_rules()), print, Progress(False))
    assert processes_naming(str(repo.path), "git", wait=5) == []  # no git left behind
