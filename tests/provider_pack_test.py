"""A third provider, written only in TOML: the packs carry everything lekk knows of a provider.

Its keys are found in plain text, Base64-encoded in a Kubernetes Secret with bland names (the
decoder's triggers come from the pack's prefixes), in git history and in a bundle and its source
map; its documentation examples (its published values, and any value a document presents as an
example) stay silent; and its prefix is kept when the value is redacted.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

from git_builder import Repo
from helpers import lekk

PACK = """
[pack]
provider = "Nordlys Pay"
prefixes = ["nlp_live_", "nlp_test_"]

[pack.remediation]
url = "https://nordlys.invalid/keys"
action = "Revoke the key in the Nordlys dashboard."

[[pack.allowlists]]
description = "documentation example"
values = ["nlp_live_Doc1Example2Key3Value4Abc5Def6Gh"]

[[pack.allowlists]]
description = "documentation example"
condition = "and"
paths = ["*.md", "docs/**"]
nearby = ['\\bexamples?\\b', '\\b123456\\b']

[[rules]]
id = "nordlys-api-key"
name = "Nordlys Pay API key"
severity = "error"
test_severity = "warning"
keywords = ["nlp_live_", "nlp_test_"]
regex = '''(?<![A-Za-z0-9_])(?P<secret>nlp_(?:live|test)_[A-Za-z0-9]{32})(?![A-Za-z0-9_])'''
what = "Finds a Nordlys Pay API key."
why = "It moves money."
fix = "Revoke it and keep the new one in a secret store."
examples = ["NORDLYS_KEY=nlp_live_k3j9x0qp2m7w4v8t1z5rQ8h2L0c4Vb6N"]
negative_examples = [
    "NORDLYS_KEY=nlp_live_Doc1Example2Key3Value4Abc5Def6Gh",
    "NORDLYS_KEY=nlp_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    { path = "docs/setup.md", text = "For example: NORDLYS_KEY=nlp_live_k3j9x0qp2m7w4v8t1z5rQ8h2L0c4Vb6N" },
]

[rules.test]
secret = ['_test_']
"""


def _key(rng: random.Random, env: str = "live") -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(rng.choices(alphabet, k=32))
        if any(c.isdigit() for c in body) and any(c.isupper() for c in body):
            return f"nlp_{env}_{body}"


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _findings(r_stdout: str) -> set[tuple[str, str, int, str]]:
    report = json.loads(r_stdout)
    return {(f["rule"], f["path"], f["line"], f["secret"]) for f in report["findings"]}


def test_a_provider_written_only_in_toml(tmp_path: Path) -> None:
    rng = random.Random(1313)
    pack = tmp_path / "nordlys.toml"
    pack.write_text(PACK, encoding="utf-8")
    r = lekk("rules", "check", str(pack))
    assert r.returncode == 0, r.stderr

    plain, encoded, bundled, mapped, documented = (_key(rng) for _ in range(5))
    tree = tmp_path / "tree"
    files = {
        "app/settings.py": f'import os\n\nNORDLYS_KEY = "{plain}"\n',
        # bland names, no plain-text hint: only the pack's prefix, encoded, brings the decoder
        "deploy/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: payments\ntype: Opaque\ndata:\n"
            f"  TOKEN: {_b64(encoded)}\n"
        ),
        "web/dist/assets/index-4f9c2a1b.js": (
            "(()=>{" + "var a=1;" * 200 + f'const k="{bundled}";' + "})();\n"
        ),
        "web/dist/assets/index-4f9c2a1b.js.map": json.dumps(
            {
                "version": 3,
                "sources": ["src/pay.ts"],
                "sourcesContent": [f'import x from "y";\nexport const key = "{mapped}";\n'],
                "mappings": "AAAA",
            }
        ),
        "docs/setup.md": (
            "# Setup\n\nThe published example key:\n\n"
            "    NORDLYS_KEY=nlp_live_Doc1Example2Key3Value4Abc5Def6Gh\n\n"
            f"For example, with the test merchant 123456:\n\n    NORDLYS_KEY={documented}\n"
        ),
        ".lekk.toml": f"rules = [{str(pack)!r}]\n",
    }
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text, encoding="utf-8")

    r = lekk("scan", str(tree), "--format", "json", "--show-secrets")
    assert r.returncode == 1, r.stderr
    assert _findings(r.stdout) == {
        ("nordlys-api-key", "app/settings.py", 3, plain),
        ("nordlys-api-key", "deploy/secret.yaml", 7, encoded),
        ("nordlys-api-key", "web/dist/assets/index-4f9c2a1b.js", 1, bundled),
        ("nordlys-api-key", "web/dist/assets/index-4f9c2a1b.js.map", 1, mapped),
    }
    report = json.loads(r.stdout)
    by_path = {f["path"]: f for f in report["findings"]}
    assert by_path["deploy/secret.yaml"]["encoding"] == "base64"
    assert by_path["web/dist/assets/index-4f9c2a1b.js.map"]["origin"] == {
        "path": "src/pay.ts",
        "line": 2,
    }
    assert by_path["web/dist/assets/index-4f9c2a1b.js"]["client_side"] is True

    # redacted by default, the pack's prefix kept
    r = lekk("scan", str(tree), "--format", "json")
    shown = {f["path"]: f["secret"] for f in json.loads(r.stdout)["findings"]}
    assert shown["app/settings.py"] == "nlp_live_********"
    text = lekk("scan", str(tree)).stdout
    assert "secret: nlp_live_********" in text
    # the shown line masks the value as the secret line does (reporters/mask.py)
    assert '    | NORDLYS_KEY = "nlp_live_********"' in text.splitlines()
    for out in (text, r.stdout, lekk("scan", str(tree), "--format", "sarif").stdout):
        assert not {plain, encoded, bundled, mapped} & set(out.replace('"', " ").split())
        assert all(v not in out for v in (plain, encoded, bundled, mapped))

    # and the pack's documentation examples are dropped for that reason
    r = lekk("scan", str(tree / "docs"), "--config", str(tree / ".lekk.toml"), "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr.count("documentation example") == 2, r.stderr


def test_a_provider_written_only_in_toml_in_history(tmp_path: Path) -> None:
    rng = random.Random(1314)
    pack = tmp_path / "nordlys.toml"
    pack.write_text(PACK, encoding="utf-8")
    config = tmp_path / "lekk.toml"
    config.write_text(f"rules = [{str(pack)!r}]\n")
    key, test_key = _key(rng), _key(rng, "test")
    repo = Repo(tmp_path / "r")
    repo.commit("readme", {"README.md": "hi\n"})
    added = repo.commit("add keys", {"conf/pay.env": f"NORDLYS_KEY={key}\n"})
    repo.commit("test key", {"tests/pay_test.py": f"KEY = '{test_key}'  # for the sandbox\n"})
    repo.commit("remove keys", delete=("conf/pay.env",))
    r = lekk("git", str(repo.path), "--config", str(config), "--format", "json", "--show-secrets")
    assert r.returncode == 1, r.stderr
    findings = json.loads(r.stdout)["findings"]
    got = {(f["rule"], f["path"], f["line"], f["secret"], f["severity"]) for f in findings}
    assert got == {
        ("nordlys-api-key", "conf/pay.env", 1, key, "error"),
        ("nordlys-api-key", "tests/pay_test.py", 1, test_key, "warning"),
    }
    [gone] = [f for f in findings if f["path"] == "conf/pay.env"]
    assert gone["commit"]["sha"] == added and gone["still_in_head"] is False
