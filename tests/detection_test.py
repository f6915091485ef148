"""Detection quality over thousands of generated cases.

Every random key in a recognised shape, under any name of the family, in any of the languages and
formats, with a Vipps signal in the name, the path or the nearby text, is found, with no entropy
cliff; generated non-secrets (hashes, ids, references, placeholders, fakes, other providers) are
not.  The seed is fixed for reproducibility; set LEKK_TEST_SEED to explore others.
"""

from __future__ import annotations

import base64
import html
import os
import random
import string
from collections.abc import Callable

import keygen
import pytest

from scanner import filters
from scanner.engine import Engine
from scanner.rules import load_rules
from scanner.sources import Fragment

ENGINE = Engine(load_rules())
SEED = int(os.environ.get("LEKK_TEST_SEED", "20261125"))
N = 1000  # cases per generated test: ~5,000 keys, plus 40,000 through the value filters


def found(text: str, path: str) -> list[tuple[str, int, str]]:
    return [(f.rule.id, f.line, f.secret) for f in filters.apply(ENGINE.scan(Fragment(text, path)))]


# -- how languages and formats write "name = value" ---------------------------------------------

Template = Callable[[str, str], str]
FORMATS: dict[str, tuple[str, list[Template]]] = {
    "python": (
        "py",
        [
            lambda n, v: f'{n} = "{v}"',
            lambda n, v: f"CONFIG = {{'{n}': '{v}'}}",
            lambda n, v: f'settings.{n} = r"{v}"',
            lambda n, v: f'{n} = os.getenv("{n.upper()}", "{v}")',
            lambda n, v: f'{n} = os.environ.get("{n.upper()}", "{v}")',
        ],
    ),
    "js": (
        "js",
        [
            lambda n, v: f'const {n} = "{v}";',
            lambda n, v: f"  {n}: '{v}',",
            lambda n, v: f"headers['{n}'] = `{v}`;",
            lambda n, v: f'const {n} = process.env.{n.upper()} || "{v}";',
        ],
    ),
    "ts": (
        "ts",
        [
            lambda n, v: f'export const {n}: string = "{v}";',
            lambda n, v: f'  readonly {n} = "{v}";',
        ],
    ),
    "php": (
        "php",
        [
            lambda n, v: f"define('{n}', '{v}');",
            lambda n, v: f"    '{n}' => '{v}',",
            lambda n, v: f'${n} = "{v}";',
        ],
    ),
    "java": (
        "java",
        [
            lambda n, v: f'    private static final String {n} = "{v}";',
            lambda n, v: f'        headers.set("{n}", "{v}");',
        ],
    ),
    "csharp": (
        "cs",
        [
            lambda n, v: f'    public const string {n} = "{v}";',
            lambda n, v: f'client.DefaultRequestHeaders.Add("{n}", "{v}");',
        ],
    ),
    "go": (
        "go",
        [
            lambda n, v: f'\t{n} := "{v}"',
            lambda n, v: f'req.Header.Set("{n}", "{v}")',
            lambda n, v: f"const {n} = `{v}`",
        ],
    ),
    "ruby": (
        "rb",
        [
            lambda n, v: f"{n} = '{v}'",
            lambda n, v: f"  {n}: '{v}',",
            lambda n, v: f'  "{n}" => "{v}",',
        ],
    ),
    "yaml": (
        "yml",
        [
            lambda n, v: f"  {n}: {v}",
            lambda n, v: f'  {n}: "{v}"',
            lambda n, v: f"  - name: {n}\n    value: '{v}'",
        ],
    ),
    "json": (
        "json",
        [
            lambda n, v: f'  "{n}": "{v}",',
            lambda n, v: f'{{"key": "{n}", "value": "{v}", "enabled": true}}',
        ],
    ),
    "dotenv": ("env", [lambda n, v: f"{n}={v}", lambda n, v: f'export {n}="{v}"']),
    "ini": ("ini", [lambda n, v: f"{n} = {v}", lambda n, v: f"{n}: {v}"]),
    "properties": ("properties", [lambda n, v: f"app.{n}={v}"]),
    "xml": (
        "xml",
        [
            lambda n, v: f'<add key="{n}" value="{v}" />',
            lambda n, v: f"  <{n}>{v}</{n}>" if ":" not in n else f'<add key="{n}" value="{v}"/>',
        ],
    ),
    "shell": ("sh", [lambda n, v: f"export {n}='{v}'", lambda n, v: f'curl -H "{n}: {v}" "$URL"']),
    "sql": (
        "sql",
        [
            lambda n, v: (
                "INSERT INTO `wp_options` VALUES (1042,'woocommerce_payment_settings',"
                f'\'a:3:{{s:7:"enabled";s:3:"yes";s:{len(n)}:"{n}";s:{len(v)}:"{v}";}}\',\'yes\');'
            )
        ],
    ),
}

