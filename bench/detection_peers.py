#!/usr/bin/env python3
"""Benchmark: what lekk, gitleaks, Betterleaks and Kingfisher find in the same planted tree.

    python bench/detection_peers.py                 # seed 1, tree in /tmp/lekk-detection-tree
    python bench/detection_peers.py --seed 7 --tools lekk,gitleaks --list

Generates a tree (random, never real values; a seed makes it repeatable) in which every
structure of issue 12 holds a fake Vipps client_secret (standard and URL-safe Base64 of 16, 20,
30 and 32 bytes, padded and unpadded, and the 40-character Entra-style secret with `Q~`), a
Vipps subscription key (32 hex, lower and upper case) and SagaPay keys (spk_/sps_, live and
test), one credential per file, with Vipps (or SagaPay) context beside it as real files carry
it.  Beside them, in files of their own, the negatives of each structure: templates and
references ({{client_secret}}, #{VippsClientSecret}#, the language's own reference, empty),
another API (an Ocp-Apim-Subscription-Key for *.cognitiveservices.azure.com), other systems'
names next to a Vipps URL (DJANGO_SECRET, DB_PASSWORD, SMTP_PASSWORD, REDIS_TOKEN,
AWS_SECRET_ACCESS_KEY, with values of a Vipps shape) and wrong shapes (27-character invalid
Base64 like testSecretValueFromPortal1=, Base64 of 12 or 24 bytes, 31 or 40 hex digits).

Then runs each tool with its default rule set over the tree and prints, per tool and per
structure, recall (planted credentials found: same file, a line between the name's and the
value's, the value itself) and false positives (secret findings that are no planted credential),
lekk's lint findings apart, and the planted credentials a peer finds that lekk misses.
The peers are the binaries bench/peers.py installs (in $LEKK_BENCH_CACHE, ~/.cache/lekk-bench).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import peers

sys.path.insert(0, str(peers.ROOT / "tests"))
import keygen  # tests/keygen.py: the value shapes the suite uses

# ---------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Shape:
    kind: str  # client_secret | subscription_key | sagapay_key | sagapay_secret
    label: str
    make: Callable[[random.Random], str]


def _b64(n: int, urlsafe: bool, padded: bool) -> Callable[[random.Random], str]:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode

    def make(rng: random.Random) -> str:
        def one() -> str:
            v = encode(rng.randbytes(n)).decode()
            return v if padded else v.rstrip("=")

        def ok(v: str) -> bool:
            return (
                any(c.islower() for c in v)
                and any(c.isupper() for c in v)
                and any(c.isdigit() for c in v)
                and (not urlsafe or any(c in "-_" for c in v))
                and keygen._not_fake(v)
            )

        return str(keygen._retry(one, ok, rng))

    return make


def _shapes() -> list[Shape]:
    out = []
    for n in (16, 20, 30, 32):
        for urlsafe in (False, True):
            for padded in (True, False) if n % 3 else (True,):
                label = f"base64{'url' if urlsafe else ''} {n}B{'' if n % 3 == 0 else ' padded' if padded else ' unpadded'}"
                out.append(Shape("client_secret", label, _b64(n, urlsafe, padded)))
    out.append(Shape("client_secret", "entra 40 Q~", keygen.entra))
    out.append(Shape("subscription_key", "hex32", lambda r: keygen.hex32(r)))
    out.append(Shape("subscription_key", "HEX32", lambda r: keygen.hex32(r, upper=True)))
    for env in ("live", "test"):
        out.append(
            Shape(
                "sagapay_key",
                f"spk_{env}",
                lambda r, e=env: f"spk_{e}_{keygen.alnum(r, r.choice([24, 32]))}",
            )
        )
        out.append(
            Shape(
                "sagapay_secret",
                f"sps_{env}",
                lambda r, e=env: f"sps_{e}_{keygen.alnum(r, r.choice([24, 32]))}",
            )
        )
    return out


SHAPES = _shapes()
NAMES = {
    "client_secret": [
        "client_secret",
        "clientSecret",
        "ClientSecret",
        "VIPPS_CLIENT_SECRET",
        "VippsClientSecret",
        "vipps_client_secret",
        "vipps-client-secret",
        "secret",
    ],
    "subscription_key": [
        "Ocp-Apim-Subscription-Key",
        "ocp_apim_subscription_key",
        "subscriptionKey",
        "VIPPS_SUBSCRIPTION_KEY",
        "VippsSubscriptionKey",
    ],
    "sagapay_key": ["SAGAPAY_API_KEY", "sagapayApiKey", "X-API-Key", "api_key"],
    "sagapay_secret": ["SAGAPAY_API_SECRET", "sagapaySecret", "X-API-Secret", "api_secret"],
}
URLS = {
    "vipps": ["https://apitest.vipps.no", "https://api.vipps.no"],
    "sagapay": ["https://api.sagapay.no/v1"],
}
OTHER_SYSTEMS = [
    "DJANGO_SECRET",
    "DB_PASSWORD",
    "SMTP_PASSWORD",
    "REDIS_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
]

# ---------------------------------------------------------------------------- structures


@dataclass(frozen=True)
class Entry:
    name: str
    value: str
    raw: bool = False  # an expression of the language (a reference), not a string


def _ident(name: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None


def snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()


def _q(e: Entry, quote: str = '"') -> str:
    return e.value if e.raw else f"{quote}{e.value}{quote}"


def _url(es: list[Entry]) -> str:
    """The request URL of an API client's export: the base URL and that API's own path."""
    base = next(e.value for e in es if e.value.startswith("https://"))
    for host, path in (("vipps.no", "/accesstoken/get"), ("sagapay.no", "/terminals")):
        if host in base:
            return base + path
    return base + "/text/analytics/v3.1/sentiment"


def _api(es: list[Entry]) -> str:
    """What an export is named after: the API its URL belongs to."""
    url = _url(es)
    return (
        "Vipps MobilePay" if "vipps" in url else "SagaPay" if "sagapay" in url else "Text Analytics"
    )


def _rest(es: list[Entry]) -> list[Entry]:
    return [e for e in es if not e.value.startswith("https://")]


def _js(es: list[Entry], quote: str, head: str) -> str:
    keys = [e.name if _ident(e.name) else f"{quote}{e.name}{quote}" for e in es]
    body = "".join(f"  {k}:\n    {_q(e, quote)},\n" for k, e in zip(keys, es, strict=True))
    return f"{head} = {{\n{body}}};\n"


def r_postman_env(es: list[Entry]) -> tuple[str, str]:
    doc = {
        "id": "5f0c2b1e-8a4d-4c1e-9b7a-3d2e1f0a9b8c",
        "name": f"{_api(es)} test",
        "values": [
            {"key": e.name, "value": e.value, "type": "default", "enabled": True} for e in es
        ],
        "_postman_variable_scope": "environment",
        "_postman_exported_at": "2024-05-02T09:14:31.415Z",
        "_postman_exported_using": "Postman/10.24.3",
    }
    name = _api(es).replace(" ", "")
    return f"{name}.postman_environment.json", json.dumps(doc, indent="\t") + "\n"


def _host_path(url: str) -> tuple[list[str], list[str]]:
    host, _, path = url.removeprefix("https://").partition("/")
    return host.split("."), [p for p in path.split("/") if p]


def r_postman_collection(es: list[Entry]) -> tuple[str, str]:
    url = _url(es)
    host, path = _host_path(url)
    request = {
        "method": "POST",
        "header": [{"key": e.name, "value": e.value, "type": "text"} for e in _rest(es)],
        "url": {"raw": url, "protocol": "https", "host": host, "path": path},
    }
    doc = {
        "info": {
            "_postman_id": "0b6f3f7e-2c1d-4a5b-8e9f-1a2b3c4d5e6f",
            "name": f"{_api(es)} API",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": [{"name": "Get access token", "request": request, "response": []}],
    }
    name = _api(es).replace(" ", "")
    return f"{name}.postman_collection.json", json.dumps(doc, indent="\t") + "\n"


def r_insomnia(es: list[Entry]) -> tuple[str, str]:
    doc = {
        "_type": "export",
        "__export_format": 4,
        "__export_date": "2024-03-11T10:22:05.123Z",
        "__export_source": "insomnia.desktop.app:v8.6.1",
        "resources": [
            {
                "_id": "req_4f1c0e9a2b3d4c5e",
                "parentId": "wrk_9a8b7c6d5e4f3a2b",
                "url": _url(es),
                "name": "Access token",
                "method": "POST",
                "body": {},
                "headers": [{"name": e.name, "value": e.value} for e in _rest(es)],
                "_type": "request",
            },
            {
                "_id": "wrk_9a8b7c6d5e4f3a2b",
                "parentId": None,
                "name": "Payments",
                "_type": "workspace",
            },
        ],
    }
    return "Insomnia_export.json", json.dumps(doc, indent=2) + "\n"


def r_bruno_bru(es: list[Entry]) -> tuple[str, str]:
    headers = "".join(f"  {e.name}: {e.value}\n" for e in _rest(es))
    return "Access token.bru", (
        "meta {\n  name: Access token\n  type: http\n  seq: 1\n}\n\n"
        f"post {{\n  url: {_url(es)}\n  body: none\n  auth: none\n}}\n\n"
        f"headers {{\n{headers}}}\n"
    )


def r_bruno_json(es: list[Entry]) -> tuple[str, str]:
    request = {
        "url": _url(es),
        "method": "POST",
        "headers": [{"name": e.name, "value": e.value, "enabled": True} for e in _rest(es)],
        "body": {"mode": "none"},
        "auth": {"mode": "none"},
    }
    doc = {
        "name": "Payments",
        "version": "1",
        "items": [{"type": "http", "name": "Access token", "seq": 1, "request": request}],
        "environments": [],
    }
    return "bruno-collection.json", json.dumps(doc, indent=2) + "\n"


def r_js(es: list[Entry]) -> tuple[str, str]:
    return "config.js", _js(es, '"', "export const paymentConfig")


def r_ts(es: list[Entry]) -> tuple[str, str]:
    return "config.ts", _js(es, "'", "export const paymentConfig: Record<string, string>")


def r_python(es: list[Entry]) -> tuple[str, str]:
    body = "".join(f'    "{e.name}": (\n        {_q(e)}\n    ),\n' for e in es)
    return "settings.py", f"import os\n\nPAYMENT = {{\n{body}}}\n"


def r_php(es: list[Entry]) -> tuple[str, str]:
    body = "".join(f"    '{e.name}' =>\n        {_q(e, chr(39))},\n" for e in es)
    return "payment.php", f"<?php\n\nreturn [\n{body}];\n"


def r_ruby(es: list[Entry]) -> tuple[str, str]:
    body = "".join(f'  "{e.name}" =>\n    {_q(e)},\n' for e in es)
    return "payment.rb", f"PAYMENT = {{\n{body}}}.freeze\n"


def r_go(es: list[Entry]) -> tuple[str, str]:
    body = "".join(f'\t"{e.name}":\n\t\t{_q(e)},\n' for e in es)
    return (
        "config.go",
        f'package payment\n\nimport "os"\n\nvar settings = map[string]string{{\n{body}}}\n',
    )


def r_header_objects(es: list[Entry]) -> tuple[str, str]:
    body = "".join(
        f"  {{\n    name: '{e.name}',\n    value: {_q(e, chr(39))},\n  }},\n" for e in _rest(es)
    )
    return "headers.ts", (
        f"export const headers = [\n{body}];\n\n"
        f"export const token = () => fetch('{_url(es)}', {{ method: 'POST', headers }});\n"
    )


def r_plist(es: list[Entry]) -> tuple[str, str]:
    body = "".join(f"\t<key>{e.name}</key>\n\t<string>{e.value}</string>\n" for e in es)
    return "Config.plist", (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        f'<plist version="1.0">\n<dict>\n{body}</dict>\n</plist>\n'
    )


def r_dotnet(es: list[Entry]) -> tuple[str, str]:
    body = "".join(
        f'      <setting name="{e.name}" serializeAs="String">\n'
        f"        <value>{e.value}</value>\n      </setting>\n"
        for e in es
    )
    return "App.config", (
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <applicationSettings>\n'
        f"    <Shop.Properties.Settings>\n{body}    </Shop.Properties.Settings>\n"
        "  </applicationSettings>\n</configuration>\n"
    )


def r_tf_variable(es: list[Entry]) -> tuple[str, str]:
    return "variables.tf", "".join(
        f'variable "{snake(e.name)}" {{\n  type      = string\n  sensitive = true\n'
        f"  default   = {_q(e)}\n}}\n\n"
        for e in es
    )


def r_tf_resource(es: list[Entry]) -> tuple[str, str]:
    return "keyvault.tf", "".join(
        f'resource "azurerm_key_vault_secret" "{snake(e.name)}" {{\n'
        f'  name         = "{snake(e.name).replace("_", "-")}"\n  value        = {_q(e)}\n'
        "  key_vault_id = azurerm_key_vault.main.id\n}\n\n"
        for e in es
    )


def r_dotenv(es: list[Entry]) -> tuple[str, str]:
    return ".env", "".join(f"{snake(e.name).upper()}={e.value}\n" for e in es)


def r_py_assign(es: list[Entry]) -> tuple[str, str]:
    return "settings.py", "import os\n\n" + "".join(
        f"{snake(e.name).upper()} = {_q(e)}\n" for e in es
    )


def r_yaml(es: list[Entry]) -> tuple[str, str]:
    body = "".join(f"  {e.name}: {e.value or chr(34) * 2}\n" for e in es)
    return "application.yml", f"payment:\n{body}"


def r_appsettings(es: list[Entry]) -> tuple[str, str]:
    return "appsettings.json", json.dumps(
        {"Payment": {e.name: e.value for e in es}}, indent=2
    ) + "\n"


def r_js_inline(es: list[Entry]) -> tuple[str, str]:
    body = "".join(
        f"  {e.name if _ident(e.name) else repr(e.name)}: {_q(e, chr(39))},\n" for e in es
    )
    return "client.js", f"const payment = {{\n{body}}};\n"


@dataclass(frozen=True)
class Structure:
    name: str
    render: Callable[[list[Entry]], tuple[str, str]]
    ref: str  # how this language refers to a value kept elsewhere
    multiline: bool  # name and value on different lines


ENV_REF = "process.env.VIPPS_CLIENT_SECRET"
STRUCTURES = [
    Structure("postman-environment", r_postman_env, "{{vipps_client_secret}}", True),
    Structure("postman-collection", r_postman_collection, "{{clientSecret}}", True),
    Structure("insomnia-export", r_insomnia, "{{ _.client_secret }}", True),
    Structure("bruno-export", r_bruno_json, "{{clientSecret}}", True),
    Structure("js-object-wrapped", r_js, ENV_REF, True),
    Structure("ts-object-wrapped", r_ts, ENV_REF, True),
    Structure("python-dict-wrapped", r_python, 'os.environ["VIPPS_CLIENT_SECRET"]', True),
    Structure("php-array-wrapped", r_php, "env('VIPPS_CLIENT_SECRET')", True),
    Structure("ruby-hash-wrapped", r_ruby, 'ENV["VIPPS_CLIENT_SECRET"]', True),
    Structure("go-map-wrapped", r_go, 'os.Getenv("VIPPS_CLIENT_SECRET")', True),
    Structure("header-objects", r_header_objects, ENV_REF, True),
    Structure("apple-plist", r_plist, "$(VIPPS_CLIENT_SECRET)", True),
    Structure("dotnet-applicationSettings", r_dotnet, "#{VippsClientSecret}#", True),
    Structure("terraform-variable", r_tf_variable, "var.vipps_client_secret", True),
    Structure("terraform-resource", r_tf_resource, "var.vipps_client_secret", True),
    Structure("bruno-bru", r_bruno_bru, "{{clientSecret}}", False),
    Structure("dotenv", r_dotenv, "${VIPPS_CLIENT_SECRET}", False),
    Structure("python-assign", r_py_assign, 'os.environ["VIPPS_CLIENT_SECRET"]', False),
    Structure("yaml", r_yaml, "${VIPPS_CLIENT_SECRET}", False),
    Structure("appsettings-json", r_appsettings, "#{VippsClientSecret}#", False),
    Structure("js-object-inline", r_js_inline, ENV_REF, False),
]

# ---------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Planted:
    structure: str
    shape: str
    path: str
    name: str
    value: str
    name_line: int
    value_line: int


@dataclass(frozen=True)
class Negative:
    structure: str
    kind: str  # template | reference | empty | other-api | other-system | wrong-shape
    label: str
    path: str


def _context(kind: str, rng: random.Random) -> list[Entry]:
    if kind.startswith("sagapay"):
        return [
            Entry("base_url", URLS["sagapay"][0]),
            Entry("merchant_id", str(rng.randint(10**5, 10**6 - 1))),
        ]
    return [
        Entry("base_url", rng.choice(URLS["vipps"])),
        Entry("client_id", keygen.guid(rng)),
        Entry("merchantSerialNumber", str(rng.randint(10**5, 10**6 - 1))),
    ]


def _negatives(s: Structure, rng: random.Random) -> list[tuple[str, str, list[Entry]]]:
    vipps = _context("client_secret", rng)
    cs = rng.choice(NAMES["client_secret"])
    sub = rng.choice(NAMES["subscription_key"][:3])
    out = [
        ("template", "{{client_secret}}", [*vipps, Entry(cs, "{{client_secret}}")]),
        ("template", "#{VippsClientSecret}#", [*vipps, Entry(cs, "#{VippsClientSecret}#")]),
        ("reference", s.ref, [*vipps, Entry(cs, s.ref, raw=True)]),
        ("empty", '""', [*vipps, Entry(cs, "")]),
        (
            "other-api",
            "Ocp-Apim-Subscription-Key for cognitiveservices",
            [
                Entry(
                    "endpoint",
                    f"https://{keygen.alnum(rng, 8).lower()}.cognitiveservices.azure.com",
                ),
                Entry("Ocp-Apim-Subscription-Key", keygen.hex32(rng)),
            ],
        ),
    ]
    for other in OTHER_SYSTEMS:
        value = _b64(30 if other.startswith("AWS") else rng.choice([16, 32]), False, True)(rng)
        out.append(
            (
                "other-system",
                other,
                [Entry("VIPPS_API_URL", "https://api.vipps.no"), Entry(other, value)],
            )
        )
    wrong = [
        ("27-char invalid base64", cs, keygen.alnum(rng, 26) + "="),
        ("base64 12B", cs, _b64(12, False, True)(rng)),
        ("base64 24B", cs, _b64(24, False, True)(rng)),
        ("hex31", sub, keygen.hex32(rng)[:31]),
        ("hex40", sub, keygen.hex32(rng) + keygen.hex32(rng)[:8]),
    ]
    out += [("wrong-shape", label, [*vipps, Entry(name, v)]) for label, name, v in wrong]
    return out


def _lines(text: str, value: str, names: Sequence[str]) -> tuple[int, int]:
    lines = text.splitlines()
    vl = next(i for i, line in enumerate(lines) if value in line)
    nl = next((i for i in range(vl, max(vl - 4, -1), -1) if any(n in lines[i] for n in names)), vl)
    return nl + 1, vl + 1


def generate(dest: Path, seed: int) -> tuple[list[Planted], list[Negative]]:
    rng = random.Random(seed)
    if dest.exists():
        shutil.rmtree(dest)
    planted, negatives = [], []

    def write(rel_dir: str, es: list[Entry], s: Structure) -> tuple[str, str]:
        fname, text = s.render(es)
        (dest / rel_dir).mkdir(parents=True, exist_ok=True)
        (dest / rel_dir / fname).write_text(text)
        return f"{rel_dir}/{fname}", text

    for s in STRUCTURES:
        for i, shape in enumerate(SHAPES):
            name = rng.choice(NAMES[shape.kind])
            value = shape.make(rng)
            es = _context(shape.kind, rng)
            es.insert(rng.randint(1, len(es)), Entry(name, value))
            path, text = write(f"{s.name}/p{i:02d}", es, s)
            variants = [name, snake(name), snake(name).upper(), snake(name).replace("_", "-")]
            nl, vl = _lines(text, value, variants)
            planted.append(Planted(s.name, shape.label, path, name, value, nl, vl))
        for i, (kind, label, es) in enumerate(_negatives(s, rng)):
            path, _ = write(f"{s.name}/n{i:02d}", es, s)
            negatives.append(Negative(s.name, kind, label, path))
    return planted, negatives


# ---------------------------------------------------------------------------- the tools


@dataclass(frozen=True)
class Found:
    path: str
    line: int
    end_line: int
    value: str
    rule: str
    lint: bool = False


def _norm(path: str, root: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        p = p.relative_to(root)
    return p.as_posix().removeprefix("./")


def tool_commands(lekk: list[str], bins: dict[str, Path]) -> dict[str, list[str]]:
    """Each tool's command line, its default rule set, its JSON report on stdout."""
    quiet = ["--no-banner", "-l", "error"]
    kingfisher = ["scan", ".", "--no-validate", "--no-update-check", "-q", "-f", "json"]
    cmds = {
        "lekk": [*lekk, "scan", ".", "--format", "json", "--show-secrets", "--exit-zero", "--quiet"]
    }
    if "gitleaks" in bins:
        cmds["gitleaks"] = [str(bins["gitleaks"]), "dir", ".", *quiet, "-f", "json", "-r", "-"]
    if "Betterleaks" in bins:
        cmds["Betterleaks"] = [str(bins["Betterleaks"]), "fs", ".", *quiet, "-o", "-"]
    if "Kingfisher" in bins:
        cmds["Kingfisher"] = [str(bins["Kingfisher"]), *kingfisher]
    return cmds


