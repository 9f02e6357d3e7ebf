"""The benchmarks' records, from the generator the demo data uses (engines.demo.values, issue 14).

Values are in API shape — what a client would send: dates and date-times as ISO text, money as numbers with
two decimals, tags as lists.
"""
from __future__ import annotations

from datetime import date, datetime

from engines.demo import values
from engines.demo.values import (CITIES, CITY_WEIGHTS, EMAIL_DOMAINS, LEVELS, MOBILE_PREFIXES,  # noqa: F401
                                 SURNAMES, TAGS)


class DataGen(values.DataGen):
    """The shared generator plus the benchmark's member record."""

    def member(self) -> dict:
        """One member record in API shape for the benchmark form (bench.workload.MEMBER_FORM)."""
        rng = self.rng
        name = self.name()
        city, _province, district = self.place()
        phone = self.phone()
        orders = int(rng.expovariate(1 / 6))
        return {
            "name": name,
            "city": city,
            "address": self.address(district),
            "phone": phone,
            "email": self.email(phone) if rng.random() < 0.8 else None,
            "orders": orders,
            "points": round(rng.random() * 5000, 1),
            "total_spent": self.money(0, 20000) if orders else 0,
            "balance": self.money(0, 500),
            "discount": rng.choice((0, 5, 8, 10, 12.5, 15, 20)),
            "birthday": self.day(date(1960, 1, 1), date(2006, 12, 31)).isoformat(),
            "last_order_at": self.moment(datetime(2023, 1, 1), datetime(2024, 12, 31)).isoformat(),
            "level": self.level(),
            "subscribed": rng.random() < 0.62,
            "tags": self.tags(),
        }


def members(count: int, seed: int = 20240601) -> list[dict]:
    gen = DataGen(seed)
    return [gen.member() for _ in range(count)]
