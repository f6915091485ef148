"""Whose context a value was found in: the provider named nearest to it.

A secret rule fires when its provider's signal is somewhere near the value, but one file often
holds more than one provider (a payments config with a Vipps MobilePay and a SagaPay section), and
a Vipps-looking ``client_secret`` under ``sagapay:`` is still found by the Vipps rule.  Whose it is
decides where ``--verify`` may send it, so the engine records it on each finding
(``Finding.found_in``): the provider whose signal is nearest to the value, where a provider's
signals are its secret rules' ``context.any`` patterns (its names, hosts and headers, and for
SagaPay the shape of the other half of the key pair).  Nearest means, in this order:

1. on the value's own line, the fewest characters away, before or after it (``SAGAPAY_KEY=``,
   ``secret: ...  # vipps``; in a minified bundle, where everything is one line,
   ``{"Ocp-Apim-Subscription-Key":"..."};e.vipps=s`` is Vipps MobilePay's however far back the
   file said ``sagapay``);
2. on the lines above it, the closest first (a section heading, ``sagapay:``);
3. on the lines below it, the closest first;
4. in the path.

Two providers at the same distance, or none anywhere, decide nothing: the first gives ``""``
(verification then sends the value nowhere), the second the rule's own provider (the rule's
context was the value's own shape, or the rule asks for none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from scanner.rules import Pattern, Rule

Signals = Mapping[str, Sequence[Pattern]]
TIMEOUT = 1.0  # seconds per pattern and value; a pathological text decides nothing


def signals(rules: Iterable[Rule]) -> dict[str, tuple[Pattern, ...]]:
    """Each provider's signals: the ``context.any`` patterns of its secret rules."""
    out: dict[str, dict[str, Pattern]] = {}
    for r in rules:
        if r.is_secret and r.provider:
            for p in r.context_any:
                out.setdefault(r.provider, {}).setdefault(p.source, p)
    return {provider: tuple(ps.values()) for provider, ps in out.items()}


def found_in(
    sig: Signals,
    text: str,
    span: tuple[int, int],
    window: tuple[int, int],
    path: str,
    own: str,
) -> str:
    """The provider named nearest to ``text[span]`` within ``text[window]`` (or in ``path``);
    ``own`` when no provider is named; ``""`` when two are named equally near."""
    start, end = span
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    best: tuple[int, int] | None = None
    named: set[str] = set()
    for provider, patterns in sig.items():
        for p in patterns:
            try:
                matches = list(p.finditer(text, window[0], window[1], timeout=TIMEOUT))
            except TimeoutError:
                return ""
            for m in matches:
                ms, me = m.span()
                if ms < end and me > start:
                    continue  # the value itself (a SagaPay key's shape is SagaPay's signal)
                if line_start <= ms and me <= line_end:
                    rank = (0, start - me if me <= start else ms - end)
                elif me <= start:
                    rank = (1, text.count("\n", me, start))
                else:
                    rank = (2, text.count("\n", end, ms))
                if best is None or rank < best:
                    best, named = rank, {provider}
                elif rank == best:
                    named.add(provider)
    if best is None:
        named = {provider for provider, ps in sig.items() if any(p.search(path) for p in ps)}
        if not named:
            return own
    return next(iter(named)) if len(named) == 1 else ""
