"""``Engine.path_signature``: the history scans a blob once per signature of the paths it is at,
so a use of the path that the signature misses is a silent false negative.

The property: the same text under two paths with the same signature (and the same reader kind,
as the history scanner keys it) gives the same findings.  It is checked over every example of
every built-in rule, under every path the examples name and a few more; and each part of the
signature is shown to be needed (dropped, the property fails), so the check can fail.  Two
histories show what a missed part costs: a leak committed under one path and then moved to a
path that reads it differently.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import keygen
import pytest
from git_builder import Repo
from helpers import lekk

from scanner.pipeline import Scan
from scanner.rules import load_rules
from scanner.sources import Fragment
from scanner.sources.git.scan import _kind

MORE_PATHS = (
    "",
    "settings.py",
    "settings.txt",
    "config.yaml",
    "README.md",
    "docs/setup.txt",
    ".env",
    ".env.local",
    ".env.example",
    "src/components/Pay.tsx",
    "src/components/api/Pay.tsx",
    "src/pages/api/orders.tsx",
    "tests/test_client.py",
    "client_test.go",
    "dist/app.js",
    "vipps/config.txt",
    "sagapay.env",
    "openapi.yaml",
    "app.zip!dist/app.js",
)
Signature = Callable[[str], object]
PARTS = ("keywords in the path", "globs", "context patterns", "name: blocks")
# A user's pack whose keyword is in no context pattern: only the path can start its rule.
ACME = """
[[rules]]
id = "acme-token"
name = "Acme Pay token"
severity = "error"
keywords = ["acmepay"]
anchors = ["token="]
regex = 'token=(?P<secret>[a-z0-9]{20})'
what = "An Acme Pay token."
why = "It moves money."
fix = "Rotate it."
examples = [{ path = "acmepay/env.txt", text = "token=k3j9x0qp2m7w4v8t1z5r" }]
negative_examples = ["token=k3j9x0qp2m7w4v8t1z5r"]

[rules.remediation]
url = "https://acme.invalid/keys"
action = "Rotate the key in the Acme dashboard."
"""


@cache
def _scan() -> Scan:
    return Scan(load_rules())


@cache
def _cases() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every example and negative example text of the built-in rules, and every path."""
    texts: dict[str, None] = {}
    paths: dict[str, None] = dict.fromkeys(MORE_PATHS)
    for rule in _scan().rules:
        for ex in (*rule.examples, *rule.negative_examples):
            texts[ex.text] = None
            paths[ex.path] = None
    return tuple(texts), tuple(paths)


@cache
def _findings(scan: Scan, text: str, path: str) -> frozenset[tuple[object, ...]]:
    """What the history would take from a blob scanned under ``path`` (the path aside)."""
    from scanner.sources import dispatch

    frags = dispatch.expand([Fragment(text, path)], lambda _: None)
    return frozenset(
        (
            f.rule.id,
            f.line,
            f.column,
            f.secret,
            f.severity,
            f.test,
            f.found_in,
            f.allowed,
            tuple(sorted(f.context.items())),
            f.client_side,
        )
        for frag in frags
        for f in scan(frag, lambda _: None)
    )


def _mismatches(
    scan: Scan, signature: Signature, texts: Sequence[str], paths: Sequence[str]
) -> list[tuple[str, str, str]]:
    """(text, path, path) where two paths of one signature give different findings."""
    groups: dict[object, list[str]] = {}
    for p in paths:
        groups.setdefault((signature(p), _kind(p)), []).append(p)
    out = []
    for text in texts:
        for group in groups.values():
            first = _findings(scan, text, group[0])
            out.extend((text, group[0], p) for p in group[1:] if _findings(scan, text, p) != first)
    return out


def _without(scan: Scan, part: str) -> Signature:
    """The signature less one of its parts."""
    i = PARTS.index(part)

    def signature(path: str) -> object:
        sig = scan.engine.path_signature(path)
        assert len(sig) == len(PARTS)
        return sig[:i] + sig[i + 1 :]

    return signature


def test_same_signature_same_findings() -> None:
    scan = _scan()
    bad = _mismatches(scan, scan.signature, *_cases())
    assert not bad, bad[:5]


@pytest.mark.parametrize("part", PARTS[1:])
def test_every_part_of_the_signature_is_needed(part: str) -> None:
    scan = _scan()
    bad = _mismatches(scan, _without(scan, part), *_cases())
    assert bad, f"the examples do not show why the signature needs {part}"


def test_a_keyword_in_the_path_is_part_of_it(tmp_path: Path) -> None:
    """The built-in keywords a path can hold are in context patterns too; a user's need not be."""
    (tmp_path / "acme.toml").write_text(ACME)
    scan = Scan(load_rules([tmp_path / "acme.toml"]))
    texts, paths = ["token=k3j9x0qp2m7w4v8t1z5r"], ["acmepay/env.txt", "env.txt"]
    assert _findings(scan, texts[0], paths[0]) != _findings(scan, texts[0], paths[1])
    assert _mismatches(scan, scan.signature, texts, paths) == []
    assert _mismatches(scan, _without(scan, PARTS[0]), texts, paths)


