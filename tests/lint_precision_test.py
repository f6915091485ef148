"""Lint a reviewer would keep (issue 12): a secret header only in browser code, a logged secret
only when the value itself (or the object holding it) is logged, plain HTTP not in a test that
asserts it is refused.  Generated cases in many languages, with the negatives beside each."""

from __future__ import annotations

import random

import pytest
from detection_test import ENGINE, SEED, found

from scanner import filters
from scanner.sources import Fragment
from scanner.sources.bundles import is_client_side


def scanned(text: str, path: str) -> list[tuple[str, int]]:
    """As a scan reads the file at that path (a bundle's path ships to browsers)."""
    frag = Fragment(text, path, client_side=is_client_side(path))
    return [(f.rule.id, f.line) for f in filters.apply(ENGINE.scan(frag))]


HEADERS = ["X-API-Secret", "client_secret", "Ocp-Apim-Subscription-Key"]
URLS = ["https://api.sagapay.no/v1/orders", "https://apitest.vipps.no/accesstoken/get"]


def _browser_call(rng: random.Random, header: str, url: str) -> str:
    q = rng.choice(["'", '"'])
    return rng.choice(
        [
            f"fetch({q}{url}{q}, {{ headers: {{ {q}{header}{q}: secret }} }})",
            f"axios.post({q}{url}{q}, null, {{ headers: {{ {q}{header}{q}: this.key }} }})",
            f"xhr.setRequestHeader({q}{header}{q}, cfg.secret) // {url}",
        ]
    )


BROWSER_FILES = [
    (
        "src/components/Pay.tsx",
        "export function Pay() {{\n  const [s] = useState('');\n  {call}\n}}\n",
    ),
    ("src/Checkout.vue", "<template><button/></template>\n<script>\n{call}\n</script>\n"),
    ("src/lib/Pay.svelte", "<script>\n  {call}\n</script>\n"),
    ("web/src/client/pay.js", "document.querySelector('#pay').onclick = () => {{\n  {call}\n}};\n"),
    ("app/frontend/checkout.ts", "const el = window.document.body;\n{call}\n"),
    ("dist/assets/index-7c1d.js", "(()=>{{{call}}})();\n"),
]
SERVER_FILES = [
    ("pkg/client/vipps.go", 'req.Header.Set("{header}", c.secret) // {url}\n'),
    ("vipps/client/api.py", 'requests.post("{url}", headers={{"{header}": self.secret}})\n'),
    ("src/Client/VippsClient.cs", 'request.Headers.Add("{header}", _secret); // {url}\n'),
    (
        "src/main/java/no/shop/client/Vipps.java",
        'conn.setRequestProperty("{header}", secret); // {url}\n',
    ),
    ("lib/client/Vipps.php", "$headers = ['{header}' => $this->secret]; // {url}\n"),
    (
        "lib/client/index.js",
        "const axios = require('axios');\nmodule.exports = (secret) =>\n"
        "  axios.post('{url}', null, {{ headers: {{ '{header}': secret }} }});\n",
    ),
    (
        "src/client/token.ts",
        "import express from 'express';\nconst app = express();\n"
        "app.post('/t', () => fetch('{url}', {{ headers: {{ '{header}': secret }} }}));\n",
    ),
]


def test_secret_header_only_in_browser_code() -> None:
    rng = random.Random(SEED + 41)
    for _ in range(200):
        header, url = rng.choice(HEADERS), rng.choice(URLS)
        path, template = rng.choice(BROWSER_FILES)
        text = template.format(call=_browser_call(rng, header, url))
        line = 1 + text[: text.index(header)].count("\n")
        assert ("secret-header-in-browser-code", line) in scanned(text, path), (path, text)
        path, template = rng.choice(SERVER_FILES)
        text = template.format(header=header, url=url)
        assert scanned(text, path) == [], (path, text)


