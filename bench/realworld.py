#!/usr/bin/env python3
"""Real-world precision: lekk over large real trees and release histories, every finding listed.

Usage:
  bench/realworld.py [--only NAMES] [--fetch-only | --no-fetch] [--reuse] [--lekk CMD]
                     [--review FILE] [--verdicts FILE] [--open-gate] [--summary] [--list]

Assembles, in a cache outside the repository ($LEKK_BENCH_CACHE/realworld, default
~/.cache/lekk-bench/realworld), corpora that hold no Vipps MobilePay or SagaPay credential, from
what the machine reaches (PyPI, npm and Debian through pip, npm and apt-get):

  trees      stdlib (this Python's standard library, in place), site-packages (a cache venv with
             popular PyPI packages), node_modules (popular npm packages, bundles and source maps
             included), debian (Go, PHP, Ruby and browser-JS packages unpacked with dpkg-deb)
  histories  one git repository per package whose commits are its published releases in version
             order, each dated by its release date and tagged (npm: the registry's times; PyPI:
             the newest file time in the sdist), for big, long-lived packages
  vipps      the same for the public Vipps / MobilePay integration packages on PyPI and npm, the
             closest thing here to the histories of real integration repositories

then runs ``lekk scan`` on each tree and ``lekk git`` on each history (JSON, ``--show-secrets``
into a temporary file that is deleted at once: raw values stay in memory only, to mask them in
the snippets) and writes a review table (Markdown): corpus, rule, file, line, commit, the
redacted value (a lint rule's flagged span as-is), a one-line snippet with every credential value
masked, and the verdict and reason from the verdicts file (``unread`` for a finding not in it).

  --only NAMES     comma-separated corpora or groups (trees, histories, vipps); default: all
  --lekk CMD       the lekk command (default: lekk next to this Python), e.g. another branch:
                   --lekk '/path/to/branch/.venv/bin/lekk'
  --reuse          do not scan; rebuild the table and summary from the last stored results
  --results DIR    where each corpus's redacted results are stored (one folder per lekk)
  --write-verdicts FILE  write every finding as a verdicts row (TSV) to fill in
  --open-gate      run Vipps MobilePay's two secret rules without their gate (a Vipps signal in
                   the text), as if every file mentioned Vipps: what real code holds one Vipps
                   mention away from a finding (results-open-gate/, review-open-gate.md)
  --summary        print per-corpus sizes and timings and the counts per rule per corpus
  --list           print the corpora and what they hold, then exit

Downloads: about 1.2 GB in all, 4.5 GB on disk (docs/realworld.md gives the sizes of each corpus).
Results: docs/realworld.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("LEKK_BENCH_CACHE") or Path.home() / ".cache/lekk-bench") / "realworld"
VERDICTS = HERE / "realworld_verdicts.tsv"

# Popular PyPI packages: web frameworks, cloud SDKs, payment SDKs, test tools, data libraries.
# django-allauth ships a Vipps login provider: real code that talks about Vipps, no credential.
PYPI_TREE = (  # noqa: SIM905
    "django djangorestframework django-allauth flask fastapi starlette uvicorn gunicorn "
    "sqlalchemy celery redis pymongo psycopg2-binary elasticsearch tornado aiohttp httpx "
    "requests jinja2 pydantic boto3 awscli azure-identity azure-storage-blob "
    "azure-keyvault-secrets azure-mgmt-resource azure-mgmt-web google-cloud-storage "
    "google-cloud-bigquery google-api-python-client stripe adyen paypalrestsdk braintree "
    "squareup twilio sendgrid openai sentry-sdk authlib oauthlib pyjwt python-jose "
    "cryptography paramiko kubernetes docker ansible-core pytest hypothesis tox mypy black "
    "sphinx mkdocs selenium scrapy numpy pandas"
).split()

# Popular npm packages: frameworks (with their built bundles and source maps), bundlers, SDKs.
# next-auth and @auth/core ship a Vipps login provider.
NPM_TREE = (  # noqa: SIM905
    "next react react-dom vite webpack webpack-cli rollup esbuild @babel/core typescript "
    "eslint jest prettier vue nuxt @angular/core @angular/common svelte @sveltejs/kit "
    "jquery bootstrap d3 three chart.js @mui/material tailwindcss rxjs moment date-fns lodash "
    "axios express stripe @stripe/stripe-js @adyen/api-library @adyen/adyen-web braintree "
    "@paypal/checkout-server-sdk square @azure/identity @azure/storage-blob @azure/msal-browser "
    "@azure/msal-node @azure/keyvault-secrets aws-sdk @aws-sdk/client-s3 firebase "
    "firebase-admin @google-cloud/storage googleapis next-auth @auth/core @sentry/browser "
    "@sentry/node mongoose pg mysql2 redis twilio @sendgrid/mail openai"
).split()

# Debian packages that carry source (Go modules, PHP, Ruby) or browser bundles; unpacked only.
DEBIAN_TREE = (  # noqa: SIM905
    "golang-github-aws-aws-sdk-go-dev golang-github-azure-azure-sdk-for-go-dev "
    "golang-google-cloud-dev golang-golang-x-oauth2-dev golang-github-gin-gonic-gin-dev "
    "php-guzzlehttp-guzzle php-laravel-framework ruby-aws-sdk-core ruby-activesupport "
    "ruby-actionpack libjs-jquery libjs-bootstrap5 libjs-d3 libjs-angularjs node-axios node-express"
).split()


@dataclass(frozen=True)
class History:
    registry: str  # "npm" or "pypi"
    package: str
    limit: int  # releases at most (evenly spread over the history, first and last kept)


def releases_of(registry: str, limits: dict[str, int]) -> tuple[History, ...]:
    return tuple(History(registry, package, n) for package, n in limits.items())


EVERY = 10_000  # every release

HISTORIES = (
    *releases_of(
        "npm",
        {"express": 60, "lodash": 40, "axios": 40, "stripe": 40, "next-auth": 60}
        | {"@azure/msal-browser": 30, "react-dom": 25, "webpack": 30},
    ),
    *releases_of(
        "pypi",
        {"requests": 30, "django": 15, "flask": 15, "stripe": 20, "boto3": 12}
        | {"django-allauth": 30, "adyen": 15},
    ),
)

# Public Vipps / MobilePay integration packages found on the two registries (every release),
# and Auth.js, whose recent releases carry a Vipps MobilePay login provider.
VIPPS_HISTORIES = (
    *releases_of("npm", {"@vippsmobilepay/sdk": EVERY, "@crystallize/node-vipps": EVERY}),
    *releases_of("npm", {"react-vipps-payments": EVERY}),
    *releases_of("pypi", {"vipps": EVERY, "django-allauth-vipps": EVERY}),
    *releases_of("npm", {"@auth/core": 40}),
)

GROUPS = ("trees", "histories", "vipps")


@dataclass(frozen=True)
class Corpus:
    name: str
    group: str
    kind: str  # "tree" or "history"
    path: Callable[[], Path]
    fetch: Callable[[], None]
    excludes: tuple[str, ...] = ()
    about: str = ""


# ---------------------------------------------------------------------------------------------
# running things


def run(cmd: Sequence[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run a command, raising with its stderr's last lines when it fails."""
    p = subprocess.run(list(cmd), text=True, capture_output=True, **kw)
    if p.returncode:
        tail = "\n".join((p.stderr or p.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"{shlex.join(cmd)} exited {p.returncode}: {tail}")
    return p


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def done_marker(path: Path) -> Path:
    return path.parent / f".{path.name}.done"


def once(path: Path, build: Callable[[Path], None]) -> None:
    """Build ``path`` unless a previous run finished it (a marker file says so)."""
    if done_marker(path).exists():
        return
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build(path)
    done_marker(path).touch()


# ---------------------------------------------------------------------------------------------
# trees


def stdlib_path() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def venv_site_packages() -> Path:
    found = sorted((CACHE / "trees/pypi-venv/lib").glob("python*/site-packages"))
    return found[0] if found else CACHE / "trees/pypi-venv/lib/site-packages"


def fetch_site_packages() -> None:
    def build(venv: Path) -> None:
        say(f"site-packages: pip install {len(PYPI_TREE)} packages into {venv}")
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(venv / "bin/pip"), "install", "-q", *PYPI_TREE])

    once(CACHE / "trees/pypi-venv", build)


