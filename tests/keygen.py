"""Random fake credentials in every recognised shape, made at test time (never committed)."""

from __future__ import annotations

import base64
import random
import string

ALNUM = string.ascii_letters + string.digits


def _retry(make, ok, rng: random.Random) -> str:  # type: ignore[no-untyped-def]
    while True:
        v = make()
        if ok(v):
            return v


def _not_fake(v: str) -> bool:
    from scanner.filters import is_obvious_fake, is_placeholder

    return not is_obvious_fake(v) and not is_placeholder(v)


def _b64_ok(v: str) -> bool:
    body = v.rstrip("=")
    return (
        any(c.islower() for c in body)
        and any(c.isupper() for c in body)
        and any(c.isdigit() or c in "+/" for c in body)
        and _not_fake(v)
    )


def b64(rng: random.Random, nbytes: int = 16) -> str:
    """Vipps client_secret: 16 bytes -> 24 chars '==', 20 -> 28 '=', 32 -> 44 '='."""
    return _retry(lambda: base64.b64encode(rng.randbytes(nbytes)).decode(), _b64_ok, rng)


def entra(rng: random.Random) -> str:
    alpha = ALNUM + "_~.-"
    return _retry(
        lambda: (
            "".join(rng.choices(alpha, k=3))
            + rng.choice(string.digits)
            + "Q~"
            + "".join(rng.choices(alpha, k=34))
        ),
        _not_fake,
        rng,
    )


def client_secret(rng: random.Random) -> str:
    return rng.choice(
        [lambda: b64(rng, 16), lambda: b64(rng, 20), lambda: b64(rng, 32), lambda: entra(rng)]
    )()


def hex32(rng: random.Random, upper: bool = False) -> str:
    v = _retry(lambda: f"{rng.getrandbits(128):032x}", _not_fake, rng)
    return v.upper() if upper else v


def alnum(rng: random.Random, n: int) -> str:
    return _retry(lambda: "".join(rng.choices(ALNUM, k=n)), _not_fake, rng)


def sagapay_key(rng: random.Random, env: str = "live") -> str:
    prefix = rng.choice(["spk", "spay", "sg"])
    n = rng.choice([24, 32]) if prefix == "spk" else 32
    return f"{prefix}_{env}_{alnum(rng, n)}"


def sagapay_secret(rng: random.Random, env: str = "live") -> str:
    if rng.random() < 0.5:
        return f"sps_{env}_{alnum(rng, rng.choice([24, 32]))}"
    return f"sgs_{env}_{alnum(rng, 40)}" if rng.random() < 0.5 else f"sgs_{alnum(rng, 40)}"


def guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
