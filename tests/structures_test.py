"""Names and values on different lines (issue 12): every structure that puts them apart, with
generated values in every shape under many names, and the same structures silent for templates,
references, empty values and structures about another API.

The step is the engine's (scanner/structure.py), so the files source, git history blobs, archive
members and source-map sources all get it; the last test runs it through each of them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import keygen
import pytest
from detection_test import CLIENT_SECRET_NAMES, SEED, SUBSCRIPTION_NAMES, found
from git_builder import Repo
from helpers import lekk
from shapes_and_names_test import _shaped

N = 300  # draws per family: each family x shape x name x where the Vipps signal is

# (text, path) for a name and a value; `signal` is a Vipps mention the structure carries (a URL,
# an environment's name) or "" when the name or the path carries it
Family = Callable[[random.Random, str, str, str], tuple[str, str]]


def _postman_environment(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    values = [
        {"key": "base_url", "value": signal or "https://shop.example.no", "enabled": True},
        {"key": "client_id", "value": keygen.guid(rng), "type": "default", "enabled": True},
        {"key": name, "value": value, "type": "secret", "enabled": True},
        {"key": "msn", "value": "482913", "enabled": True},
    ]
    rng.shuffle(values)
    env = {"id": keygen.guid(rng), "name": "Payments", "values": values}
    indent = rng.choice([2, 4, "\t"])
    return json.dumps(env, indent=indent), "postman/payments.postman_environment.json"


def _postman_collection(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    header = [
        {"key": "Content-Type", "value": "application/json"},
        {"key": name, "value": value, "type": "text"},
        {"key": "Merchant-Serial-Number", "value": "{{msn}}", "type": "default"},
    ]
    url = signal or "https://shop.example.no/token"
    item = {"name": "Get token", "request": {"method": "POST", "header": header, "url": url}}
    doc = {"info": {"name": "Payments"}, "item": [{"name": "Auth", "item": [item]}]}
    return json.dumps(
        doc, indent=rng.choice([2, "\t"])
    ), "collections/payments.postman_collection.json"


def _insomnia(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    request = {
        "_id": "req_1",
        "_type": "request",
        "url": signal or "https://shop.example.no/token",
        "method": "POST",
        "headers": [{"name": "Accept", "value": "*/*"}, {"name": name, "value": value}],
    }
    doc = {"_type": "export", "__export_format": 4, "resources": [request]}
    return json.dumps(doc, indent=2), "insomnia/export.json"


def _bruno(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    url = signal or "https://shop.example.no/token"
    text = (
        "meta {\n  name: Get token\n  type: http\n  seq: 1\n}\n\n"
        f"post {{\n  url: {url}\n  body: none\n}}\n\n"
        f"headers {{\n  Accept: */*\n  {name}: {value}\n}}\n"
    )
    return text, "bruno/payments/get-token.bru"


def _wrapped(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    """A value a formatter put on the next line, in the languages that do it."""
    lang = rng.choice(["py", "php", "js", "ts", "rb", "go", "go-call", "php-define", "yaml"])
    note = f"{'#' if lang in ('py', 'rb', 'yaml') else '//'} {signal}\n" if signal else ""
    text = {
        "py": f'SETTINGS = {{\n    "{name}": (\n        "{value}"\n    ),\n}}\n',
        "php": f"<?php\nreturn [\n    '{name}' =>\n        '{value}',\n];\n",
        "js": f"module.exports = {{\n  '{name}':\n    '{value}',\n}};\n",
        "ts": f'export const config = {{\n  "{name}":\n    "{value}",\n}};\n',
        "rb": f'CONFIG = {{\n  "{name}" =>\n    "{value}",\n}}\n',
        "go": f'var cfg = map[string]string{{\n\t"{name}":\n\t\t"{value}",\n}}\n',
        "go-call": f'req.Header.Set(\n\t"{name}",\n\t"{value}",\n)\n',
        "php-define": f"<?php\ndefine(\n    '{name}',\n    '{value}'\n);\n",
        "yaml": f"settings:\n  {name}:\n    {value}\n",
    }[lang]
    ext = {"go-call": "go", "php-define": "php", "yaml": "yml"}.get(lang, lang)
    if lang == "php" or lang == "php-define":
        return text.replace("<?php\n", "<?php\n" + note), f"src/settings.{ext}"
    return note + text, f"src/settings.{ext}"


def _header_object(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    q = rng.choice(["'", '"'])
    note = f"// {signal}\n" if signal else ""
    text = (
        f"{note}const headers = [\n  {{\n    name: {q}{name}{q},\n"
        f"    value: {q}{value}{q},\n  }},\n];\n"
    )
    return text, rng.choice(["src/api.js", "src/api.ts"])


def _plist(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    note = f"  <key>BaseURL</key>\n  <string>{signal}</string>\n" if signal else ""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
        f"{note}  <key>{name}</key>\n  <string>{value}</string>\n</dict>\n</plist>\n"
    )
    return text, "ios/Shop/Info.plist"


def _dotnet(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    note = f"      <!-- {signal} -->\n" if signal else ""
    text = (
        "<configuration>\n  <applicationSettings>\n    <Shop.Properties.Settings>\n"
        f'{note}      <setting name="{name}" serializeAs="String">\n'
        f"        <value>{value}</value>\n      </setting>\n"
        "    </Shop.Properties.Settings>\n  </applicationSettings>\n</configuration>\n"
    )
    return text, "Shop/app.config"


def _terraform(rng: random.Random, name: str, value: str, signal: str) -> tuple[str, str]:
    note = f"# {signal}\n" if signal else ""
    tf_name = name.replace(":", "_")
    if rng.random() < 0.5:
        text = (
            f'{note}variable "{tf_name}" {{\n  type        = string\n  sensitive   = true\n'
            f'  description = "the key"\n  default     = "{value}"\n}}\n'
        )
    else:
        text = (
            f'{note}resource "azurerm_key_vault_secret" "pay" {{\n'
            f'  name         = "{tf_name}"\n  key_vault_id = azurerm_key_vault.main.id\n'
            f'  value        = "{value}"\n}}\n'
        )
    return text, "infra/main.tf"


FAMILIES: dict[str, Family] = {
    "postman-environment": _postman_environment,
    "postman-collection": _postman_collection,
    "insomnia": _insomnia,
    "bruno": _bruno,
    "wrapped": _wrapped,
    "header-object": _header_object,
    "plist": _plist,
    "dotnet-settings": _dotnet,
    "terraform": _terraform,
}
SIGNALS = ["https://apitest.vipps.no/accesstoken/get", "https://api.vipps.no/epayment/v1/payments"]


def _case(rng: random.Random, family: Family, rule: str) -> tuple[str, str, str, int]:
    if rule == "vipps-client-secret":
        name, value = rng.choice(CLIENT_SECRET_NAMES), _shaped(rng)
    else:
        name, value = rng.choice(SUBSCRIPTION_NAMES), keygen.hex32(rng, upper=rng.random() < 0.1)
    own = "vipps" in name.lower() or "mobilepay" in name.lower()
    where = "name" if own else rng.choice(["structure", "path"])
    text, path = family(rng, name, value, rng.choice(SIGNALS) if where == "structure" else "")
    if where == "path":
        path = "vipps/" + path
    return text, path, value, text[: text.index(value)].count("\n") + 1


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("rule", ["vipps-client-secret", "vipps-subscription-key"])
def test_every_family_every_shape_every_name(family: str, rule: str) -> None:
    rng = random.Random(SEED + sum(map(ord, family + rule)))
    misses = []
    for _ in range(N):
        text, path, value, line = _case(rng, FAMILIES[family], rule)
        if (rule, line, value) not in found(text, path):
            misses.append(f"{path}:{line}\n{text}")
    assert not misses, f"{len(misses)}/{N} missed, e.g.:\n" + "\n---\n".join(misses[:3])


NOT_VALUES = [
    "{{client_secret}}",
    "{{Ocp-Apim-Subscription-Key}}",
    "#{VippsClientSecret}#",
    "${VIPPS_CLIENT_SECRET}",
    "var.vipps_client_secret",
    "",
    "<your-client-secret>",
    "process.env.VIPPS_CLIENT_SECRET",
    "YOUR-SUBSCRIPTION-KEY",
]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_templates_references_and_empty_values_are_silent(family: str) -> None:
    rng = random.Random(SEED + 31)
    for value in NOT_VALUES:
        for name in ("client_secret", "VippsClientSecret", "Ocp-Apim-Subscription-Key"):
            text, path = FAMILIES[family](rng, name, value, rng.choice(SIGNALS))
            assert found(text, path) == [], text


def test_an_environment_for_another_api_is_silent() -> None:
    """An Ocp-Apim-Subscription-Key in a Postman environment for Azure Cognitive Services, in a
    repository about Vipps, however far from the key the endpoint is."""
    rng = random.Random(SEED + 32)
    for _ in range(100):
        key = keygen.hex32(rng)
        values = [{"key": "Ocp-Apim-Subscription-Key", "value": key, "enabled": True}]
        values += [{"key": f"var{i}", "value": str(i), "enabled": True} for i in range(8)]
        values.append(
            {"key": "endpoint", "value": "https://westeurope.api.cognitive.microsoft.com/"}
            if rng.random() < 0.5
            else {"key": "endpoint", "value": "https://shop-ai.cognitiveservices.azure.com/"}
        )
        env = json.dumps({"name": "Translator", "values": values}, indent=2)
        assert found(env, "vipps-shop/postman/translator.postman_environment.json") == [], env
        # the same key in a Vipps environment is a Vipps key
        vipps = env.replace("westeurope.api.cognitive.microsoft.com", "apitest.vipps.no")
        vipps = vipps.replace("shop-ai.cognitiveservices.azure.com", "apitest.vipps.no")
        got = found(vipps, "vipps-shop/postman/vipps.postman_environment.json")
        assert [(r, v) for r, _, v in got] == [("vipps-subscription-key", key)], vipps


def test_a_request_to_another_api_in_a_vipps_collection_is_silent() -> None:
    rng = random.Random(SEED + 33)
    key, vkey = keygen.hex32(rng), keygen.hex32(rng)

    def request(url: str, k: str) -> dict:
        header = [{"key": "Ocp-Apim-Subscription-Key", "value": k, "type": "text"}]
        body = {"mode": "raw", "raw": json.dumps({"text": "x" * 40, "lang": "nb"}, indent=2)}
        return {
            "name": url,
            "request": {"method": "POST", "header": header, "body": body, "url": url},
        }

    doc = {
        "info": {"name": "Vipps MobilePay and friends"},
        "item": [
            request("https://api.vipps.no/epayment/v1/payments", vkey),
            request("https://shop.cognitiveservices.azure.com/translator/text/v3.0", key),
        ],
    }
    text = json.dumps(doc, indent=2)
    got = found(text, "postman/all.postman_collection.json")
    assert [(r, v) for r, _, v in got] == [("vipps-subscription-key", vkey)], text


BLOCKS = [
    # a generic name inside a Vipps block counts; inside another system's block it does not
    ('{"Vipps": {"Secret": "$V"}}', True),
    ('{"Vipps": {"Password": "$V"}, "Database": {"Password": "$W"}}', True),
    ('{"Database": {"Password": "$V"}, "Url": "https://api.vipps.no"}', False),
    ('{"Smtp": {"Password": "$V"}, "Vipps": {"Url": "https://api.vipps.no"}}', False),
    ("vipps:\n  secret: $V\n", True),
    ("# vipps\ndatabase:\n  password: $V\n", False),
    ("# vipps\nmail:\n  smtp:\n    password: '$V'\n", False),
    ("# vipps\n[database]\npassword = $V\n", False),
    ("[vipps]\npassword = $V\n", True),
    ("# vipps\n$config = [\n    'redis' => [\n        'password' => '$V',\n    ],\n];\n", False),
    ("$config = [\n    'vipps' => [\n        'client_secret' => '$V',\n    ],\n];\n", True),
    ("const stripe = {\n  secret: '$V',\n}; // vipps checkout elsewhere\n", False),
    ("const vipps = {\n  secret: '$V',\n};\n", True),
    ("# vipps\ntry:\n    client_secret = '$V'\nexcept KeyError:\n    pass\n", True),
    # a name too long for the rule's regex once its block is put in front: the line's verdict
    (
        "acme_payments_integration_settings_block:\n  VIPPS_PRODUCTION_ENVIRONMENT_SECRET: $V\n",
        True,
    ),
]


@pytest.mark.parametrize(("text", "reported"), BLOCKS)
def test_a_name_is_read_with_its_block(text: str, reported: bool) -> None:
    value = keygen.b64(random.Random(SEED + 25))
    path = "config.py" if "try:" in text else "config.txt"
    got = found(text.replace("$V", value).replace("$W", value[::-1]), path)
    assert bool(got) == reported, (text, got)


def test_a_generic_key_inside_a_vipps_block_is_a_subscription_key() -> None:
    rng = random.Random(SEED + 34)
    for _ in range(100):
        key = keygen.hex32(rng)
        for text, path in (
            (f"vipps:\n  key: {key}\n  url: https://api.vipps.no\n", "config.yml"),
            (f'{{"Vipps": {{"Key": "{key}"}}}}', "appsettings.json"),
            (f"[mobilepay]\nkey = {key}\n", "settings.ini"),
        ):
            assert [(r, v) for r, _, v in found(text, path)] == [("vipps-subscription-key", key)], (
                text
            )
        assert found(f"# vipps\ncache:\n  key: {key}\n", "config.yml") == []


def test_every_source_gets_the_step(tmp_path: Path) -> None:
    """Files, git history, archive members and source-map sources all feed the same engine."""
    rng = random.Random(SEED + 35)
    value = _shaped(rng)
    text, _ = _postman_environment(rng, "client_secret", value, SIGNALS[0])
    line = text[: text.index(value)].count("\n") + 1
    tree = tmp_path / "tree"
    (tree / "postman").mkdir(parents=True)
    (tree / "postman" / "env.json").write_text(text)
    import zipfile

    with zipfile.ZipFile(tree / "exports.zip", "w") as z:
        z.writestr("env.json", text)
    sources = {"version": 3, "sources": ["src/env.ts"], "mappings": "AAAA"}
    wrapped, _ = _wrapped(random.Random(1), "client_secret", value, SIGNALS[0])
    (tree / "app.js.map").write_text(json.dumps({**sources, "sourcesContent": [wrapped]}))
    r = lekk("scan", str(tree), "--format", "json", "--show-secrets")
    got = {(f["path"], f["line"], f["secret"]) for f in json.loads(r.stdout)["findings"]}
    assert ("postman/env.json", line, value) in got, r.stdout
    assert ("exports.zip!env.json", line, value) in got, r.stdout
    [mapped] = [f for f in json.loads(r.stdout)["findings"] if f["path"] == "app.js.map"]
    assert mapped["origin"]["line"] == wrapped[: wrapped.index(value)].count("\n") + 1
    repo = Repo(tmp_path / "repo")
    repo.commit("env", {"postman/env.json": text})
    repo.commit("gone", delete=("postman/env.json",))
    r = lekk("git", str(repo.path), "--format", "json", "--show-secrets")
    got = {(f["path"], f["line"], f["secret"]) for f in json.loads(r.stdout)["findings"]}
    assert got == {("postman/env.json", line, value)}, r.stdout