NPM_INSTALL: tuple[str, ...] = ("npm", "install", "--ignore-scripts", "--no-audit", "--no-fund")
NPM_INSTALL += ("--omit=optional", "--legacy-peer-deps", "--loglevel=error")


def fetch_node_modules() -> None:
    def build(root: Path) -> None:
        say(f"node_modules: npm install {len(NPM_TREE)} packages into {root}")
        root.mkdir(parents=True)
        (root / "package.json").write_text('{"name": "lekk-realworld", "private": true}\n')
        run([*NPM_INSTALL, *NPM_TREE], cwd=root)

    once(CACHE / "trees/npm", build)


def fetch_debian() -> None:
    def build(root: Path) -> None:
        debs = CACHE / "downloads/debian"
        debs.mkdir(parents=True, exist_ok=True)
        say(f"debian: apt-get download {len(DEBIAN_TREE)} packages")
        run(["apt-get", "download", "-q", *DEBIAN_TREE], cwd=debs)
        for deb in sorted(debs.glob("*.deb")):
            dest = root / deb.name.split("_")[0]
            dest.mkdir(parents=True, exist_ok=True)
            run(["dpkg-deb", "-x", str(deb), str(dest)])

    once(CACHE / "trees/debian", build)


# ---------------------------------------------------------------------------------------------
# histories from releases