def parse(tool: str, out: str, root: Path) -> list[Found]:
    doc = json.loads(out or "[]")
    if tool == "lekk":
        return [
            Found(
                _norm(f["path"], root),
                f["line"],
                f.get("end_line", f["line"]),
                f.get("secret", ""),
                f["rule"],
                f.get("kind") == "lint",
            )
            for f in doc["findings"]
        ]
    if tool == "gitleaks":
        return [
            Found(_norm(f["File"], root), f["StartLine"], f["EndLine"], f["Secret"], f["RuleID"])
            for f in doc
        ]
    if tool == "Betterleaks":
        return [
            Found(
                _norm(f["location"]["path"], root),
                f["location"]["start_line"],
                f["location"]["end_line"],
                f["match"]["value"],
                f["rule_id"],
            )
            for f in doc.get("findings") or []
        ]
    return [  # Kingfisher
        Found(
            _norm(f["finding"]["path"], root),
            f["finding"]["line"],
            f["finding"]["line"],
            f["finding"]["snippet"],
            f["rule"]["id"],
        )
        for f in doc.get("findings") or []
    ]


def run_tool(tool: str, cmd: list[str], root: Path) -> list[Found]:
    r = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    try:
        return parse(tool, r.stdout, root)
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        sys.exit(f"{tool}: exit {r.returncode}, unreadable report ({e}): {r.stderr.strip()[-500:]}")


