"""Usage -> ``provider_usage`` rows with a cost from the price table.

Prices live in the ``provider_prices`` table (seeded by migration 012 with list
prices, USD per unit).  ``PriceTable`` caches them; a row with model '*' is
the provider's default.  The built-in DEFAULT_PRICES are used when the table
cannot be read.
"""

from __future__ import annotations

import logging
from decimal import Decimal

log = logging.getLogger("agent.costs")

DEFAULT_PRICES: dict[tuple[str, str, str], Decimal] = {
    ("openai", "gpt-4o", "input_token"): Decimal("0.0000025"),
    ("openai", "gpt-4o", "output_token"): Decimal("0.00001"),
    ("openai", "*", "input_token"): Decimal("0.0000025"),
    ("openai", "*", "output_token"): Decimal("0.00001"),
    ("gemini", "*", "input_token"): Decimal("0.0000003"),
    ("gemini", "*", "output_token"): Decimal("0.0000025"),
    ("anthropic", "*", "input_token"): Decimal("0.000003"),
    ("anthropic", "*", "output_token"): Decimal("0.000015"),
    ("deepgram", "*", "audio_second"): Decimal("0.00008"),
    ("cartesia", "*", "character"): Decimal("0.00005"),
    ("elevenlabs", "*", "character"): Decimal("0.00005"),
}


class PriceTable:
    def __init__(self, prices: dict | None = None):
        self.prices = dict(prices or DEFAULT_PRICES)

    async def load(self, db) -> None:
        try:
            rows = await db.fetch("SELECT provider, model, unit, usd_per_unit FROM provider_prices")
            if rows:
                self.prices = {(r["provider"], r["model"], r["unit"]): Decimal(r["usd_per_unit"]) for r in rows}
        except Exception as e:
            log.warning("price table not loaded, using built-in prices: %s", e)

    def unit_price(self, provider: str, model: str | None, unit: str) -> Decimal:
        p = self.prices.get((provider, model or "*", unit))
        if p is None:
            p = self.prices.get((provider, "*", unit), Decimal(0))
        return p

    def cost(self, provider, model, *, input_tokens=0, output_tokens=0, characters=0, audio_seconds=0.0) -> Decimal:
        c = (
            self.unit_price(provider, model, "input_token") * input_tokens
            + self.unit_price(provider, model, "output_token") * output_tokens
            + self.unit_price(provider, model, "character") * characters
            + self.unit_price(provider, model, "audio_second") * Decimal(str(audio_seconds))
        )
        return c.quantize(Decimal("0.00000001"))


async def record_usage(
    rt, *, call_control_id, tenant_id, provider, service, model=None,
    input_tokens=0, output_tokens=0, characters=0, audio_seconds=0.0,
) -> Decimal:
    cost = rt.prices.cost(
        provider, model, input_tokens=input_tokens, output_tokens=output_tokens,
        characters=characters, audio_seconds=audio_seconds,
    )
    if rt.settings.has_fault("half_cost"):  # a cost-tracking defect vstress must see
        cost = (cost / 2).quantize(Decimal("0.00000001"))
    rt.metrics.inc("agent_provider_cost_usd_total", {"provider": provider}, float(cost))
    await rt.db.try_execute(
        "INSERT INTO provider_usage (call_control_id, tenant_id, provider, service, model, input_tokens,"
        " output_tokens, characters, audio_seconds, cost_usd) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        call_control_id, tenant_id, provider, service, model, int(input_tokens), int(output_tokens),
        int(characters), float(audio_seconds), cost,
    )
    return cost