def _version_key(v: str) -> tuple[Any, ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-+]", v))


def _stable(v: str) -> bool:
    return re.fullmatch(r"\d+(\.\d+)*", v) is not None


def spread(items: list[str], limit: int) -> list[str]:
    """At most ``limit`` items evenly spread over ``items``, the first and the last kept."""
    if len(items) <= limit:
        return items
    step = (len(items) - 1) / (limit - 1)
    return [items[round(i * step)] for i in range(limit)]


def npm_releases(package: str, limit: int, dest: Path) -> list[tuple[str, Path, datetime]]:
    info = json.loads(run(["npm", "view", package, "time", "versions", "--json"]).stdout)
    versions = [v for v in info["versions"] if _stable(v)] or list(info["versions"])
    chosen = spread(sorted(versions, key=_version_key), limit)
    dest.mkdir(parents=True, exist_ok=True)
    base = package.lstrip("@").replace("/", "-")
    want = [v for v in chosen if not (dest / f"{base}-{v}.tgz").exists()]
    for i in range(0, len(want), 20):
        specs = [f"{package}@{v}" for v in want[i : i + 20]]
        run(["npm", "pack", "--silent", "--pack-destination", str(dest), *specs])
    # The registry reached from here reports times that are not publication dates (express
    # 0.14.0 in 2025); keep the commits in version order, each after the last.
    out: list[tuple[str, Path, datetime]] = []
    for v in chosen:
        when = datetime.fromisoformat(info["time"][v].replace("Z", "+00:00"))
        if out and when <= out[-1][2]:
            when = out[-1][2] + timedelta(minutes=1)
        out.append((v, dest / f"{base}-{v}.tgz", when))
    return out


PIP = (sys.executable, "-m", "pip")


def _pip_download(package: str, version: str, dest: Path) -> Path | None:
    """The sdist of one release (closest to a repository: docs, tests, changelog), else a wheel."""
    norm = re.sub(r"[-_.]+", "[-_.]", re.escape(package).replace("\\-", "-"))
    pattern = re.compile(rf"(?i){norm}-{re.escape(version)}(\.tar\.gz|\.zip|\.tar\.bz2|-.*\.whl)$")
    for have in dest.iterdir():
        if pattern.match(have.name):
            return have
    spec = f"{package}=={version}"
    for kind in ("--no-binary", "--only-binary"):
        try:
            run([*PIP, "download", "-q", "--no-deps", kind, ":all:", "-d", str(dest), spec])
        except RuntimeError as e:
            say(f"  {package} {version}: {kind} failed ({str(e).splitlines()[-1][:120]})")
            continue
        for have in dest.iterdir():
            if pattern.match(have.name):
                return have
    return None


