"""One registry helper for every kind of pluggable type (field types, node types, functions, charts…)."""
from __future__ import annotations

from typing import Generic, Iterator, Protocol, TypeVar


class Keyed(Protocol):
    key: str


T = TypeVar("T", bound=Keyed)


class UnknownType(LookupError):
    def __init__(self, kind: str, key: str, known: list[str]):
        self.kind, self.key, self.known = kind, key, known
        super().__init__(f"unknown {kind} {key!r}; known: {', '.join(known)}")


class Registry(Generic[T]):
    """Name → type. `register` refuses a taken key so two plug-ins can never shadow each other."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        if item.key in self._items:
            raise ValueError(f"{self.kind} {item.key!r} is already registered")
        self._items[item.key] = item
        return item

    def get(self, key: str) -> T:
        try:
            return self._items[key]
        except KeyError:
            raise UnknownType(self.kind, key, sorted(self._items)) from None

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def keys(self) -> list[str]:
        return list(self._items)
