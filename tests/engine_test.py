"""Engine: one fragment in, raw findings out (positions, encodings, severities, context)."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import keygen

from scanner import filters
from scanner.engine import LOCATED, MAX_ANCHORS, Engine
from scanner.rules import load_rules
from scanner.sources import Fragment

ENGINE = Engine(load_rules())
RNG = random.Random(20261125)


def scan(text: str, path: str = "app/settings.py", **kw: object) -> list:
    return list(filters.apply(ENGINE.scan(Fragment(text, path, **kw))))  # type: ignore[arg-type]


def test_line_and_column_of_the_secret() -> None:
    cs = keygen.b64(RNG)
    text = f"# vipps\n\nimport os\n    VIPPS_CLIENT_SECRET = '{cs}'\n"
    [f] = scan(text)
    assert (f.rule.id, f.line, f.column, f.secret) == ("vipps-client-secret", 4, 28, cs)
    assert (f.end_line, f.end_column) == (4, 28 + len(cs))
    assert f.severity == "error"


def test_fragment_offsets_are_added() -> None:
    key = keygen.sagapay_key(RNG)
    [f] = scan(f"x\nSAGAPAY_KEY={key}", line=10, column=5)
    assert (f.line, f.column) == (11, 13)
    [g] = scan(f"SAGAPAY_KEY={key}", line=3, column=100)
    assert (g.line, g.column) == (3, 112)


def test_test_environment_lowers_severity() -> None:
    cs, sub = keygen.b64(RNG), keygen.hex32(RNG)
    by_name = scan(f"VIPPS_CLIENT_SECRET_TEST={cs}\nVIPPS_SUBSCRIPTION_KEY_TEST={sub}\n")
    assert {(f.rule.id, f.severity) for f in by_name} == {
        ("vipps-client-secret", "warning"),
        ("vipps-subscription-key", "warning"),
    }
    near = scan(f"base = 'https://apitest.vipps.no'\nclient_secret = '{cs}'\n")
    assert [(f.line, f.severity) for f in near] == [(2, "warning")]
    prod = scan(f"base = 'https://api.vipps.no'\nclient_secret = '{cs}'\n")
    assert [(f.line, f.severity) for f in prod] == [(2, "error")]
    key = keygen.sagapay_key(RNG, "test")
    assert [f.severity for f in scan(f"SAGAPAY_API_KEY={key}")] == ["warning"]


def test_client_side_raises_to_error() -> None:
    key = keygen.sagapay_key(RNG, "test")
    [f] = scan(f"const k='{key}' // sagapay", "dist/app.js", client_side=True)
    assert f.severity == "error" and f.client_side


def test_context_captures_client_id_and_msn() -> None:
    cs, cid = keygen.b64(RNG), keygen.guid(RNG)
    text = (
        f'vipps:\n  client_id: "{cid}"\n  client_secret: "{cs}"\n  merchant_serial_number: 123456\n'
    )
    [f] = scan(text, "config.yml")
    assert f.context == {"client_id": cid, "merchant_serial_number": "123456"}


def test_kubernetes_secret_base64_data_is_decoded() -> None:
    key, sec = keygen.sagapay_key(RNG), keygen.sagapay_secret(RNG)
    enc_k, enc_s = (base64.b64encode(v.encode()).decode() for v in (key, sec))
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: payments\ntype: Opaque\ndata:\n"
        f"  API_KEY: {enc_k}\n  API_SECRET: {enc_s}\n"
    )
    found = sorted(
        (f.rule.id, f.line, f.column, f.secret, f.encoding) for f in scan(text, "k.yaml")
    )
    assert found == [
        ("sagapay-api-key", 7, 12, key, "base64"),
        ("sagapay-api-secret", 8, 15, sec, "base64"),
    ]


def test_kubernetes_secret_with_vipps_names() -> None:
    cs, sub = keygen.b64(RNG), keygen.hex32(RNG)
    enc_cs, enc_sub = (base64.b64encode(v.encode()).decode() for v in (cs, sub))
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: vipps\ndata:\n"
        f"  VIPPS_CLIENT_SECRET: {enc_cs}\n  VIPPS_SUBSCRIPTION_KEY: {enc_sub}\n"
    )
    found = sorted((f.rule.id, f.line, f.secret, f.encoding) for f in scan(text, "k8s/s.yaml"))
    assert found == [
        ("vipps-client-secret", 6, cs, "base64"),
        ("vipps-subscription-key", 7, sub, "base64"),
    ]


def test_html_escaped_value_is_unescaped() -> None:
    cs = keygen.b64(RNG, 16)
    [f] = scan(f"<p>vipps client_secret: {cs[:-2]}&#x3D;&#x3D;</p>", "docs/index.html")
    assert f.secret == cs


def test_lekk_ignore_variants() -> None:
    cs, key = keygen.b64(RNG), keygen.sagapay_key(RNG)
    line = f"VIPPS_CLIENT_SECRET = '{cs}'; SAGAPAY_KEY = '{key}'"
    assert {f.rule.id for f in scan(line)} == {"vipps-client-secret", "sagapay-api-key"}
    assert scan(line + "  # lekk:ignore") == []
    assert [f.rule.id for f in scan(line + "  # lekk:ignore vipps-client-secret")] == [
        "sagapay-api-key"
    ]
    assert scan(line + "  // lekk:ignore vipps-client-secret, sagapay-api-key") == []
    assert scan(line + "  /* lekk:ignore vipps-client-secret,sagapay-api-key */") == []
    assert scan("# lekk:ignore-next-line\n" + line) == []
    # an ignore on another line, or for another rule, does not hide it
    assert len(scan(line + "\n# lekk:ignore")) == 2
    assert len(scan(line + "  # lekk:ignore vipps-subscription-key")) == 2


def test_prefilter() -> None:
    assert ENGINE.prefilter(b"nothing to see here", "src/a.py") is False
    assert ENGINE.prefilter(b"the vipps api", "src/a.py") is True
    assert ENGINE.prefilter(b"x = 1", "src/vipps/a.py") is True
    assert ENGINE.prefilter(b"k = 'spk_live_", "a") is True
    assert ENGINE.prefilter(b"k = 'sps_test_", "a") is True
    assert ENGINE.prefilter(b"k = 'x_live_y'", "a") is False  # a needle alone is not enough
    enc = base64.b64encode(b"spk_live_abcdefgh").decode().lower().encode()
    assert ENGINE.prefilter(enc, "a") is True
    assert ENGINE.prefilter("merchant_serial_number", "") is True


def test_many_anchors_and_long_line_stay_right() -> None:
    key = keygen.sagapay_key(RNG)
    text = "secret=1;" * 30_000 + f" sagapay {key}"
    [f] = scan(text, "big.js")
    assert (f.line, f.column, f.secret) == (1, 270_010, key)


def test_base64_encoded_sagapay_pair_is_found_at_every_alignment() -> None:
    """A key inside an encoded blob sits at any offset mod 3; the prefilter must see each."""
    for lead in ("k=", "ke=", "key="):  # 2, 3 and 4 bytes before the key: every alignment
        for key_prefix, secret_prefix in (("spk_live_", "sps_live_"), ("spay_test_", "sgs_")):
            key = key_prefix + keygen.alnum(RNG, 32)
            secret = secret_prefix + keygen.alnum(RNG, 40 if secret_prefix == "sgs_" else 24)
            blob = base64.b64encode(f"{lead}{key};s={secret}".encode()).decode()
            text = f"apiVersion: v1\nkind: Secret\ndata:\n  config: {blob}\n"
            frag = Fragment(text, "deploy/secret.yaml")
            assert ENGINE.prefilter(text.lower().encode(), frag.path), (lead, key_prefix)
            found = {(f.rule.id, f.secret, f.encoding, f.line) for f in scan(text, frag.path)}
            assert found == {
                ("sagapay-api-key", key, "base64", 4),
                ("sagapay-api-secret", secret, "base64", 4),
            }, (lead, key_prefix)


def test_log_call_far_before_the_credential_name() -> None:
    # secret-in-log runs back from the provider word ('region' = [600, 80]), not from log calls
    noise = "".join(f'log.info("step {i} done")\n' for i in range(200))  # log calls everywhere
    line = 'logger.info("' + "token request " * 28 + '", VIPPS_CLIENT_SECRET)'
    text = noise + "# vipps\n" + line + "\n" + noise
    [f] = [f for f in scan(text, "app/pay.py") if f.rule.id == "secret-in-log"]
    assert (f.line, f.column, f.secret) == (202, line.index("VIPPS") + 1, "VIPPS_CLIENT_SECRET")


def test_rule_region_bounds_where_the_regex_runs(tmp_path: Path) -> None:
    from scanner.rules import load_pack

    pack = (Path(__file__).parent / "testdata" / "rules" / "valid.toml").read_text()
    narrow = pack.replace(
        'keywords = ["acme_"]', 'keywords = ["acme_"]\nanchors = ["key:"]\nregion = [0, 24]'
    )
    assert narrow != pack
    (tmp_path / "narrow.toml").write_text(narrow)
    [wide_rule] = load_pack(Path(__file__).parent / "testdata" / "rules" / "valid.toml")
    [narrow_rule] = load_pack(tmp_path / "narrow.toml")
    assert (wide_rule.region, narrow_rule.region) == ((160, 480), (0, 24))
    key = "acme_k3j9x0qp2m7w4v8t1z5r"
    near, far = f"acme key: {key}", "acme key: " + " " * 40 + key
    for text, wide, nar in ((near, 1, 1), (far, 1, 0)):
        assert len(Engine([wide_rule]).scan(Fragment(text, "a.txt"))) == wide, text
        assert len(Engine([narrow_rule]).scan(Fragment(text, "a.txt"))) == nar, text


def test_the_extension_and_pure_python_find_the_same_in_every_example() -> None:
    """With the C extension the keywords and anchors are located in one pass over the text
    encoded one byte a character; without it, by ``str.find``.  Every example of every rule,
    as written and with non-ASCII text and `?` around it, gives the same raw findings."""
    rules = load_rules()
    fast, slow = Engine(rules), Engine(rules, extension=False)
    cases = 0
    for rule in rules:
        for ex in (*rule.examples, *rule.negative_examples):
            # (700 characters past ASCII: a located word counted in bytes would be far off)
            far = "ø" * 700
            for text in (
                ex.text,
                f"{far}?{ex.text}\n# Ærlig talt? {ex.text.upper()}",
                f"İ{ex.text}?",
            ):
                frag = Fragment(text, ex.path)
                got = [(f.rule.id, f.line, f.column, f.secret, f.encoding) for f in fast.scan(frag)]
                want = [
                    (f.rule.id, f.line, f.column, f.secret, f.encoding) for f in slow.scan(frag)
                ]
                assert got == want, (rule.id, text)
                cases += bool(got)
    assert cases > 100


def test_past_the_located_occurrences_the_same_findings() -> None:
    """The C pass locates the first LOCATED occurrences of each word; past them the engine
    goes on with str.find, so a text with more finds the same with or without it."""
    rules = load_rules()
    fast, slow = Engine(rules), Engine(rules, extension=False)
    key, secret = keygen.sagapay_key(RNG), keygen.b64(RNG)
    for n in (LOCATED - 1, LOCATED, LOCATED + 1, 3 * LOCATED, MAX_ANCHORS + 5):
        text = "secret=1; " * n + f"vipps\nVIPPS_CLIENT_SECRET={secret}\nsagapay {key}\n"
        frag = Fragment(text, "big.env")
        got = [(f.rule.id, f.line, f.column, f.secret) for f in fast.scan(frag)]
        assert got == [(f.rule.id, f.line, f.column, f.secret) for f in slow.scan(frag)], n
        assert {f[0] for f in got} >= {"sagapay-api-key"}, n
