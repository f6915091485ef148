"""Documentation examples are a family, not a list (issue 12): a value a document presents as an
example is silent, in every document format and with every kind of marker; the same value in
the same document without the marker, or with the marker in code, is reported."""

from __future__ import annotations

import html
import random

import keygen
import pytest
from detection_test import SEED, found
from shapes_and_names_test import _shaped

MARKERS = [
    "For example:",
    "Example request:",
    "e.g. with the test sales unit:",
    "A sample configuration:",
    "Eksempel på konfigurasjon:",
    "Exempel:",
    "Esimerkki:",
    "Merchant-Serial-Number: 123456",
    "orderId: 123456-test-order",
    "merchantSerialNumber: 1234567",
    "Acme shop settings:",
    "example:",
]


def _value(rng: random.Random) -> tuple[str, str, str]:
    """(rule, name, value) in every shape the rules know."""
    kind = rng.randrange(4)
    if kind == 0:
        return "vipps-client-secret", "VIPPS_CLIENT_SECRET", _shaped(rng)
    if kind == 1:
        return "vipps-subscription-key", "Ocp-Apim-Subscription-Key", keygen.hex32(rng)
    if kind == 2:
        return "sagapay-api-key", "SAGAPAY_API_KEY", keygen.sagapay_key(rng)
    return "sagapay-api-secret", "SAGAPAY_API_SECRET", keygen.sagapay_secret(rng)


def _document(rng: random.Random, fmt: str, marker: str, name: str, value: str) -> tuple[str, str]:
    line = f"{name}: {value}" if rng.random() < 0.5 else f"{name}={value}"
    intro = "Vipps MobilePay and SagaPay (https://api.sagapay.no) keys"
    if fmt == "markdown":
        return f"# Setup\n\n{intro}.\n\n{marker}\n\n```\n{line}\n```\n", "README.md"
    if fmt == "rst":
        return (
            f"Setup\n=====\n\n{intro}.\n\n{marker}\n\n.. code-block::\n\n   {line}\n",
            "docs/setup.rst",
        )
    if fmt == "html":
        body = html.escape(f"{marker}\n{line}")
        return f"<h1>{intro}</h1>\n<pre><code>{body}</code></pre>\n", "site/guide.html"
    if fmt == "openapi":
        # OpenAPI's own frame for examples is its `example:` key, one of the markers too
        section = "examples" if marker == "example:" else "x-settings"
        text = (
            f"openapi: 3.0.0\ninfo:\n  title: {intro}\npaths: {{}}\n# {marker}\n"
            f"components:\n  {section}:\n    token:\n      value:\n        {line}\n"
        )
        return text, "api/openapi.yaml"
    return f"{intro}\n\n{marker}\n{line}\n", "docs/notes/keys.txt"


FORMATS = ["markdown", "rst", "html", "openapi", "docs-folder"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_value_a_document_presents_as_an_example_is_silent(fmt: str) -> None:
    rng = random.Random(SEED + 51 + FORMATS.index(fmt))
    for _ in range(200):
        rule, name, value = _value(rng)
        marker = rng.choice(MARKERS)
        text, path = _document(rng, fmt, marker, name, value)
        assert found(text, path) == [], (path, text)
        # beside it: the same document without the frame is a real key pasted into the docs
        bare, _ = _document(rng, fmt, "Our keys:", name, value)
        assert [v for r, _, v in found(bare, path) if r == rule] == [value], (path, bare)
        # and the same frame in code, not a document, changes nothing
        code = f"# {marker}\n{name} = '{value}'  # vipps, sagapay\n"
        assert [v for r, _, v in found(code, "src/settings.py") if r == rule] == [value], code


def test_the_published_examples_are_silent_anywhere() -> None:
    for value in (
        "Y8Kteew6GE3ZmeycEt6egg==",
        "Y8Kteew6GE2ZmeycEt6egg",
        "0f14ebcab0eb4b29ae0cb90d91b4a84a",
        "spk_live_abc123def456",
    ):
        name = "SAGAPAY_API_KEY" if value.startswith("spk") else "VIPPS_CLIENT_SECRET"
        name = "VIPPS_SUBSCRIPTION_KEY" if len(value) == 32 else name
        assert found(f"{name} = '{value}'  # vipps sagapay\n", "src/app.py") == [], value
