"""Price book: list prices as data (one YAML file per region), tiers and free tiers applied here.

A tier's ``up_to`` is a cumulative monthly quantity; the monthly free quantity is consumed first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

PRICES_DIR = Path(__file__).with_name("prices")


class PricingError(KeyError):
    """A service, item or region the price book does not have."""

    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0])


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    up_to: float | None
    price: float


class Item(BaseModel):
    """One billable item: its unit, monthly free quantity, and tiers."""

    model_config = ConfigDict(extra="forbid")
    unit: str
    free: float = 0.0
    tiers: list[Tier]

    @model_validator(mode="after")
    def _tiers_ascend(self) -> Item:
        bounds = [t.up_to for t in self.tiers]
        if not bounds or bounds[-1] is not None:
            raise ValueError("the last tier must have up_to: null")
        finite = [b for b in bounds[:-1]]
        if any(b is None for b in finite) or finite != sorted(finite):
            raise ValueError("tier bounds must ascend")
        return self

    def cost(self, quantity: float) -> float:
        """Monthly cost of ``quantity`` units: free quantity first, then each tier in turn."""
        if quantity < 0:
            raise ValueError("quantity must be >= 0")
        remaining = max(0.0, quantity - self.free)
        consumed = self.free  # tiers count the free quantity as used
        total = 0.0
        for tier in self.tiers:
            if remaining <= 0:
                break
            room = remaining if tier.up_to is None else max(0.0, tier.up_to - consumed)
            take = min(remaining, room)
            total += take * tier.price
            remaining -= take
            consumed += take
        return total


class Service(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    status: Literal["lead", "verified"]
    items: dict[str, Item]


class PriceBook(BaseModel):
    """All prices of one region, with the date they were checked."""

    model_config = ConfigDict(extra="forbid")
    region: str
    currency: str
    checked: str
    services: dict[str, Service]

    def item(self, service: str, item: str) -> Item:
        if service not in self.services:
            raise PricingError(
                f"no prices for service {service!r} in {self.region}; known: {', '.join(sorted(self.services))}"
            )
        items = self.services[service].items
        if item not in items:
            raise PricingError(
                f"no price for {service}.{item} in {self.region}; known: {', '.join(sorted(items))}"
            )
        return items[item]

    def cost(self, service: str, item: str, quantity: float) -> float:
        """Monthly cost of ``quantity`` of ``service.item``."""
        return self.item(service, item).cost(quantity)


@cache
def price_book(region: str = "us-east-1") -> PriceBook:
    """The price book of ``region`` (``lab/cost/prices/<region>.yaml``)."""
    path = PRICES_DIR / f"{region}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in PRICES_DIR.glob("*.yaml")))
        raise PricingError(f"no price file for region {region!r}; known: {known}")
    return PriceBook.model_validate(yaml.safe_load(path.read_text()))
