"""engines/_registry.py: one registry for every pluggable kind; duplicates refused, unknown keys named."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from engines._registry import Registry, UnknownType
from engines.form.fields import FIELD_TYPES, field_type


@dataclass
class Item:
    key: str


def make_registry(*keys: str) -> Registry[Item]:
    registry: Registry[Item] = Registry("widget")
    for key in keys:
        registry.register(Item(key))
    return registry


def test_register_returns_the_item_and_get_finds_it():
    registry: Registry[Item] = Registry("widget")
    item = Item("button")
    assert registry.register(item) is item
    assert registry.get("button") is item
    assert "button" in registry and "slider" not in registry


def test_register_refuses_a_taken_key_and_keeps_the_first():
    registry = make_registry("button")
    first = registry.get("button")
    with pytest.raises(ValueError, match="widget 'button' is already registered"):
        registry.register(Item("button"))
    assert registry.get("button") is first
    assert registry.keys() == ["button"]


def test_get_unknown_raises_unknown_type_naming_kind_key_and_known_keys():
    registry = make_registry("slider", "button", "input")
    with pytest.raises(UnknownType) as info:
        registry.get("dial")
    error = info.value
    assert (error.kind, error.key) == ("widget", "dial")
    assert error.known == ["button", "input", "slider"]  # sorted, so messages are stable
    assert str(error) == "unknown widget 'dial'; known: button, input, slider"
    assert isinstance(error, LookupError)  # callers may catch it as a lookup failure


def test_unknown_type_on_an_empty_registry():
    with pytest.raises(UnknownType, match="unknown widget 'x'; known: $"):
        make_registry().get("x")


def test_iteration_and_keys_keep_registration_order():
    registry = make_registry("c", "a", "b")
    assert registry.keys() == ["c", "a", "b"]
    assert [item.key for item in registry] == ["c", "a", "b"]


def test_field_type_registry_uses_the_helper():
    assert field_type("number") is FIELD_TYPES.get("number")
    with pytest.raises(UnknownType) as info:
        field_type("rainbow")
    assert info.value.kind == "field type"
    assert "number" in info.value.known and "subtable" in info.value.known
    with pytest.raises(ValueError):
        FIELD_TYPES.register(FIELD_TYPES.get("text"))