CLIENT_SECRET_NAMES = [
    "client_secret",
    "clientSecret",
    "ClientSecret",
    "CLIENT_SECRET",
    "secret",
    "secret_test",
    "SECRET",
    "clientsecret",
    "client-secret",
    "password",
    "VIPPS_CLIENT_SECRET",
    "VIPPS_PASSWORD",
    "vippsClientSecret",
    "MOBILEPAY_CLIENT_SECRET",
    "mobilepay_secret",
    "Vipps:ClientSecret",
    "vipps_secret_prod",
    "VippsSecret",
    "vipps.client_secret",
    "VIPPS_PWD",
]
SUBSCRIPTION_NAMES = [
    "Ocp-Apim-Subscription-Key",
    "Ocp_Apim_Key_eCommerce",
    "ocpApimSubscriptionKey",
    "subscriptionKey",
    "subscription_key1",
    "subscriptionId",
    "SubscriptionKey",
    "PrimarySubscriptionKey",
    "secondarySubscriptionKey",
    "VIPPS_SUB_KEY",
    "VIPPS_SUBSCRIPTION_KEY",
    "vippsSubscriptionKey",
    "MOBILEPAY_SUBSCRIPTION_KEY",
    "Vipps-Subscription-Key",
    "ocp-apim-subscription-key",
    "vipps_key",
    "apimKey",
    "sub_key",
    "subkey",
    "Vipps:SubscriptionKey",
]
NEARBY = [
    "# POST https://api.vipps.no/accesstoken/get",
    "// https://apitest.vipps.no/epayment/v1/payments",
    "<!-- Vipps MobilePay -->",
    "# Merchant-Serial-Number: 482913",
    '"merchantSerialNumber": "571046",',
    "-- Vipps-System-Name: woocommerce",
    "# MobilePay (Denmark, Finland) via api.vipps.no",
    "url = '/ecomm/v2/payments'",
]
FILLER = [
    "import os",
    "",
    "timeout = 30",
    "log = logging.getLogger(__name__)",
    "retries: 3",
    "// TODO: tidy",
    "debug=false",
]


def _has_vipps(name: str) -> bool:
    return "vipps" in name.lower() or "mobilepay" in name.lower()


def _case(rng: random.Random, names: list[str], value: str) -> tuple[str, str, int]:
    """(text, path, line of the value) with a Vipps signal in the name, the path or nearby."""
    lang = rng.choice(sorted(FORMATS))
    ext, templates = FORMATS[lang]
    name = rng.choice(names)
    line_text = rng.choice(templates)(name, value)
    where = "name" if _has_vipps(name) else rng.choice(["path", "nearby", "nearby-after"])
    path = rng.choice(["src/app", "config", "lib/payments", "deploy"])
    path += f"/settings.{ext}"
    if where == "path":
        path = (
            rng.choice(["src/vipps/", "plugins/woocommerce-vipps/", "Vipps/", "mobilepay/"])
            + f"config.{ext}"
        )
    before = rng.sample(FILLER, rng.randint(0, 4))
    after = rng.sample(FILLER, rng.randint(0, 3))
    if where == "nearby":
        before.insert(rng.randint(0, len(before)), rng.choice(NEARBY))
    elif where == "nearby-after":
        after.insert(rng.randint(0, len(after)), rng.choice(NEARBY))
    line = len(before) + 1 + line_text[: line_text.index(value)].count("\n")
    return "\n".join([*before, line_text, *after]) + "\n", path, line


def _check_all_found(
    rule: str, names: list[str], make: Callable[[random.Random], str], salt: int
) -> None:
    rng = random.Random(SEED + salt)
    misses = []
    for _ in range(N):
        value = make(rng)
        text, path, line = _case(rng, names, value)
        if (rule, line, value) not in found(text, path):
            misses.append(f"{path}:\n{text}")
    assert not misses, f"{len(misses)}/{N} missed, e.g.:\n" + "\n---\n".join(misses[:5])