def _archive_date(path: Path) -> datetime:
    if path.suffix == ".whl" or path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            stamp = max(datetime(*i.date_time, tzinfo=UTC).timestamp() for i in z.infolist())
    else:
        with tarfile.open(path) as t:
            stamp = max((m.mtime for m in t.getmembers()), default=0)
    if stamp < 946684800:  # before 2000: a reproducible build's fixed time, not the release
        stamp = path.stat().st_mtime
    return datetime.fromtimestamp(stamp, UTC)


def pypi_releases(package: str, limit: int, dest: Path) -> list[tuple[str, Path, datetime]]:
    text = run([*PIP, "index", "versions", package]).stdout
    m = re.search(r"Available versions: (.*)", text)
    versions = [v.strip() for v in m.group(1).split(",")] if m else []
    versions = [v for v in versions if _stable(v)] or versions
    chosen = spread(sorted(versions, key=_version_key), limit)
    dest.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda v: _pip_download(package, v, dest), chosen))
    return [(v, p, _archive_date(p)) for v, p in zip(chosen, got, strict=True) if p is not None]


def _extract(archive: Path, into: Path) -> None:
    """Unpack a release, dropping the archive's single top folder (``package/``, ``name-1.0/``)."""
    tmp = into.parent / (into.name + ".unpack")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp)
    else:
        with tarfile.open(archive) as t:
            t.extractall(tmp, filter="data")
    tops = list(tmp.iterdir())
    src = tops[0] if len(tops) == 1 and tops[0].is_dir() else tmp
    for item in src.iterdir():
        shutil.move(str(item), into / item.name)
    shutil.rmtree(tmp)