def matches(f: Found, p: Planted) -> bool:
    if f.path != p.path or not f.value:
        return False
    same = p.value in f.value or (f.value in p.value and len(f.value) >= 0.8 * len(p.value))
    return same and f.line <= p.value_line and f.end_line >= p.name_line


@dataclass
class Score:
    found: set[int]  # indexes into planted
    fps: list[tuple[Found, str]]  # the finding and what file it was in
    lint: list[Found]


def score(findings: list[Found], planted: list[Planted], negatives: list[Negative]) -> Score:
    by_path: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(planted):
        by_path[p.path].append(i)
    neg = {n.path: n for n in negatives}
    s = Score(set(), [], [])
    for f in findings:
        if f.lint:
            s.lint.append(f)
            continue
        hit = [i for i in by_path.get(f.path, []) if matches(f, planted[i])]
        if hit:
            s.found.update(hit)
        else:
            where = (
                f"negative: {neg[f.path].kind}"
                if f.path in neg
                else "planted file, other value"
                if f.path in by_path
                else "elsewhere"
            )
            s.fps.append((f, where))
    return s


# ---------------------------------------------------------------------------- the report


def _redact(v: str) -> str:
    return f"{v[:4]}…({len(v)})" if len(v) > 6 else "…"


def report(
    planted: list[Planted],
    negatives: list[Negative],
    scores: dict[str, Score],
    cmds: dict[str, list[str]],
    list_all: bool,
) -> str:
    tools = list(scores)
    total = len(planted)
    out = [
        f"{total} planted credentials in {len(STRUCTURES)} structures × {len(SHAPES)} value shapes; "
        f"{len(negatives)} negative files",
        "",
        "| tool | recall | false positives | lint findings (lekk) |",
        "|---|---|---|---|",
    ]
    for t in tools:
        s = scores[t]
        out.append(
            f"| {t} | {len(s.found)}/{total} ({100 * len(s.found) / total:.0f} %) | {len(s.fps)} | {len(s.lint) if t == 'lekk' else '—'} |"
        )
    out += [
        "",
        "Recall per structure (found/planted) and false positives in that structure's files:",
        "",
    ]
    out += [
        "| structure | multi-line | " + " | ".join(tools) + " |",
        "|---|---|" + "---|" * len(tools),
    ]
    for st in STRUCTURES:
        idx = [i for i, p in enumerate(planted) if p.structure == st.name]
        cells = []
        for t in tools:
            fp = sum(1 for f, _ in scores[t].fps if f.path.startswith(st.name + "/"))
            cells.append(
                f"{len(scores[t].found & set(idx))}/{len(idx)}" + (f", {fp} FP" if fp else "")
            )
        out.append(f"| {st.name} | {'yes' if st.multiline else 'no'} | " + " | ".join(cells) + " |")
    out += ["", "Recall per value shape (over every structure):", ""]
    out += ["| shape | " + " | ".join(tools) + " |", "|---|" + "---|" * len(tools)]
    for sh in SHAPES:
        idx = {i for i, p in enumerate(planted) if p.shape == sh.label}
        out.append(
            f"| {sh.label} | "
            + " | ".join(f"{len(scores[t].found & idx)}/{len(idx)}" for t in tools)
            + " |"
        )
    out += ["", "False positives by where they are:", ""]
    kinds = sorted({w for s in scores.values() for _, w in s.fps})
    out += ["| file | " + " | ".join(tools) + " |", "|---|" + "---|" * len(tools)]
    for k in kinds:
        out.append(
            f"| {k} | "
            + " | ".join(str(sum(1 for _, w in scores[t].fps if w == k)) for t in tools)
            + " |"
        )
    if "lekk" in scores:
        lint = Counter(f.rule for f in scores["lekk"].lint)
        out += [
            "",
            "lekk lint findings (not counted as false positives): "
            + (", ".join(f"{r} {n}" for r, n in lint.most_common()) or "none"),
        ]
        missed = [
            (i, [t for t in tools if t != "lekk" and i in scores[t].found])
            for i in range(total)
            if i not in scores["lekk"].found
        ]
        by_peer = [(i, ts) for i, ts in missed if ts]
        out += ["", f"Planted credentials a peer finds and lekk misses: {len(by_peer)}"]
        for i, ts in by_peer if list_all else by_peer[:40]:
            p = planted[i]
            out.append(
                f"  {p.path}:{p.value_line}  {p.shape:26s} name {p.name!r}  found by {', '.join(ts)}"
            )
        if len(by_peer) > 40 and not list_all:
            out.append(f"  … {len(by_peer) - 40} more (--list shows all)")
    if list_all:
        for t in tools:
            out += ["", f"{t}: false positives"]
            out += [
                f"  {f.path}:{f.line}  {f.rule}  {_redact(f.value)}  ({w})"
                for f, w in scores[t].fps
            ]
            out += [f"{t}: missed"]
            out += [
                f"  {p.path}:{p.value_line}  {p.shape}  name {p.name!r}"
                for i, p in enumerate(planted)
                if i not in scores[t].found
            ]
    out += ["", "Commands (run in the tree's root):"] + [
        f"  {t}: {' '.join(c)}" for t, c in cmds.items() if t in scores
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--dir", type=Path, default=Path("/tmp/lekk-detection-tree"), help="the tree (rewritten)"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--tools", default="lekk,gitleaks,Betterleaks,Kingfisher", help="comma-separated"
    )
    ap.add_argument("--lekk", help="lekk command (default: the lekk beside this Python)")
    peers.cache_option(ap, "where bench/peers.py keeps the peers")
    ap.add_argument("--list", action="store_true", help="list every miss and false positive")
    ap.add_argument("--generate-only", action="store_true", help="write the tree and stop")
    ap.add_argument("--json", type=Path, help="also write the planted set and every finding here")
    a = ap.parse_args(argv)
    root = a.dir.resolve()
    if peers.ROOT in (root, *root.parents):
        ap.error(f"--dir {root} is inside the repository; use a folder outside it")
    planted, negatives = generate(root, a.seed)
    print(f"tree: {root} (seed {a.seed})", file=sys.stderr)
    if a.generate_only:
        return 0
    tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    bins = {}
    if set(tools) - {"lekk"}:
        bins = {n: p for n, (p, _) in peers.install_peers(a.cache.resolve()).items()}
    cmds = tool_commands(peers.lekk_command(a.lekk), bins)
    unknown = [t for t in tools if t not in cmds]
    if unknown:
        ap.error(f"unknown tool {', '.join(unknown)}")
    findings = {t: run_tool(t, cmds[t], root) for t in tools}
    scores = {t: score(findings[t], planted, negatives) for t in tools}
    print(report(planted, negatives, scores, cmds, a.list))
    if a.json:
        a.json.write_text(
            json.dumps(
                {
                    "planted": [asdict(p) for p in planted],
                    "negatives": [asdict(n) for n in negatives],
                    "findings": {t: [asdict(f) for f in fs] for t, fs in findings.items()},
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
