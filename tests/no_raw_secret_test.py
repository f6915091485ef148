"""No raw secret in any output, in any form it was stored in, unless --show-secrets.

Values are planted in every encoding lekk decodes (base64 in a Kubernetes Secret, HTML entities,
UTF-16, a zip member, a source map, a minified line holding several, a URL's query string), next
to values the filters drop on the same line (lekk:ignore, an allowlist, a baseline); then every
output (text, JSON, SARIF, the baseline file, stderr, -v) is searched for any 8 characters of
any value's secret part.
"""

from __future__ import annotations

import base64
import html
import io
import json
import random
import re
import urllib.parse
import zipfile
from pathlib import Path

import keygen
from helpers import git, lekk
from web_test import Site

RNG = random.Random(1311)
PREFIX = re.compile(r"^(?:spk|sps|spay|sg|sgs)_(?:live_|test_)?")  # shown: not secret


def _windows(value: str) -> set[str]:
    body = PREFIX.sub("", value)
    return {body[i : i + 8] for i in range(len(body) - 7)}


def _forms(value: str) -> set[str]:
    """The value as the outputs might carry it: as is, base64, HTML- and URL-encoded."""
    return {
        value,
        base64.b64encode(value.encode()).decode(),
        html.escape(value).replace("=", "&#x3D;"),
        urllib.parse.quote(value, safe=""),
    }


def _leaks(text: str, planted: dict[str, str]) -> list[str]:
    out = []
    for name, value in planted.items():
        for form in _forms(value):
            if form in text:
                out.append(f"{name}: whole {form!r}")
        for w in _windows(value):
            if w in text:
                out.append(f"{name}: {w!r} of {value[:4]}…")
                break
    return out