GIT_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def build_history(repo: Path, package: str, releases: list[tuple[str, Path, datetime]]) -> None:
    env = dict(os.environ, **GIT_ENV)
    run(["git", "init", "-q", "-b", "main", str(repo)], env=env)
    git = ["git", "-C", str(repo), "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false"]
    for version, archive, when in releases:
        for item in repo.iterdir():
            if item.name != ".git":
                shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()
        _extract(archive, repo)
        stamp = when.isoformat()
        cenv = dict(env, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        who = ["-c", f"user.name={package} releases", "-c", "user.email=releases@registry.invalid"]
        run([*git, "add", "-A", "-f", "."], env=env)
        run([*git, *who, "commit", "-q", "--allow-empty", "-m", f"{package} {version}"], env=cenv)
        run([*git, "tag", f"v{version}"], env=env)
    run([*git, "repack", "-adq"], env=env)


def history_corpus(h: History, group: str) -> Corpus:
    slug = f"{h.registry}-{h.package.lstrip('@').replace('/', '-')}"
    repo = CACHE / "histories" / slug

    def fetch() -> None:
        def build(path: Path) -> None:
            say(f"{slug}: releases from {h.registry} (at most {h.limit})")
            dl = CACHE / "downloads" / h.registry / slug
            get = npm_releases if h.registry == "npm" else pypi_releases
            releases = get(h.package, h.limit, dl)
            if not releases:
                raise RuntimeError(f"{h.package}: no release could be fetched")
            build_history(path, h.package, releases)

        once(repo, build)

    many = "every release" if h.limit >= EVERY else f"up to {h.limit} releases"
    about = f"{h.package} ({h.registry}), {many}"
    return Corpus(f"hist-{slug}", group, "history", lambda: repo, fetch, about=about)


def tree(name: str, path: Callable[[], Path], fetch: Callable[[], None], about: str) -> Corpus:
    pyc = ("**/__pycache__/**", "**/*.pyc")
    excludes = ("site-packages/**", *pyc) if name == "stdlib" else pyc
    return Corpus(name, "trees", "tree", path, fetch, excludes, about)


def corpora() -> list[Corpus]:
    out = [
        tree("stdlib", stdlib_path, lambda: None, "this Python's standard library, tests included"),
        tree(
            "site-packages",
            venv_site_packages,
            fetch_site_packages,
            f"{len(PYPI_TREE)} PyPI packages and their dependencies",
        ),
        tree(
            "node_modules",
            lambda: CACHE / "trees/npm/node_modules",
            fetch_node_modules,
            f"{len(NPM_TREE)} npm packages and their dependencies",
        ),
        tree(
            "debian",
            lambda: CACHE / "trees/debian",
            fetch_debian,
            f"{len(DEBIAN_TREE)} Debian packages (Go, PHP, Ruby, browser JS)",
        ),
    ]
    out += [history_corpus(h, "histories") for h in HISTORIES]
    out += [history_corpus(h, "vipps") for h in VIPPS_HISTORIES]
    return out


def select(all_corpora: list[Corpus], only: str | None) -> list[Corpus]:
    if not only:
        return all_corpora
    names = {n.strip() for n in only.split(",") if n.strip()}
    unknown = names - {c.name for c in all_corpora} - set(GROUPS)
    if unknown:
        raise SystemExit(f"realworld.py: unknown corpus or group: {', '.join(sorted(unknown))}")
    return [c for c in all_corpora if c.name in names or c.group in names]


# ---------------------------------------------------------------------------------------------
# the Vipps gate taken away (--open-gate)

# Vipps MobilePay's secret rules run only on a text with a Vipps signal (their keywords) and
# report only near one (context.any).  With --open-gate they run everywhere, as if every file
# mentioned Vipps: what they then report is what stands one Vipps mention away from a finding in
# real code, which the names and shapes alone must keep out.
OPEN_RULES = ("vipps-client-secret", "vipps-subscription-key")
# the prefilter's words without the gate: the rules' anchors, with `key` (in nearly every file)
# narrowed to the subscription-key names the regex can match
OPEN_NARROW = {"key": ("subkey", "sub-key", "sub-id", "vipps", "mobilepay")}


def _toml(table: dict[str, Any], prefix: str = "") -> list[str]:
    """TOML for a pack as tomllib read it: scalars and lists of scalars as JSON (a JSON string is
    a TOML basic string), then sub-tables and arrays of tables."""
    out = [f"{k} = {json.dumps(v)}" for k, v in table.items() if not _is_table(v)]
    for k, v in table.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out += ["", f"[{name}]", *_toml(v, name + ".")]
        elif _is_table(v):
            for item in v:
                out += ["", f"[[{name}]]", *_toml(item, name + ".")]
    return out


def _is_table(v: object) -> bool:
    return isinstance(v, dict) or (isinstance(v, list) and bool(v) and isinstance(v[0], dict))


def open_gate_config(dest: Path) -> Path:
    """A config (and the pack it loads) that swaps the built-in Vipps secret rules for copies
    without the gate (``open-`` before their ids); everything else as built in."""
    import tomllib

    pack = tomllib.loads((HERE.parent / "rules/vipps.toml").read_text(encoding="utf-8"))
    rules = []
    for rule in pack["rules"]:
        if rule["id"] not in OPEN_RULES:
            continue
        for key in ("examples", "negative_examples"):  # a pack needs some: the one-line ones
            rule[key] = [e for e in rule[key] if isinstance(e, str)]
        words = [w for a in rule["anchors"] for w in OPEN_NARROW.get(a, (a,))]
        rule |= {"id": f"open-{rule['id']}", "keywords": words}
        rule["context"] = {k: v for k, v in rule["context"].items() if k != "any"}
        rules.append(rule)
    pack["pack"]["provider"] += " (gate open)"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "open-vipps.toml").write_text("\n".join(_toml(pack | {"rules": rules})) + "\n")
    config = dest / "open-gate.lekk.toml"
    config.write_text(
        f"rules = {json.dumps([str(dest / 'open-vipps.toml')])}\n"
        f"disable = {json.dumps(list(OPEN_RULES))}\n"
    )
    return config


