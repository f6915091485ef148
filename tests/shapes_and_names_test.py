"""The value's shape and its name (issue 12): exact Vipps client_secret shapes, names of other
systems, and Base64 decoding that never replaces a credential as written.

Every case is generated at test time (set LEKK_TEST_SEED to try other draws), with negative
cases beside each family.
"""

from __future__ import annotations

import base64
import random
import string

import keygen
import pytest
from detection_test import CLIENT_SECRET_NAMES, FORMATS, SEED, N, _check_all_found, found

# -- shapes ---------------------------------------------------------------------------------------

SIZES = (16, 20, 30, 32)  # the byte lengths of a Vipps MobilePay client_secret


def _shaped(rng: random.Random) -> str:
    """Base64 of 16, 20, 30 or 32 random bytes, standard or URL-safe, padded or not: every shape
    Vipps MobilePay issues.  An unpadded value needs a digit or symbol (an identifier is no
    secret); the draws without one (about 1 in 40 at 16 bytes) are drawn again."""
    while True:
        raw = rng.randbytes(rng.choice(SIZES))
        v = (base64.urlsafe_b64encode if rng.random() < 0.5 else base64.b64encode)(raw).decode()
        if rng.random() < 0.5:
            v = v.rstrip("=")
        mixed = any(c.islower() for c in v) and any(c.isupper() for c in v)
        if mixed and ("=" in v or any(c in string.digits + "+/_-" for c in v)):
            return v


def test_every_client_secret_shape_is_found() -> None:
    _check_all_found("vipps-client-secret", CLIENT_SECRET_NAMES, _shaped, 21)


def _misshaped(rng: random.Random) -> str:
    """What is not a client_secret: Base64 of another length, a value whose last character has
    bits an encoder never sets, the padding of another length."""
    kind = rng.randrange(3)
    if kind == 0:  # another length
        n = rng.choice([n for n in range(12, 70) if n not in SIZES])
        return base64.b64encode(rng.randbytes(n)).decode()
    v = base64.b64encode(rng.randbytes(rng.choice([16, 20, 32]))).decode()
    body = v.rstrip("=")
    if kind == 1:  # a last character an encoder never writes before this padding
        allowed = "AQgw" if len(body) == 22 else "AEIMQUYcgkosw048"
        bad = rng.choice([c for c in string.ascii_letters + string.digits if c not in allowed])
        return body[:-1] + bad + v[len(body) :]
    return body + ("=" if v.endswith("==") else "==")  # wrong padding


def test_values_of_other_shapes_are_not_client_secrets() -> None:
    rng = random.Random(SEED + 22)
    for _ in range(N):
        v = _misshaped(rng)
        for text in (
            f'VIPPS_CLIENT_SECRET = "{v}"\n',
            f"vipps:\n  client_secret: {v}\n",
            f'{{"Vipps": {{"ClientSecret": "{v}"}}}}\n',
        ):
            assert [r for r in found(text, "vipps/config.txt") if r[2] == v] == [], text


def test_the_issues_look_alike() -> None:
    """27 characters, not a multiple of four: not Base64 at all."""
    for name in ("VIPPS_CLIENT_SECRET", "client_secret", "ClientSecret"):
        assert found(f'{name} = "testSecretValueFromPortal1="  # vipps\n', "a.py") == []


# -- names ----------------------------------------------------------------------------------------

OTHER_SYSTEMS = [
    "DJANGO",
    "DB",
    "DATABASE",
    "SMTP",
    "MAIL",
    "REDIS",
    "AWS",
    "POSTGRES",
    "MYSQL",
    "MONGO",
    "RABBITMQ",
    "SENTRY",
    "JWT",
    "NEXTAUTH",
    "KEYCLOAK",
    "FTP",
    "LDAP",
    "MINIO",
    "OPENAI",
    "ELASTIC",
    "ADMIN",
    "ROOT",
]
CREDENTIAL_WORDS = ["SECRET", "PASSWORD", "SECRET_KEY", "CLIENT_SECRET", "PWD", "API_SECRET"]


def _spell(words: list[str], style: str) -> str:
    low = [w.lower() for part in words for w in part.split("_")]
    if style == "upper":
        return "_".join(w.upper() for w in low)
    if style == "camel":
        return low[0] + "".join(w.capitalize() for w in low[1:])
    if style == "pascal":
        return "".join(w.capitalize() for w in low)
    if style == "kebab":
        return "-".join(low)
    return low[0] + ":" + "".join(w.capitalize() for w in low[1:])  # Database:Password