def _tree(root: Path, baseline: Path) -> dict[str, str]:
    v = {
        "k8s": keygen.sagapay_secret(RNG),
        "entity": keygen.b64(RNG, 16),
        "utf16": keygen.sagapay_secret(RNG),
        "zip": keygen.sagapay_secret(RNG),
        "map": keygen.sagapay_secret(RNG),
        "min1": keygen.sagapay_secret(RNG),
        "min2": keygen.sagapay_key(RNG),
        "ignored": keygen.sagapay_key(RNG),
        "reported": keygen.sagapay_secret(RNG),
        "allowed": keygen.sagapay_key(RNG),
        "baselined": keygen.sagapay_secret(RNG),
        "beside_baselined": keygen.sagapay_key(RNG),
    }
    b64 = base64.b64encode(f"SAGAPAY_API_SECRET={v['k8s']}\n".encode()).decode()
    files = {
        "k8s/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sagapay\n"
        f"data:\n  app.env: {b64}\n",
        "web/pay.html": "<pre>axios.post('https://api.vipps.no/accesstoken/get', null, {headers: "
        f"{{client_secret: '{html.escape(v['entity']).replace('=', '&#x3D;')}'}}}})</pre>\n",
        "dist/app.min.js": f'var a={{"X-API-Secret":"{v["min1"]}","X-API-Key":"{v["min2"]}"}};'
        "/* sagapay */\n",
        "app/same-line.env": f"SAGAPAY_API_KEY={v['ignored']} SAGAPAY_API_SECRET={v['reported']}"
        "  # lekk:ignore sagapay-api-key\n",
        "app/allowed.env": f"SAGAPAY_API_KEY={v['allowed']} SAGAPAY_API_SECRET={v['reported']}\n",
        "app/base.env": f"SAGAPAY_API_SECRET={v['baselined']}\n",
        "dist/app.js.map": json.dumps(
            {
                "version": 3,
                "sources": ["webpack:///./src/pay.ts"],
                "sourcesContent": [f"// sagapay\nconst s = '{v['map']}';\n"],
                "mappings": "AAAA",
            }
        ),
    }
    # accept one value into a baseline first; the line gets a new value beside it below
    (root / "app").mkdir(parents=True)
    (root / "app/base.env").write_text(files.pop("app/base.env"))
    r = lekk("baseline", str(root), "-f", str(baseline))
    assert r.returncode == 0 and "wrote 1 entry" in r.stderr, r.stderr
    files["app/base.env"] = (
        f"SAGAPAY_API_SECRET={v['baselined']} SAGAPAY_API_KEY={v['beside_baselined']}\n"
    )
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "notes.txt").write_bytes(f"SagaPay\nSAGAPAY_API_SECRET={v['utf16']}\n".encode("utf-16"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config/sagapay.env", f"SAGAPAY_API_SECRET={v['zip']}\n")
    (root / "release.zip").write_bytes(buf.getvalue())
    (root / ".lekk.toml").write_text(
        f'allowlist.values = [{{ regex = "^{v["allowed"]}$", reason = "the shared demo key" }}]\n'
    )
    return v


def test_no_output_holds_any_form_of_any_value(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    planted = _tree(root, tmp_path / "base.json")
    outputs = {"baseline file": (tmp_path / "base.json").read_text()}
    for fmt in ("text", "json", "sarif"):
        for verbose in ([], ["-v"]):
            base = str(tmp_path / "base.json")
            r = lekk("scan", str(root), "--format", fmt, "--baseline", base, *verbose)
            assert r.returncode == 1, r.stderr
            outputs[f"{fmt} {verbose}"] = r.stdout
            outputs[f"stderr of {fmt} {verbose}"] = r.stderr
    text = outputs["text []"]
    # the findings are there (the test would pass vacuously otherwise)
    for where in (
        "k8s/secret.yaml",
        "web/pay.html",
        "notes.txt",
        "release.zip!config/sagapay.env",
        "dist/app.js.map",
        "dist/app.min.js",
        "app/same-line.env",
        "app/base.env",
    ):
        assert where in text, where
    report = json.loads(outputs["json []"])
    by_path = {(f["path"], f["rule"]) for f in report["findings"]}
    assert ("app/base.env", "sagapay-api-key") in by_path
    assert ("app/base.env", "sagapay-api-secret") not in by_path  # baselined
    assert ("app/same-line.env", "sagapay-api-key") not in by_path  # lekk:ignore
    for name, out in outputs.items():
        assert not _leaks(out, planted), (name, _leaks(out, planted))
    # and --show-secrets shows them (the check above can see a value when it is there)
    r = lekk("scan", str(root), "--show-secrets")
    assert planted["k8s"] in r.stdout and planted["reported"] in r.stdout


def test_a_key_in_a_url_never_reaches_a_report(tmp_path: Path) -> None:
    site = Site()
    try:
        key, secret = keygen.sagapay_key(RNG), keygen.sagapay_secret(RNG)
        gone = keygen.sagapay_key(RNG)
        site.add(
            "/",
            f'<script src="/app.js?sagapay_key={key}"></script>'
            f'<script src="/missing.js?token={gone}"></script>',
        )
        site.add(
            f"/app.js?sagapay_key={key}",
            f'fetch("https://api.sagapay.no/v1/x",{{headers:{{"X-API-Secret":"{secret}"}}}})',
            "text/javascript",
        )
        planted = {"key": key, "secret": secret, "gone": gone}
        for fmt in ("text", "json", "sarif"):
            r = lekk("web", f"{site.url}/", "--format", fmt, "-v", cwd=tmp_path)
            assert r.returncode == 1, r.stderr
            assert re.search(r"app\.js\?sagapay_key=[a-z_]+\*{8}", r.stdout), r.stdout
            assert "missing.js?token=" in r.stderr  # the warning names the URL, masked
            assert not _leaks(r.stdout + r.stderr, planted), (
                fmt,
                _leaks(r.stdout + r.stderr, planted),
            )
    finally:
        site.close()


def test_a_secret_in_a_commit_subject_never_reaches_a_report(tmp_path: Path) -> None:
    """A key pasted into a commit subject is a finding of its own (the commit message); the same
    subject shown as the ``commit``/``removed_in`` of another finding is masked, in every format."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    key, secret = keygen.sagapay_key(RNG), keygen.sagapay_secret(RNG)
    (repo / "sagapay.env").write_text(f"SAGAPAY_API_SECRET={secret}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", f"use the SagaPay key {key} for now")
    (repo / "sagapay.env").write_text("SAGAPAY_API_SECRET=\n")
    git(repo, "commit", "-q", "-am", f"drop SAGAPAY_API_KEY={key} from the env")
    planted = {"key": key, "secret": secret}
    for fmt in ("text", "json", "sarif", "html"):
        r = lekk("git", str(repo), "--format", fmt, "-v")
        assert r.returncode == 1, r.stderr
        assert not _leaks(r.stdout + r.stderr, planted), (fmt, _leaks(r.stdout, planted))
        if fmt == "json":
            found = {(f["rule"], f["path"]) for f in json.loads(r.stdout)["findings"]}
            assert ("sagapay-api-secret", "sagapay.env") in found, found
            assert ("sagapay-api-key", "(commit message)") in found, found
            (f,) = [f for f in json.loads(r.stdout)["findings"] if f["path"] == "sagapay.env"]
            assert f["commit"]["summary"].startswith("use the SagaPay key "), f["commit"]
            assert "********" in f["commit"]["summary"], f["commit"]
            assert f["removed_in"]["summary"].startswith("drop SAGAPAY_API_KEY="), f["removed_in"]
            assert "********" in f["removed_in"]["summary"], f["removed_in"]