# ---------------------------------------------------------------------------------------------
# scanning and the review table


def redact(value: str) -> str:
    """lekk's own redaction: the first 4 characters of a long value, then ``********``."""
    return (value[:4] if len(value) >= 12 else "") + "********" if value else value


def _line_of(corpus: Corpus, f: dict[str, Any]) -> str | None:
    root = corpus.path()
    if corpus.kind == "history":
        sha = (f.get("commit") or {}).get("sha")
        if not sha:
            return None
        p = subprocess.run(
            ["git", "-C", str(root), "cat-file", "blob", f"{sha}:{f['path']}"],
            capture_output=True,
            env=dict(os.environ, **GIT_ENV),
        )
        data = p.stdout if p.returncode == 0 else None
    else:
        path = root / f["path"]
        data = path.read_bytes() if "!" not in f["path"] and path.is_file() else None
    if data is None:
        return None
    lines = data.decode("utf-8", "replace").split("\n")  # lekk counts \n only
    return lines[f["line"] - 1] if 0 < f["line"] <= len(lines) else None


def snippet(line: str | None, f: dict[str, Any], secrets: Iterable[str], width: int = 150) -> str:
    """One line around the finding, every credential value in it masked, control chars dropped."""
    if line is None:
        return "(not a plain file: archive member or source-map source)"
    col = max(f.get("column", 1) - 1, 0)
    if f["kind"] == "secret" and f.get("end_line") == f["line"]:
        end = max(f.get("end_column", col + 1) - 1, col)
        line = line[:col] + redact(line[col:end]) + line[end:]
    for s in secrets:
        if s and len(s) >= 6:
            line = line.replace(s, redact(s))
    start = max(0, min(col - width // 3, len(line) - width))
    text = line[start : start + width].strip()
    text = "".join(c if c.isprintable() else " " for c in text)
    return ("…" if start else "") + text + ("…" if start + width < len(line) else "")


def scan(
    corpus: Corpus, lekk: list[str], out_dir: Path, options: Sequence[str] = ()
) -> dict[str, Any]:
    root = corpus.path()
    cmd = [*lekk, "scan", str(root)] if corpus.kind == "tree" else [*lekk, "git", str(root)]
    cmd += options
    for glob in corpus.excludes:
        cmd += ["--exclude", glob]
    fd, tmp = tempfile.mkstemp(prefix="lekk-realworld-", suffix=".json")
    os.close(fd)
    try:
        load = os.getloadavg()[0]
        t0 = time.monotonic()
        p = subprocess.run(
            [*cmd, "--format", "json", "--show-secrets", "--exit-zero", "--verbose", "-o", tmp],
            capture_output=True,
            text=True,
        )
        seconds = time.monotonic() - t0
        if p.returncode:
            raise RuntimeError(f"{corpus.name}: lekk exited {p.returncode}: {p.stderr[-500:]}")
        report = json.loads(Path(tmp).read_text(encoding="utf-8"))
    finally:
        os.unlink(tmp)  # the only copy of the raw values on disk
    raw = report.get("findings", [])
    secrets = {f["secret"] for f in raw if f.get("kind") == "secret"}
    secrets |= {v for f in raw for v in (f.get("context") or {}).values() if isinstance(v, str)}
    rows = []
    for f in raw:
        is_secret = f.get("kind") == "secret"
        commit = f.get("commit") or {}
        rows.append(
            {
                "corpus": corpus.name,
                "rule": f["rule"],
                "kind": f.get("kind"),
                "severity": f.get("severity"),
                "path": f["path"],
                "line": f["line"],
                "commit": commit.get("sha", "")[:10],
                "date": (commit.get("date") or "")[:10],
                "still_in_head": f.get("still_in_head"),
                "also": (f.get("also") or {}).get("count", 0),
                "value": redact(f["secret"]) if is_secret else f["secret"],
                "encoding": f.get("encoding", ""),
                "client_side": bool(f.get("client_side")),
                "snippet": snippet(_line_of(corpus, f), f, secrets),
            }
        )
    # --verbose says on stderr what the filters dropped and why (rule and place, never a value)
    drops = re.findall(r"^lekk: dropped (\S+) at (.*?): ([^:\n]+)$", p.stderr, re.M)
    dropped = Counter(f"{rule}: {why}" for rule, _, why in drops)
    summary = report.get("summary", {})
    git = report.get("git", {})
    result = {
        "corpus": corpus.name,
        "group": corpus.group,
        "kind": corpus.kind,
        "about": corpus.about,
        "command": shlex.join(["lekk", *cmd[len(lekk) :]]),
        "lekk": shlex.join(lekk),
        "seconds": round(seconds, 1),
        "load": round(load, 1),  # 1-minute load average when the scan started (2 cores)
        "files": summary.get("files", 0),
        "bytes": summary.get("bytes", 0),
        "commits": git.get("commits", 0),
        "blobs": git.get("blobs", 0),
        "warnings": len(report.get("warnings", [])),
        "dropped": dict(dropped.most_common()),
        "dropped_at": [" ".join(d) for d in drops[:500]],  # rule, path:line, reason
        "findings": rows,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{corpus.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


@dataclass(frozen=True)
class Verdict:
    verdict: str
    family: str
    reason: str


VERDICT_KEY = ("corpus", "rule", "path", "line", "value")


def verdict_key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in VERDICT_KEY)


def load_verdicts(path: Path) -> dict[tuple[str, ...], Verdict]:
    if not path.exists():
        return {}
    out = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["verdict"]:
                out[verdict_key(r)] = Verdict(r["verdict"], r["family"], r["reason"])
    return out


def code(text: str) -> str:
    """A Markdown code span for a table cell (double backticks when the text holds one)."""
    if not text:
        return ""
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


@dataclass
class Review:
    results: list[dict[str, Any]]
    verdicts: dict[tuple[str, ...], Verdict] = field(default_factory=dict)

    def rows(self) -> Iterator[tuple[dict[str, Any], Verdict]]:
        unread = Verdict("unread", "", "")
        for res in self.results:
            for row in res["findings"]:
                yield row, self.verdicts.get(verdict_key(row), unread)

    def write_verdicts(self, path: Path) -> None:
        """Every finding as a verdicts row (unread ones blank), for a reviewer to fill in."""
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n")
            w.writerow([*VERDICT_KEY, "verdict", "family", "reason", "snippet"])
            for row, v in self.rows():
                verdict = "" if v.verdict == "unread" else v.verdict
                w.writerow([*verdict_key(row), verdict, v.family, v.reason, row["snippet"]])

    def table(self) -> str:
        head = "| corpus | rule | file:line | commit | value / span | snippet | verdict | family | reason |"
        out = [head, "|" + "---|" * 9]
        for row, v in self.rows():
            where = f"{code(row['path'])}:{row['line']}"
            commit = f"{row['commit']} {row['date']}" if row["commit"] else ""
            if row["still_in_head"] is False:
                commit += " (gone at tip)"
            cells = [row["corpus"], row["rule"], where, commit, code(row["value"])]
            cells += [code(row["snippet"]), v.verdict, v.family, v.reason.replace("|", "\\|")]
            out.append("| " + " | ".join(cells) + " |")
        return "\n".join(out) + "\n"

    def summary(self) -> str:
        out = ["| corpus | files | MB | commits | seconds | MB/s | load | findings |"]
        out.append("|" + "---|" * 8)
        for r in self.results:
            mb = r["bytes"] / 1e6
            rate = f"{mb / r['seconds']:.1f}" if r["seconds"] else "-"
            out.append(
                f"| {r['corpus']} | {r['files']:,} | {mb:,.1f} | {r['commits'] or ''} | "
                f"{r['seconds']} | {rate} | {r.get('load', '')} | {len(r['findings'])} |"
            )
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for row, _ in self.rows():
            counts[row["rule"]][row["corpus"]] += 1
        names = [r["corpus"] for r in self.results if r["findings"]]
        out += ["", "| rule | " + " | ".join(names) + " | total |", "|" + "---|" * (len(names) + 2)]
        for rule in sorted(counts):
            cells = [str(counts[rule][n] or "") for n in names]
            out.append(f"| {rule} | " + " | ".join(cells) + f" | {sum(counts[rule].values())} |")
        dropped: Counter[str] = Counter()
        for r in self.results:
            dropped.update(r.get("dropped", {}))
        if dropped:
            out += ["", "| dropped by a filter (rule: reason) | count |", "|---|---|"]
            out += [f"| {why} | {n} |" for why, n in dropped.most_common()]
        verdicts = Counter(v.verdict for _, v in self.rows())
        out += ["", "verdicts: " + ", ".join(f"{k} {n}" for k, n in sorted(verdicts.items()))]
        return "\n".join(out) + "\n"


def default_lekk() -> list[str]:
    beside = Path(sys.executable).parent / "lekk"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "scanner"]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated corpora or groups (trees, histories, vipps)")
    ap.add_argument("--lekk", help="the lekk command (default: lekk beside this Python)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--fetch-only", action="store_true", help="assemble the corpora, no scan")
    mode.add_argument("--no-fetch", action="store_true", help="scan only what is in the cache")
    mode.add_argument("--reuse", action="store_true", help="no scan: reuse the stored results")
    ap.add_argument("--results", type=Path, help="results folder")
    ap.add_argument("--review", type=Path, help="review table out")
    ap.add_argument(
        "--open-gate",
        action="store_true",
        help="the Vipps secret rules without their Vipps-signal gate (own results and review)",
    )
    ap.add_argument("--verdicts", type=Path, default=VERDICTS, help="verdicts file (TSV)")
    ap.add_argument("--write-verdicts", type=Path, help="write every finding as a verdicts row")
    ap.add_argument("--summary", action="store_true", help="print sizes, timings, rule counts")
    ap.add_argument("--list", action="store_true", help="print the corpora and exit")
    args = ap.parse_args(argv)

    chosen = select(corpora(), args.only)
    if args.list:
        for c in chosen:
            print(f"{c.name:32} {c.group:9} {c.kind:7} {c.about}")
        return 0
    lekk = shlex.split(args.lekk) if args.lekk else default_lekk()
    kind = "-open-gate" if args.open_gate else ""
    results_dir = args.results or CACHE / f"results{kind}"
    review_path = args.review or CACHE / f"review{kind}.md"
    options = ["--config", str(open_gate_config(CACHE / "open-gate"))] if args.open_gate else []
    if not (args.no_fetch or args.reuse):
        for c in chosen:
            try:
                c.fetch()
            except (RuntimeError, OSError) as e:
                say(f"{c.name}: not assembled: {e}")
    if args.fetch_only:
        return 0
    results = []
    for c in chosen:
        stored = results_dir / f"{c.name}.json"
        if args.reuse:
            if stored.exists():
                results.append(json.loads(stored.read_text()))
            continue
        if not c.path().exists() or (c.kind == "history" and not done_marker(c.path()).exists()):
            say(f"{c.name}: not in the cache, skipped")
            continue
        say(f"{c.name}: scanning ...")
        res = scan(c, lekk, results_dir, options)
        say(
            f"{c.name}: {len(res['findings'])} findings, {res['bytes'] / 1e6:.1f} MB, "
            f"{res['seconds']} s"
        )
        results.append(res)
    review = Review(results, load_verdicts(args.verdicts))
    review_path.parent.mkdir(parents=True, exist_ok=True)
    review_path.write_text(review.summary() + "\n" + review.table(), encoding="utf-8")
    say(f"review table: {review_path}")
    if args.write_verdicts:
        review.write_verdicts(args.write_verdicts)
    if args.summary:
        print(review.summary(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