def _raw_b64(rng: random.Random) -> str:
    """Random bytes straight from the RNG, not re-rolled: whatever comes out must be found."""
    return base64.b64encode(rng.randbytes(rng.choice([16, 20, 32]))).decode()


def _raw_entra(rng: random.Random) -> str:
    alpha = string.ascii_letters + string.digits + "_~.-"
    return (
        "".join(rng.choices(alpha, k=3))
        + rng.choice(string.digits)
        + "Q~"
        + "".join(rng.choices(alpha, k=34))
    )


def test_vipps_client_secret_base64_every_time() -> None:
    _check_all_found("vipps-client-secret", CLIENT_SECRET_NAMES, _raw_b64, 1)


def test_vipps_client_secret_entra_shape_every_time() -> None:
    _check_all_found("vipps-client-secret", CLIENT_SECRET_NAMES, _raw_entra, 2)


def test_vipps_subscription_key_every_time() -> None:
    """Random 32-hex keys, low-entropy draws included: no entropy cut-off."""

    def make(rng: random.Random) -> str:
        v = f"{rng.getrandbits(128):032x}"
        return v.upper() if rng.random() < 0.1 else v

    _check_all_found("vipps-subscription-key", SUBSCRIPTION_NAMES, make, 3)


def test_html_escaped_pages_every_time() -> None:
    """Code shown on a documentation page or an exported notebook: quotes become entities."""
    rng = random.Random(SEED + 10)
    for _ in range(N // 2):
        value = rng.choice([_raw_b64(rng), f"{rng.getrandbits(128):032x}"])
        rule = "vipps-subscription-key" if len(value) == 32 else "vipps-client-secret"
        names = SUBSCRIPTION_NAMES if len(value) == 32 else CLIENT_SECRET_NAMES
        text, path, line = _case(rng, names, value)
        page = "<pre><code>" + html.escape(text, quote=rng.random() < 0.7) + "</code></pre>"
        page = page.replace("&#x27;", rng.choice(["&#x27;", "&#39;", "&apos;"]))
        assert (rule, line, value) in found(page, path.rsplit(".", 1)[0] + ".html"), page


def test_low_entropy_hex_keys_are_found() -> None:
    """Keys drawn from few distinct digits (entropy well under 3.5 bits) are still keys."""
    rng = random.Random(SEED + 4)
    for _ in range(300):
        alphabet = rng.sample("0123456789abcdef", 5)
        v = "".join(rng.choices(alphabet, k=32))
        if filters.is_obvious_fake(v):
            continue
        assert ("vipps-subscription-key", 1, v) in found(f"VIPPS_SUBSCRIPTION_KEY={v}\n", ".env"), v


SAGAPAY_CONTEXT = [
    lambda k, s: f"SAGAPAY_API_KEY={k}\nSAGAPAY_API_SECRET={s}\n",
    lambda k, s: (
        f'curl https://api.sagapay.no/v1/payments -H "X-API-Key: {k}" -H "X-API-Secret: {s}"\n'
    ),
    lambda k, s: f'headers = {{"X-Api-Key": "{k}", "X-Merchant-ID": "m_1"}}\nsecret = "{s}"\n',
    lambda k, s: f'-H "API-KEY: {k}" -H "API-SECRET: {s}" -H "MERCHANT-ID: 42"\n',
    lambda k, s: f"// SagaPay\nconst auth = 'Bearer {k}';\nconst apiSecret = '{s}';\n",
    lambda k, s: f"api_key: {k}\napi_secret: {s}\n",  # key and secret together
]


def test_sagapay_every_time() -> None:
    rng = random.Random(SEED + 5)
    for _ in range(N):
        env = rng.choice(["live", "test"])
        k, s = keygen.sagapay_key(rng, env), keygen.sagapay_secret(rng, env)
        text = rng.choice(SAGAPAY_CONTEXT)(k, s)
        got = {(r, v) for r, _, v in found(text, rng.choice(["app/config.yml", "src/pay.go"]))}
        assert got == {("sagapay-api-key", k), ("sagapay-api-secret", s)}, text


def test_sagapay_needs_sagapay_context() -> None:
    rng = random.Random(SEED + 6)
    for _ in range(200):
        k = keygen.sagapay_key(rng)
        for text in [
            f"STRIPE_LIKE_KEY={k}\n",
            f'requests.post("https://api.sagapay.net/v1/", headers={{"X-API-Key": "{k}"}})\n',
            f'from sagapay import SagaPay\nclient = SagaPay(api_key="{k}")\n',
            f"pip install sagapay\nSAGAPAY_API_KEY={k}\n",
            f"# sagapay\nkey = 'no{k}'\n",
            f"# sagapay\nkey = 'X_{k}'\n",
            f"# sagapay\nkey = '{k}_x'\n",
        ]:
            assert found(text, "app.py") == [], text


# -- what must not be reported --------------------------------------------------------------------

VIPPS_FILE = (
    "# Vipps MobilePay, https://api.vipps.no/epayment/v1/payments, Merchant-Serial-Number 123456\n"
)


def _references(name: str) -> list[str]:
    up = name.upper().replace("-", "_").replace(":", "_").replace(".", "_")
    return [
        f'{name} = os.environ["{up}"]',
        f"{name} = os.environ.get('{up}')",
        f"const {name} = process.env.{up};",
        f"{name}: ${{{{ secrets.{up} }}}}",
        f"{name}=${{{up}}}",
        f'@Value("${{vipps.{name}}}")',
        f'String {name} = System.getenv("{up}");',
        f"{name} = ENV['{up}']",
        f"{name} = ENV.fetch('{up}')",
        f'{name} := os.Getenv("{up}")',
        f'var {name} = Environment.GetEnvironmentVariable("{up}");',
        f"'{name}' => getenv('{up}'),",
        f"{name}: !vault secret/data/vipps#{name}",
        f"{name}: {{{{ .Values.vipps.{name} }}}}",
        f'"{name}": "#{{{up}}}#"',
        f"{name}=%({up})s",
        f"{name}: ref+awsssm://vipps/{name}",
    ]


PLACEHOLDERS = [
    "<your-client-secret>",
    "<YOUR_CLIENT_SECRET>",
    "xxxxxxxxxxxxxxxxxxxxxxxx",
    "YOUR_CLIENT_SECRET_HERE",
    "your-client-secret",
    "changeme",
    "This is a placeholder",
    "",
    "YourClientSecretGoesHere==",
    "InsertYourSecretHere1234=",
    "<din-klienthemmelighet>",
    "DinHemmeligeNokkelHer12==",
    "SettInnHemmeligheten1234=",
    "IndsaetDinHemmeligeNoegle=",
    "DinHemligaNyckelHar12345=",
    "SalainenAvainTahan123456=",
    "REPLACE_WITH_YOUR_SECRET",
    "XXXXXXXXXXXXXXXXXXXXXXXX",
    "*************************",
    "${VIPPS_CLIENT_SECRET}",
    "{{ vipps_client_secret }}",
    "ExampleSecretValue12345==",
    "DummySecret+1234567890ab=",
    "FakeClientSecret123456==",
    "TODO_fill_in_the_secret00=",
]
DOC_VALUES = [
    "Y8Kteew6GE3ZmeycEt6egg==",
    "Y8Kteew6GE2ZmeycEt6egg==",
    "0f14ebcab0eb4b29ae0cb90d91b4a84a",
    "0f14ebcab0ec4b29ae0cb90d91b4a84a",
    "da7d5b0e18a84aeda961c0c31b75c2a9",
    "Y8Kteew6GE3ZmeycEt6egg&#x3D;&#x3D;",
    "Y8Kteew6GE2ZmeycEt6egg&#61;&#61;",
]
FAKES = [
    "1234567890abcdef1234567890abcdef",
    "abcdef0123456789abcdef0123456789",
    "0123456789abcdef0123456789abcdef",
    "00000000000000000000000000000000",
    "ffffffffffffffffffffffffffffffff",
    "QwertyuiopAsdfghjkl1234==",
    "abcdefghijklmnopqrstuvwx1234==",
    "AbCdEfGhIjKlMnOpQrStUv12==",
    "qwertyuiopasdfghjklzxcvbnm12345=",
    "1q2w3e4r5t6y7u8i9o0pAsdfGh==",
    "deadbeefdeadbeefdeadbeefdeadbeef",
]


@pytest.mark.parametrize(
    "name",
    [
        "VIPPS_CLIENT_SECRET",
        "client_secret",
        "clientSecret",
        "VIPPS_SUBSCRIPTION_KEY",
        "Ocp-Apim-Subscription-Key",
        "subscriptionKey",
    ],
)
def test_references_to_env_and_secret_stores_are_not_secrets(name: str) -> None:
    for ref in _references(name):
        assert found(VIPPS_FILE + ref + "\n", "vipps/settings.py") == [], ref


@pytest.mark.parametrize("value", PLACEHOLDERS + DOC_VALUES + FAKES)
def test_placeholders_doc_examples_and_fakes(value: str) -> None:
    for name in (
        "VIPPS_CLIENT_SECRET",
        "clientSecret",
        "VIPPS_SUBSCRIPTION_KEY",
        "Ocp-Apim-Subscription-Key",
    ):
        for tmpl in (
            lambda n, v: f'{n} = "{v}"',
            lambda n, v: f"{n}: {v}",
            lambda n, v: f"<{n}>{v}</{n}>",
        ):
            text = VIPPS_FILE + tmpl(name, value) + "\n"
            assert found(text, "vipps/config.txt") == [], text
    escaped = html.escape(VIPPS_FILE + f'<code>client_secret="{value}"</code>\n')
    assert found(escaped, "docs/vipps.html") == [], escaped


def test_hashes_ids_and_lockfile_integrity_are_not_secrets() -> None:
    rng = random.Random(SEED + 7)
    for _ in range(300):
        md5, sha1 = f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(160):040x}"
        sha512 = base64.b64encode(rng.randbytes(64)).decode()
        sha256 = base64.b64encode(rng.randbytes(32)).decode()
        guid = keygen.guid(rng)
        texts = [
            f'{{"name": "@vippsmobilepay/sdk", "version": "1.2.{rng.randint(0, 9)}", '
            f'"resolved": "https://registry.npmjs.org/@vippsmobilepay/sdk/-/sdk.tgz", '
            f'"integrity": "sha512-{sha512}"}}',
            f"vipps-sdk==1.2.3 --hash=sha256:{sha1}{md5[:24]}",
            f"checksum: {md5}\nvipps_order_hash = \"{md5}\"\nvipps_etag = '{md5}'",
            f"commit {sha1}\n    Vipps: rotate keys (subscription key moved to vault)",
            f'vipps_client_id = "{guid}"\nvipps_order_id = "{guid}"\nsubscriptionId = "{guid}"',
            f'"vipps": {{"md5": "{md5}", "sha256": "{sha256}", "digest": "{sha256}"}}',
            f'vipps_webhook_secret_hash = "{md5}"\nvipps_session_secret = "{sha256}"',
            f"GOOGLE_CLIENT_SECRET = '{sha256}'  # vipps login sits beside it",
            f"// vipps checkout lives elsewhere\n"
            f'"Ocp-Apim-Subscription-Key": "{md5}"  // https://contoso.azure-api.net/translator',
            f"# Vipps\nsubscription_key = '{md5}'  # https://westeurope.api.cognitive.microsoft.com",
        ]
        for text in texts:
            assert found(text + "\n", "package-lock.json") == [], text