def test_names_of_other_systems_are_not_vipps_names() -> None:
    """DJANGO_SECRET, DB_PASSWORD, SMTP_PASSWORD, AWS_SECRET_ACCESS_KEY next to VIPPS_API_URL:
    however close Vipps is, the name says whose the value is."""
    rng = random.Random(SEED + 23)
    for _ in range(N):
        system = rng.choice(OTHER_SYSTEMS)
        word = rng.choice(CREDENTIAL_WORDS)
        name = _spell([system, word], rng.choice(["upper", "camel", "pascal", "kebab", "colon"]))
        value = _shaped(rng)
        ext, templates = FORMATS[rng.choice(sorted(FORMATS))]
        line = rng.choice(templates)(name, value)
        text = f"VIPPS_API_URL=https://api.vipps.no\n{line}\nVIPPS_MSN=482913\n"
        assert found(text, f"config/settings.{ext}") == [], text
    aws = "gNJ/WN8RGjs98kWtqQgCOJp4zcKUkqh190rG8y9K"  # 40 characters: a 30-byte shape
    text = f"VIPPS_API_URL=https://api.vipps.no\nAWS_SECRET_ACCESS_KEY={aws}\n"
    assert found(text, ".env") == []


def test_the_same_values_under_vipps_or_generic_names_are_found() -> None:
    """The negative cases' twins: the same values under a Vipps name, or a generic one."""
    rng = random.Random(SEED + 24)
    for _ in range(N // 4):
        value = _shaped(rng)
        name = _spell(
            [rng.choice(["VIPPS", "MOBILEPAY", "", "TEST"]) or "APP", "CLIENT_SECRET"],
            rng.choice(["upper", "camel", "pascal", "kebab", "colon"]),
        )
        text = f"VIPPS_API_URL=https://api.vipps.no\n{name} = '{value}'\n"
        assert ("vipps-client-secret", 2, value) in found(text, "config/settings.py"), text


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ("# vipps\nVipps:ClientSecret = '$V'\n", True),
        ("# vipps\nDatabase:Password = '$V'\n", False),
        ("# vipps\nsettings.DATABASES.default.PASSWORD = '$V'\n", False),
        ("# vipps\nprocess.env.CLIENT_SECRET || '$V'\n", True),
        ("# vipps\nRails.application.credentials.secret = '$V'\n", False),
        ("# vipps\nRails.application.credentials.vipps.secret = '$V'\n", True),
        ("# vipps\nVipps__ClientSecret='$V'\n", True),
        ("# vipps\nSmtp__Password='$V'\n", False),
    ],
)
def test_a_dotted_name_is_read_innermost_part_first(text: str, reported: bool) -> None:
    value = keygen.b64(random.Random(SEED + 25))
    got = found(text.replace("$V", value), "config.txt")
    assert bool(got) == reported, (text, got)


# -- decoding -------------------------------------------------------------------------------------


def _printable_secret(rng: random.Random) -> str:
    """A client_secret (Base64 of 16 bytes) whose bytes happen to be printable text."""
    while True:
        raw = "".join(rng.choices(string.ascii_letters + string.digits + "!#%&", k=16))
        v = base64.b64encode(raw.encode()).decode()
        if any(c.islower() for c in v) and any(c.isupper() for c in v):
            return v


def test_a_raw_credential_that_decodes_to_text_is_reported_as_written() -> None:
    """The value is reported, hashed into a baseline and sent to --verify as written: decoding
    never replaces a value that is itself a credential."""
    rng = random.Random(SEED + 26)
    from detection_test import ENGINE

    from scanner import filters
    from scanner.sources import Fragment

    for _ in range(200):
        v = _printable_secret(rng)
        text = f'VIPPS_CLIENT_SECRET = "{v}"\n'
        [f] = filters.apply(ENGINE.scan(Fragment(text, "settings.py")))
        assert (f.rule.id, f.secret, f.encoding) == ("vipps-client-secret", v, None), text


def test_encoded_credentials_are_still_decoded() -> None:
    rng = random.Random(SEED + 27)
    for _ in range(200):
        cs, key = _shaped(rng), keygen.sagapay_key(rng)
        enc_cs, enc_key = (base64.b64encode(v.encode()).decode() for v in (cs, key))
        text = (
            "kind: Secret\nmetadata:\n  name: vipps\ndata:\n"
            f"  VIPPS_CLIENT_SECRET: {enc_cs}\n  SAGAPAY_API_KEY: {enc_key}\n"
        )
        got = set(found(text, "k8s/secret.yaml"))
        assert got == {("vipps-client-secret", 5, cs), ("sagapay-api-key", 6, key)}, text