def test_an_excluding_glob_tells_paths_apart() -> None:
    """`.env.example` and `.env.local` both match `.env.*`; only `!.env.example` tells them
    apart (tracked-dotenv reports one and not the other)."""
    sig = _scan().signature
    assert sig(".env.example") != sig(".env.local")
    assert sig("src/components/api/Pay.tsx") != sig("src/components/Pay.tsx")


def _git_findings(repo: Repo, tmp_path: Path) -> list[tuple[str, str, int]]:
    out = tmp_path / "r.json"
    r = lekk("git", str(repo.path), "--format", "json", "-o", str(out))
    assert r.returncode in (0, 1), r.stderr
    return [(f["rule"], f["path"], f["line"]) for f in json.loads(out.read_text())["findings"]]


def test_history_a_leak_in_python_moved_to_a_text_file(tmp_path: Path) -> None:
    """Python code is read without YAML-style `name:` blocks (`else:` is not a block of another
    system); the same blob under a `.txt` name is read with them and holds no finding.  The
    history meets the blob first at the tip's path: the commit that added it as Python must
    still be reported."""
    secret = keygen.client_secret(random.Random(12))
    text = (
        'VIPPS_API = "https://api.vipps.no"\n'
        "if DEBUG:\n"
        "    client_secret = None\n"
        "else:\n"
        f'    client_secret = "{secret}"\n'
    )
    repo = Repo(tmp_path / "r")
    repo.commit("settings", {"settings.py": text})
    repo.git("mv", "settings.py", "settings.txt")
    repo.git("commit", "-q", "-m", "keep the old settings as text")
    assert ("vipps-client-secret", "settings.py", 5) in _git_findings(repo, tmp_path)


def test_history_a_leak_moved_into_the_docs(tmp_path: Path) -> None:
    """A document's example frame (an allowlist with `paths`) allows the value in `docs/`, not
    in the deploy file it was first committed to."""
    secret = keygen.client_secret(random.Random(13))
    text = f"# Example for merchant 123456\nVIPPS_CLIENT_SECRET={secret}\n"
    repo = Repo(tmp_path / "r")
    repo.commit("deploy", {"deploy/prod.env": text})
    (repo.path / "docs").mkdir()
    repo.git("mv", "deploy/prod.env", "docs/prod.env")
    repo.git("commit", "-q", "-m", "move to the docs")
    assert ("vipps-client-secret", "deploy/prod.env", 2) in _git_findings(repo, tmp_path)


@pytest.mark.parametrize("jobs", [1, 3])
def test_history_a_keyword_only_in_a_path_the_blob_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """A blob whose bytes hold no keyword is not worked out a signature for each of its paths
    (``_Scanner.bare``), but where a path holds a keyword it is scanned again under it: the
    history meets the blob first at the tip's path, `env.txt`, where it is nothing."""
    from scanner.sources.git import history, scan
    from scanner.sources.git.progress import Progress

    (tmp_path / "acme.toml").write_text(ACME)
    engine = Scan(load_rules([tmp_path / "acme.toml"]))
    repo = Repo(tmp_path / "r")
    first = repo.commit("acme", {"acmepay/env.txt": "token=k3j9x0qp2m7w4v8t1z5r\n"})
    repo.git("mv", "acmepay/env.txt", "env.txt")
    repo.git("commit", "-q", "-m", "no longer acme's")
    monkeypatch.setattr(history, "PARALLEL_PACK_KIB", 0)
    git = history.open_repo(str(repo.path)).git
    assert history.workers_worth_it(git, jobs) == (jobs > 1)
    hs = scan.scan_history(git, ["--all"], engine, print, Progress(False), jobs)
    assert [(f.rule.id, f.path, f.line, ch and ch.commit.sha) for f, ch in hs.found] == [
        ("acme-token", "acmepay/env.txt", 1, first)
    ]


def test_a_bare_blob_needs_no_signature_where_no_keyword_is() -> None:
    from scanner.sources.git.blobs import fragments
    from scanner.sources.git.scan import _Scanner

    sc = _Scanner(_scan(), print)
    text = b"nothing to see here\n"
    sc.handle("b" * 40, "src/settings.py", fragments(text, "src/settings.py", sc.prefilter))
    assert sc.bare == {"b" * 40} and sc.scanned == {} and sc.hits == {}
    assert sc.empty_at("b" * 40, ".env.local")  # a signature of its own, no keyword: no finding
    assert not sc.empty_at("b" * 40, "config/vipps.env")  # a keyword: scanned there
    assert not sc.empty_at("c" * 40, ".env.local")  # never read: nothing known