def test_without_a_vipps_signal_nothing_is_reported() -> None:
    rng = random.Random(SEED + 8)
    for _ in range(300):
        value = rng.choice([_raw_b64(rng), f"{rng.getrandbits(128):032x}"])
        names = [n for n in CLIENT_SECRET_NAMES + SUBSCRIPTION_NAMES if not _has_vipps(n)]
        ext, templates = FORMATS[rng.choice(sorted(FORMATS))]
        text = (
            "# OAuth app for the partner API\n"
            + rng.choice(templates)(rng.choice(names), value)
            + "\n"
        )
        assert found(text, f"src/partner/config.{ext}") == [], text


def test_word_boundaries_in_names() -> None:
    cs, sub = keygen.b64(random.Random(SEED)), keygen.hex32(random.Random(SEED))
    for text in [
        f"vipps_secret_hash = '{cs}'",
        f"vipps subscriptionkeyvalue_hash = '{sub}'x",
        f"vipps client_secret = '{cs}x'",
        f"vipps subscription_key = '{sub}0'",
        f"vipps subscription_key = 'x{sub}'",
        f"vipps client_secret = '{cs}abc!'",
    ]:
        got = [r for r in found(text, "a.py") if r[2] in (cs, sub)]
        assert got == [], text


def test_value_filters_never_drop_random_keys() -> None:
    """The placeholder and fake filters look at whole words and real runs, not at chance letters."""
    rng = random.Random(SEED + 9)
    for _ in range(8_000):
        for v in (
            _raw_b64(rng),
            f"{rng.getrandbits(128):032x}",
            _raw_entra(rng),
            keygen.sagapay_key(rng),
            keygen.sagapay_secret(rng),
        ):
            assert not any(pred(v) for pred in filters.VALUE_FILTERS.values()), v