LOG_CALLS = [
    ("app.py", "print({x})"),
    ("app.py", 'logger.info("key: %s", {x})'),
    ("app.py", 'print(f"key: {{{x}}}")'),
    ("src/pay.js", 'console.log("key", {x});'),
    ("src/pay.ts", "console.debug(`key: ${{{x}}}`);"),
    ("src/Pay.java", 'System.out.println("key=" + {x});'),
    ("Pay.cs", 'Console.WriteLine("key=" + {x});'),
    ("pay.go", 'log.Printf("key %s", {x})'),
    ("pay.rb", 'puts "key #{{{x}}}"'),
    ("pay.php", "error_log('key ' . {x});"),
]
LOGGED = [
    "VIPPS_CLIENT_SECRET",
    "vippsClientSecret",
    "sagapay_api_secret",
    "self.vipps_subscription_key",
    "config.sagapayApiKey",
    "vipps_credentials",
]
NOT_LOGGED = [
    "len({x})",
    "{x}[-4:]",
    "{x}.slice(-4)",
    "mask({x})",
    "bool({x})",
    "Boolean({x})",
    "{x}.length",
    "{x} is None",
    "hash({x})",
    "redact({x})",
    "{x}.substring(0, 4)",
]


def test_secret_in_log_only_when_the_value_is_logged() -> None:
    rng = random.Random(SEED + 42)
    for _ in range(300):
        path, call = rng.choice(LOG_CALLS)
        name = rng.choice(LOGGED)
        if path.endswith((".php",)):
            name = "$" + name.replace(".", "->") if "." not in name else "$" + name.split(".")[-1]
        text = call.format(x=name) + "\n"
        got = {r for r, _, _ in found(text, path)}
        assert got == {"secret-in-log"}, (path, text)
        wrapped = rng.choice(NOT_LOGGED).format(x=name)
        text = call.format(x=wrapped) + "\n"
        assert found(text, path) == [], (path, text)
    for ident in ("VIPPS_CLIENT_ID", "vippsOrderId", "sagapayMerchantId", "vipps_secret_name"):
        assert found(f'logger.info("%s", {ident})\n', "app.py") == [], ident


REJECTING_TESTS = [
    (
        "tests/test_client.py",
        "def test_plain_http_is_rejected():\n    with pytest.raises(ValueError):\n"
        '        Client(base_url="{url}")\n',
    ),
    (
        "src/client.test.ts",
        'it("refuses plain http", () => {{\n  expect(() => new Client("{url}")).toThrow();\n}});\n',
    ),
    (
        "client_test.go",
        'func TestHTTP(t *testing.T) {{\n\t_, err := New("{url}")\n\trequire.Error(t, err)\n}}\n',
    ),
    (
        "src/test/java/no/shop/ClientTest.java",
        'assertThrows(IllegalArgumentException.class, () -> new Client("{url}"));\n',
    ),
    ("spec/client_spec.rb", 'expect {{ Client.new("{url}") }}.to raise_error(ArgumentError)\n'),
    ("Tests/ClientTests.cs", 'Assert.Throws<ArgumentException>(() => new Client("{url}"));\n'),
]
PLAIN_HTTP = ["http://api.sagapay.no/v1", "http://apitest.vipps.no", "http://api.vipps.no"]


def _rule(url: str) -> str:
    return "sagapay-insecure-http" if "sagapay" in url else "vipps-insecure-http"


@pytest.mark.parametrize(("path", "template"), REJECTING_TESTS, ids=lambda v: str(v)[:24])
def test_insecure_http_not_in_a_test_that_asserts_it_is_refused(path: str, template: str) -> None:
    for url in PLAIN_HTTP:
        text = template.format(url=url)
        assert found(text, path) == [], text
        # the same call outside a test, or in a test that uses the URL, is reported
        line = 1 + text[: text.index(url)].count("\n")
        src = "src/client." + path.rsplit(".", 1)[-1]
        assert (_rule(url), line, url[: url.index(".no") + 3]) in found(text, src), src
        uses = f'def test_token():\n    Client(base_url="{url}").token()\n'
        assert _rule(url) in {r for r, _, _ in found(uses, "tests/test_client.py")}
